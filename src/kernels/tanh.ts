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
 * `dx[i] = dy[i] * (1 - t^2)` with `t = tanh(x[i])`, computed from the input x (saved: x) as
 * `4e / (1 + e)^2` with `e = exp(-2|x|)`: `1 - t^2` loses its digits where tanh saturates, from
 * the float32 output at once and even from a float64 t beyond |x| ~ 10.
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
    const e = Math.exp(-2 * Math.abs(x[xOffset + i]));
    dx[dxOffset + i] = dy[dyOffset + i] * ((4 * e) / ((1 + e) * (1 + e)));
  }
  return dx;
}
