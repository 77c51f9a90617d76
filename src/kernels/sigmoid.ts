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
 * `dx[i] = dy[i] * y[i] * (1 - y[i])` (saved: the output y).
 * @returns dx
 */
export function sigmoidBackward(
  dx: Float32Array,
  dy: Float32Array,
  y: Float32Array,
  n: number,
  dxOffset = 0,
  dyOffset = 0,
  yOffset = 0,
): Float32Array {
  for (let i = 0; i < n; i++) {
    const s = y[yOffset + i];
    dx[dxOffset + i] = dy[dyOffset + i] * s * (1 - s);
  }
  return dx;
}
