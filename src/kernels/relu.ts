/**
 * ReLU, forward and backward. `relu(x) = max(x, 0)`; the derivative at 0 is taken as 0
 * (PyTorch's convention). NaN propagates: relu(NaN) = NaN and its gradient is NaN.
 * Aliasing: `out` may be `x`, and `dx` may be `dy` (in place).
 */

/**
 * `out[i] = max(x[i], 0)`.
 * @returns out
 */
export function reluForward(out: Float32Array, x: Float32Array, n: number, outOffset = 0, xOffset = 0): Float32Array {
  for (let i = 0; i < n; i++) {
    const v = x[xOffset + i];
    out[outOffset + i] = v > 0 || v !== v ? v : 0;
  }
  return out;
}

/**
 * `dx[i] = x[i] > 0 ? dy[i] : 0` (saved: the input x).
 * @returns dx
 */
export function reluBackward(
  dx: Float32Array,
  dy: Float32Array,
  x: Float32Array,
  n: number,
  dxOffset = 0,
  dyOffset = 0,
  xOffset = 0,
): Float32Array {
  for (let i = 0; i < n; i++) {
    const v = x[xOffset + i];
    dx[dxOffset + i] = v > 0 ? dy[dyOffset + i] : v !== v ? v : 0;
  }
  return dx;
}
