/**
 * Hyperbolic tangent, forward and backward.
 * Aliasing: `out` may be `x`, and `dx` may be `dy` (in place).
 */

/**
 * `out[i] = tanh(x[i])`.
 * @returns out
 */
export function tanhForward(out: Float32Array, x: Float32Array, n: number, outOffset = 0, xOffset = 0): Float32Array {
  for (let i = 0; i < n; i++) out[outOffset + i] = Math.tanh(x[xOffset + i]);
  return out;
}

/**
 * `dx[i] = dy[i] * (1 - y[i]^2)` (saved: the output y).
 * @returns dx
 */
export function tanhBackward(
  dx: Float32Array,
  dy: Float32Array,
  y: Float32Array,
  n: number,
  dxOffset = 0,
  dyOffset = 0,
  yOffset = 0,
): Float32Array {
  for (let i = 0; i < n; i++) {
    const t = y[yOffset + i];
    dx[dxOffset + i] = dy[dyOffset + i] * (1 - t * t);
  }
  return dx;
}
