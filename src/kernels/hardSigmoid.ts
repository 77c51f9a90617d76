/**
 * Hard sigmoid as PyTorch defines it (MobileNetV3's gate): `clamp((x + 3) / 6, 0, 1)`.
 * (ONNX's HardSigmoid defaults to `0.2 x + 0.5`, a different function.) The derivative is 1/6
 * strictly inside (-3, 3) and 0 elsewhere, including at the kinks. NaN propagates.
 * Aliasing: `out` may be `x`, and `dx` may be `dy` (in place).
 */

/**
 * `out[i] = clamp((x[i] + 3) / 6, 0, 1)`.
 * @returns out
 */
export function hardSigmoidForward(out: Float32Array, x: Float32Array, n: number, outOffset = 0, xOffset = 0): Float32Array {
  for (let i = 0; i < n; i++) {
    const v = x[xOffset + i];
    out[outOffset + i] = v <= -3 ? 0 : v >= 3 ? 1 : (v + 3) / 6;
  }
  return out;
}

/**
 * `dx[i] = dy[i] / 6` where `-3 < x[i] < 3`, else 0 (saved: the input x).
 * @returns dx
 */
export function hardSigmoidBackward(
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
    dx[dxOffset + i] = v > -3 && v < 3 ? dy[dyOffset + i] / 6 : v !== v ? v : 0;
  }
  return dx;
}
