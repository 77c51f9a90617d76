/**
 * One entry point for the elementwise nonlinearities an SE block uses (its inner activation and
 * its gate), so the fused path and the tape dispatch by name once per call instead of per element.
 */
import { geluBackward, geluForward } from './gelu.js';
import { hardSigmoidBackward, hardSigmoidForward } from './hardSigmoid.js';
import { reluBackward, reluForward } from './relu.js';
import { sigmoidBackward, sigmoidForward } from './sigmoid.js';
import { siluBackward, siluForward } from './silu.js';
import { tanhBackward, tanhForward } from './tanh.js';

/** Every elementwise nonlinearity the library ships. */
export type ActivationKind = 'relu' | 'silu' | 'gelu' | 'sigmoid' | 'hardSigmoid' | 'tanh' | 'identity';

/** The names accepted for each, in documentation order. */
export const ACTIVATION_KINDS: readonly ActivationKind[] = [
  'relu',
  'silu',
  'gelu',
  'sigmoid',
  'hardSigmoid',
  'tanh',
  'identity',
];

/**
 * `out[i] = f(x[i])` for the nonlinearity `kind`.
 * Aliasing: `out` may be `x`.
 * @returns out
 */
export function activationForward(
  kind: ActivationKind,
  out: Float32Array,
  x: Float32Array,
  n: number,
  outOffset = 0,
  xOffset = 0,
): Float32Array {
  switch (kind) {
    case 'relu':
      return reluForward(out, x, n, outOffset, xOffset);
    case 'silu':
      return siluForward(out, x, n, outOffset, xOffset);
    case 'gelu':
      return geluForward(out, x, n, outOffset, xOffset);
    case 'sigmoid':
      return sigmoidForward(out, x, n, outOffset, xOffset);
    case 'hardSigmoid':
      return hardSigmoidForward(out, x, n, outOffset, xOffset);
    case 'tanh':
      return tanhForward(out, x, n, outOffset, xOffset);
    case 'identity':
      for (let i = 0; i < n; i++) out[outOffset + i] = x[xOffset + i];
      return out;
  }
}

/**
 * `dx[i] = dy[i] * f'(x[i])` for the nonlinearity `kind`; every kind saves only its input x.
 * Aliasing: `dx` may be `dy`.
 * @returns dx
 */
export function activationBackward(
  kind: ActivationKind,
  dx: Float32Array,
  dy: Float32Array,
  x: Float32Array,
  n: number,
  dxOffset = 0,
  dyOffset = 0,
  xOffset = 0,
): Float32Array {
  switch (kind) {
    case 'relu':
      return reluBackward(dx, dy, x, n, dxOffset, dyOffset, xOffset);
    case 'silu':
      return siluBackward(dx, dy, x, n, dxOffset, dyOffset, xOffset);
    case 'gelu':
      return geluBackward(dx, dy, x, n, dxOffset, dyOffset, xOffset);
    case 'sigmoid':
      return sigmoidBackward(dx, dy, x, n, dxOffset, dyOffset, xOffset);
    case 'hardSigmoid':
      return hardSigmoidBackward(dx, dy, x, n, dxOffset, dyOffset, xOffset);
    case 'tanh':
      return tanhBackward(dx, dy, x, n, dxOffset, dyOffset, xOffset);
    case 'identity':
      for (let i = 0; i < n; i++) dx[dxOffset + i] = dy[dyOffset + i];
      return dx;
  }
}
