/**
 * Logistic sigmoid, forward and backward. The forward never overflows: for x < 0 it uses
 * `e / (1 + e)` with `e = exp(x)`, so large |x| give exactly 0 or 1, never NaN.
 * Aliasing: `out` may be `x`, and `dx` may be `dy` (in place).
 */

/** Sigmoid of one float64 value, overflow-free. */
export function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/**
 * `out[i] = 1 / (1 + exp(-x[i]))`.
 * @returns out
 */
export function sigmoidForward(out: Float32Array, x: Float32Array, n: number, outOffset = 0, xOffset = 0): Float32Array {
  for (let i = 0; i < n; i++) out[outOffset + i] = sigmoid(x[xOffset + i]);
  return out;
}

/**
 * `dx[i] = dy[i] * s * (1 - s)` with `s = sigmoid(x[i])` recomputed in float64 (saved: the input x),
 * as `e / (1 + e)^2` with `e = exp(-|x|)`. Recomputing from x instead of reading the float32 output,
 * in a form without the cancellation of `1 - s`, keeps full precision where the sigmoid saturates
 * (from a float32 s it loses up to all of its digits, from a float64 s it does beyond x ~ 20).
 * @returns dx
 */
export function sigmoidBackward(
  dx: Float32Array,
  dy: Float32Array,
  x: Float32Array,
  n: number,
  dxOffset = 0,
  dyOffset = 0,
  xOffset = 0,
): Float32Array {
  for (let i = 0; i < n; i++) {
    const e = Math.exp(-Math.abs(x[xOffset + i]));
    dx[dxOffset + i] = dy[dyOffset + i] * (e / ((1 + e) * (1 + e)));
  }
  return dx;
}
