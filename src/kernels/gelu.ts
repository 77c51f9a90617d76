/**
 * GELU, forward and backward, in its tanh approximation (PyTorch `gelu(approximate='tanh')`):
 * `gelu(x) = 0.5 * x * (1 + tanh(k * (x + 0.044715 * x^3)))`, `k = sqrt(2 / pi)`.
 * It differs from the exact erf form by less than 5e-4 everywhere.
 * Aliasing: `out` may be `x`, and `dx` may be `dy` (in place).
 */

const K = Math.sqrt(2 / Math.PI);
const C3 = 0.044715;

/**
 * `out[i] = gelu(x[i])` (tanh approximation).
 * @returns out
 */
export function geluForward(out: Float32Array, x: Float32Array, n: number, outOffset = 0, xOffset = 0): Float32Array {
  for (let i = 0; i < n; i++) {
    const v = x[xOffset + i];
    out[outOffset + i] = 0.5 * v * (1 + Math.tanh(K * (v + C3 * v * v * v)));
  }
  return out;
}

/**
 * `dx[i] = dy[i] * gelu'(x[i])` (saved: the input x).
 * @returns dx
 */
export function geluBackward(
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
    const t = Math.tanh(K * (v + C3 * v * v * v));
    const d = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * K * (1 + 3 * C3 * v * v);
    dx[dxOffset + i] = dy[dyOffset + i] * d;
  }
  return dx;
}
