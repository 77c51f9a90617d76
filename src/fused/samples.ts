/**
 * The fused SE block's sample loops: the only place its forward and backward math runs, for the
 * calling thread and for `se-kernels/threads`' workers alike (each on its own range of samples, so
 * a split run is bit-identical to a single-threaded one).
 *
 *   forward,  per sample: pass 1 squeezes x to z; the two small layers and the gate give s;
 *                         pass 2 writes y = s * x.
 *   backward, per sample: pass 1 reads dy and x into ds = sum_s dy * x; the small layers' backward
 *                         gives dz; pass 2 reads dy again and writes dx = s * dy + (dz routed
 *                         through the squeeze). The weight gradients are batch products at the end
 *                         ({@link weightGradients}), summed over all samples in one fixed order.
 *
 * Working one sample at a time keeps the sample's slice of x (and dy) in cache for the second pass.
 * The loops are small functions of their own so that V8 inlines the pass kernels into them
 * (compiled as separate functions, the same loops run markedly slower: bench/README.md). Numbers passed
 * between non-inlined functions are small integers, never fractions (a fraction passed as an
 * argument is boxed: an allocation per call).
 */
import { activationBackwardSaved, activationForwardSaving } from '../kernels/activation.js';
import { biasBackward } from '../kernels/bias.js';
import {
  channelScaleChannelsLastBackward,
  channelScaleChannelsLastForward,
  channelScaleForward,
  channelScaleGradient,
  channelScaleShift,
} from '../kernels/channelScale.js';
import { batchOuterProduct, matvec, matvecTransposed } from '../kernels/matmul.js';
import {
  globalAvgPoolChannelsLastForward,
  globalAvgPoolForward,
  globalMaxPoolChannelsLastForward,
  globalMaxPoolForward,
} from '../kernels/pooling.js';
import type { SEFrame, SEScratch } from './frame.js';

/**
 * Forward of samples `[n0, n1)`: writes their rows of the frame's z, aSaved, h, gSaved, s (and argmax) and
 * their slices of `y` (x's size, row-major from index 0). `sc` must be ensured for the frame's C, R.
 * @internal
 */
export function forwardSamples(f: SEFrame, y: Float32Array, n0: number, n1: number, sc: SEScratch): void {
  const { C, S, x, xOffset, z, s, argmax } = f;
  const cl = f.channelsLast;
  const useAvg = f.squeeze !== 'max';
  const zmax = f.squeeze === 'avgmax' ? sc.zmax : null;
  const acc = sc.acc;
  for (let n = n0; n < n1; n++) {
    const xs = xOffset + n * C * S;
    const zn = n * C;
    // Pass 1: squeeze.
    if (useAvg) {
      if (cl) globalAvgPoolChannelsLastForward(z, x, 1, S, C, acc, zn, xs);
      else globalAvgPoolForward(z, x, C, S, zn, xs);
    }
    if (argmax !== null) {
      const target = zmax === null ? z : zmax;
      const to = zmax === null ? zn : 0;
      if (cl) globalMaxPoolChannelsLastForward(target, argmax, x, 1, S, C, to, zn, xs);
      else globalMaxPoolForward(target, argmax, x, C, S, to, zn, xs);
      if (zmax !== null) for (let k = 0; k < C; k++) z[zn + k] = 0.5 * z[zn + k] + 0.5 * zmax[k];
    }
    exciteSample(f, n);
    // Pass 2: scale.
    if (cl) channelScaleChannelsLastForward(y, x, s, null, 1, S, C, n * C * S, xs, zn);
    else channelScaleForward(y, x, s, C, S, n * C * S, xs, zn);
  }
}

/** The excitation of sample n: the two small layers and the gate, from z to s. */
function exciteSample(f: SEFrame, n: number): void {
  const { C, R, z, aSaved, h, gSaved, s, w1, b1, w2, b2 } = f;
  const zn = n * C;
  const an = n * R;
  matvec(aSaved, w1, z, R, C, b1, an, zn);
  activationForwardSaving(f.activation, h, aSaved, R, an, an);
  matvec(gSaved, w2, h, C, R, b2, zn, an);
  activationForwardSaving(f.gate, s, gSaved, C, zn, zn);
}

