/**
 * GELU, forward and backward, in its tanh approximation (PyTorch `gelu(approximate='tanh')`):
 * `gelu(x) = 0.5 * x * (1 + tanh(k * (x + 0.044715 * x^3)))`, `k = sqrt(2 / pi)`.
 * It differs from the exact erf form by less than 5e-4 everywhere. It is evaluated through the
 * identity `0.5 * (1 + tanh(u)) = sigmoid(2u)`: `1 + tanh(u)` cancels for negative x (all digits
 * lost below x ~ -7), the sigmoid form keeps full relative precision.
 * Aliasing: `out` may be `x`, and `dx` may be `dy` (in place).
 */

import { sigmoid } from './sigmoid.js';

const K = Math.sqrt(2 / Math.PI);
const C3 = 0.044715;

/**
 * `out[i] = gelu(x[i])` (tanh approximation).
 * @returns out
 */
export function geluForward(out: Float32Array, x: Float32Array, n: number, outOffset = 0, xOffset = 0): Float32Array {
  for (let i = 0; i < n; i++) {
    const v = x[xOffset + i];
    out[outOffset + i] = v * sigmoid(2 * K * (v + C3 * v * v * v));
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
    // With s = sigmoid(2u): 0.5 (1 + tanh u) = s and 0.5 (1 - tanh^2 u) = 2 s (1 - s) = 2 e / (1 + e)^2, e = exp(-|2u|).
    const u2 = 2 * K * (v + C3 * v * v * v);
    const e = Math.exp(-Math.abs(u2));
    const s = u2 >= 0 ? 1 / (1 + e) : e / (1 + e);
    const d = s + ((2 * v * e) / ((1 + e) * (1 + e))) * K * (1 + 3 * C3 * v * v);
    dx[dxOffset + i] = dy[dyOffset + i] * d;
  }
  return dx;
}
