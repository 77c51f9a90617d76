/**
 * What the main thread and the workers of `se-kernels/threads` share: the layout of the control
 * block, and the routine each thread runs on its share of the batch.
 */
import { resolveSEOptions, SE_ACTIVATIONS, SE_GATES, SE_LAYOUTS, SE_SQUEEZES } from '../options.js';
import { backwardSamples, forwardSamples, SECache } from '../se.js';

/** Slots of the control Int32Array. */
export const CTL = {
  /** Incremented by the main thread to start a job. */
  job: 0,
  /** Incremented by each worker when its share is done. */
  done: 1,
  /** Set to 1 by a worker whose share threw. */
  error: 2,
  /** Incremented when the shared buffers were replaced (the worker then receives them). */
  buffers: 3,
  /** Set to 1 to make the workers exit. */
  stop: 4,
  N: 5,
  C: 6,
  S: 7,
  R: 8,
  layout: 9,
  squeeze: 10,
  activation: 11,
  gate: 12,
  hasB1: 13,
  hasB2: 14,
  xOffset: 15,
  /** 0 for a forward job, 1 for a backward job. */
  kind: 16,
  /** Offset of dy in the shared dy array (backward jobs). */
  dyOffset: 17,
  /** Then, per worker k, the first and one-past-last sample of its share. */
  ranges: 18,
} as const;

/** Size of the control block for `workers` workers. */
export function controlLength(workers: number): number {
  return CTL.ranges + 2 * workers;
}

/** The shared arrays of one job (all on SharedArrayBuffers). */
export interface SharedArrays {
  x: Float32Array;
  y: Float32Array;
  z: Float32Array;
  a: Float32Array;
  h: Float32Array;
  g: Float32Array;
  s: Float32Array;
  argmax: Int32Array;
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
  dy: Float32Array;
  dx: Float32Array;
  dG: Float32Array;
  dA: Float32Array;
}

/** A cache describing samples [n0, n1) of the job in `ctl`, on views of the shared arrays. */
function shareCache(ctl: Int32Array, arrays: SharedArrays, n0: number, n1: number): SECache {
  const C = ctl[CTL.C];
  const S = ctl[CTL.S];
  const R = ctl[CTL.R];
  const options = resolveSEOptions('se-kernels/threads', {
    layout: SE_LAYOUTS[ctl[CTL.layout]],
    squeeze: SE_SQUEEZES[ctl[CTL.squeeze]],
    activation: SE_ACTIVATIONS[ctl[CTL.activation]],
    gate: SE_GATES[ctl[CTL.gate]],
  });
  const c = new SECache();
  c.N = n1 - n0;
  c.C = C;
  c.S = S;
  c.R = R;
  c.options = options;
  c.w1 = arrays.w1.subarray(0, R * C);
  c.b1 = ctl[CTL.hasB1] === 1 ? arrays.b1.subarray(0, R) : null;
  c.w2 = arrays.w2.subarray(0, C * R);
  c.b2 = ctl[CTL.hasB2] === 1 ? arrays.b2.subarray(0, C) : null;
  c.x = arrays.x;
  c.xOffset = ctl[CTL.xOffset] + n0 * C * S;
  c.z = arrays.z.subarray(n0 * C, n1 * C);
  c.a = arrays.a.subarray(n0 * R, n1 * R);
  c.h = arrays.h.subarray(n0 * R, n1 * R);
  c.g = arrays.g.subarray(n0 * C, n1 * C);
  c.s = arrays.s.subarray(n0 * C, n1 * C);
  c.argmax = options.squeeze === 'avg' ? null : arrays.argmax.subarray(n0 * C, n1 * C);
  return c;
}

/**
 * Runs samples [n0, n1) of the job described in `ctl` on the shared arrays: the forward or the
 * backward per-sample loop of the single-threaded path, so results are bit-identical.
 */
export function runShare(ctl: Int32Array, arrays: SharedArrays, n0: number, n1: number): void {
  if (n1 <= n0) return;
  const c = shareCache(ctl, arrays, n0, n1);
  const { C, S, R } = c;
  const acc = new Float64Array(Math.max(C, R));
  if (ctl[CTL.kind] === 0) {
    const zmax = c.options.squeeze === 'avgmax' ? new Float32Array(C) : null;
    forwardSamples(c, arrays.y.subarray(n0 * C * S, n1 * C * S), zmax, acc);
    return;
  }
  const shift = c.options.squeeze === 'max' ? null : new Float32Array(C);
  backwardSamples(
    c,
    arrays.dy,
    ctl[CTL.dyOffset] + n0 * C * S,
    arrays.dx.subarray(n0 * C * S, n1 * C * S),
    arrays.dG.subarray(n0 * C, n1 * C),
    arrays.dA.subarray(n0 * R, n1 * R),
    new Float32Array(C),
    shift,
    acc,
  );
}