/**
 * Backward of samples `[n0, n1)` from the gradient `dy` (dense, sample 0 at `dyOffset`): writes
 * their slices of `dx` (from index 0) and their rows of dG (`[N, C]`, the gradient of g) and dA
 * (`[N, R]`, the gradient of a), from which {@link weightGradients} makes the weight gradients.
 * `dx` may be exactly dy's memory (in place): each element of dy is read before its dx is written.
 * @internal
 */
export function backwardSamples(
  f: SEFrame,
  dy: Float32Array,
  dyOffset: number,
  dx: Float32Array,
  dG: Float32Array,
  dA: Float32Array,
  n0: number,
  n1: number,
  sc: SEScratch,
): void {
  const { C, S, x, xOffset, s, argmax } = f;
  const cl = f.channelsLast;
  const { acc, dz } = sc;
  const shift = f.squeeze === 'max' ? null : sc.shift;
  // Weights of the two squeeze paths in dz's routing back to x (computed here, not passed in:
  // a fractional number passed to a call that is not inlined is boxed, an allocation per call).
  const avgWeight = f.squeeze === 'avg' ? 1 : f.squeeze === 'avgmax' ? 0.5 : 0;
  const maxWeight = f.squeeze === 'max' ? 1 : f.squeeze === 'avgmax' ? 0.5 : 0;
  for (let n = n0; n < n1; n++) {
    const xs = xOffset + n * C * S;
    const ys = dyOffset + n * C * S;
    const xn = n * C * S;
    const zn = n * C;
    // Pass 1: ds = sum_s dy * x, into dG's row.
    if (cl) channelScaleChannelsLastBackward(null, dG, dy, x, s, 1, S, C, acc, 0, zn, ys, xs, zn);
    else channelScaleGradient(dG, dy, x, C, S, zn, ys, xs);
    exciteBackwardSample(f, n, dG, dA, dz, acc);
    // Pass 2: dx = s * dy + dz routed through the squeeze (avg: spread as dz / S).
    if (shift !== null) for (let k = 0; k < C; k++) shift[k] = (avgWeight * dz[k]) / S;
    if (cl) channelScaleChannelsLastForward(dx, dy, s, shift, 1, S, C, xn, ys, zn, 0);
    else if (shift !== null) channelScaleShift(dx, dy, s, shift, C, S, xn, ys, zn, 0);
    else channelScaleForward(dx, dy, s, C, S, xn, ys, zn);
    if (argmax !== null) {
      for (let k = 0; k < C; k++) {
        const at = cl ? xn + argmax[zn + k] * C + k : xn + k * S + argmax[zn + k];
        dx[at] += maxWeight * dz[k];
      }
    }
  }
}

/** Sample n's backward through the gate and the two small layers: dG's row in, dA's row and dz out. */
function exciteBackwardSample(f: SEFrame, n: number, dG: Float32Array, dA: Float32Array, dz: Float32Array, acc: Float64Array): void {
  const { C, R, aSaved, gSaved, w1, w2 } = f;
  const zn = n * C;
  const an = n * R;
  activationBackwardSaved(f.gate, dG, dG, gSaved, C, zn, zn, zn);
  matvecTransposed(dA, w2, dG, C, R, acc, an, zn);
  activationBackwardSaved(f.activation, dA, dA, aSaved, R, an, an, an);
  matvecTransposed(dz, w1, dA, R, C, acc, 0, an);
}

/**
 * The weight gradients from dG (`[N, C]`) and dA (`[N, R]`) of all N samples: batch products
 * summed in one fixed order, so that a backward split over threads is bit-identical.
 * @internal
 */
export function weightGradients(
  f: SEFrame,
  dG: Float32Array,
  dA: Float32Array,
  dw1: Float32Array,
  db1: Float32Array | null,
  dw2: Float32Array,
  db2: Float32Array | null,
): void {
  const { N, C, R, z, h } = f;
  batchOuterProduct(dw1, dA, z, N, R, C);
  batchOuterProduct(dw2, dG, h, N, C, R);
  if (db1 !== null) biasBackward(db1, dA, N, R);
  if (db2 !== null) biasBackward(db2, dG, N, C);
}
