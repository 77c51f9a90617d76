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
 * `dx[i] = dy[i] * (1 - t^2)` with `t = tanh(x[i])` recomputed in float64 (saved: the input x;
 * from the float32 output, `1 - t^2` would lose its digits where tanh saturates).
 * @returns dx
 */
export function tanhBackward(
  dx: Float32Array,
  dy: Float32Array,
  x: Float32Array,
  n: number,
  dxOffset = 0,
  dyOffset = 0,
  xOffset = 0,
): Float32Array {
  for (let i = 0; i < n; i++) {
    const t = Math.tanh(x[xOffset + i]);
    dx[dxOffset + i] = dy[dyOffset + i] * (1 - t * t);
  }
  return dx;
}
