/**
 * SiLU (swish), forward and backward: `silu(x) = x * sigmoid(x)`, EfficientNet's SE activation.
 * Aliasing: `out` may be `x`, and `dx` may be `dy` (in place).
 */
import { sigmoid } from './sigmoid.js';

/**
 * `out[i] = x[i] * sigmoid(x[i])`.
 * @returns out
 */
export function siluForward(out: Float32Array, x: Float32Array, n: number, outOffset = 0, xOffset = 0): Float32Array {
  for (let i = 0; i < n; i++) {
    const v = x[xOffset + i];
    out[outOffset + i] = v * sigmoid(v);
  }
  return out;
}

/**
 * `dx[i] = dy[i] * s * (1 + x * (1 - s))` with `s = sigmoid(x[i])` (saved: the input x).
 * @returns dx
 */
export function siluBackward(
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
    const s = sigmoid(v);
    dx[dxOffset + i] = dy[dyOffset + i] * s * (1 + v * (1 - s));
  }
  return dx;
}
