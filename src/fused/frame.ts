/**
 * The state one fused SE computation works on: sizes, the variant, and every array the sample
 * loops read or write. One class, so V8 sees one object shape wherever a frame is used (the
 * calling thread, a worker thread, a cache).
 */
import type { ActivationKind } from '../kernels/activation.js';
import type { ResolvedSEOptions, SESqueeze } from '../options.js';

/** A zero-length array: the value of every array field not in use (never written). */
export const EMPTY_F32 = new Float32Array(0);

/**
 * Sizes, variant and arrays of one fused SE forward (and the backward from it). Per-sample arrays
 * are indexed from 0 for sample 0 (`z[n * C + c]`, `a[n * R + j]`); x from `xOffset`.
 * @internal
 */
export class SEFrame {
  /** Samples, channels, spatial positions, hidden width. */
  N = 0;
  C = 0;
  S = 0;
  R = 0;
  /** True for `[N, ...spatial, C]` data. */
  channelsLast = false;
  squeeze: SESqueeze = 'avg';
  activation: ActivationKind = 'relu';
  gate: ActivationKind = 'sigmoid';
  /** Dense row-major input (the caller's buffer or a copy) and where sample 0 starts in it. */
  x: Float32Array = EMPTY_F32;
  xOffset = 0;
  /** The parameters as read by the forward. */
  w1: Float32Array = EMPTY_F32;
  b1: Float32Array | null = null;
  w2: Float32Array = EMPTY_F32;
  b2: Float32Array | null = null;
  /**
   * Squeezed input `[N, C]`; what the activation's backward needs `[N, R]` (the reducing layer's
   * output a, or the activation's slope at a: see `activationForwardSaving`) and its output h
   * `[N, R]`; likewise for the gate `[N, C]`, and its output s `[N, C]`.
   */
  z: Float32Array = EMPTY_F32;
  aSaved: Float32Array = EMPTY_F32;
  h: Float32Array = EMPTY_F32;
  gSaved: Float32Array = EMPTY_F32;
  s: Float32Array = EMPTY_F32;
  /** For max / avgmax squeeze: spatial index of each (sample, channel)'s first maximum `[N, C]`. */
  argmax: Int32Array | null = null;

  /** Sets sizes and variant. */
  setShape(N: number, C: number, S: number, R: number, options: ResolvedSEOptions): void {
    this.N = N;
    this.C = C;
    this.S = S;
    this.R = R;
    this.channelsLast = options.layout === 'channels-last';
    this.squeeze = options.squeeze;
    this.activation = options.activation;
    this.gate = options.gate;
  }
}

/**
 * Per-thread scratch of the sample loops, grown on demand and reused (one per workspace, one per
 * worker thread).
 * @internal
 */
export class SEScratch {
  /** Float64 accumulators, at least max(C, R). */
  acc: Float64Array = new Float64Array(0);
  /** avgmax: one sample's max-pooled values `[C]`. */
  zmax: Float32Array = EMPTY_F32;
  /** Backward: one sample's gradient of z `[C]`, and its share spread over the spatial positions `[C]`. */
  dz: Float32Array = EMPTY_F32;
  shift: Float32Array = EMPTY_F32;

  /** Grows the buffers for C channels and R hidden units (allocates only when they are too small). */
  ensure(C: number, R: number): void {
    const m = C > R ? C : R;
    if (this.acc.length < m) this.acc = new Float64Array(m);
    if (this.zmax.length < C) {
      this.zmax = new Float32Array(C);
      this.dz = new Float32Array(C);
      this.shift = new Float32Array(C);
    }
  }
}

/** Caller-supplied output arrays of one backward, checked (null where not given). @internal */
export interface BackwardOutputs {
  dx: Float32Array | null;
  dw1: Float32Array | null;
  db1: Float32Array | null;
  dw2: Float32Array | null;
  db2: Float32Array | null;
}

/** The arrays one backward runs on: dy (dense from `dyOffset`), dx, and the per-sample gradients dG `[N, C]`, dA `[N, R]`. @internal */
export class BoundBackward {
  dy: Float32Array = EMPTY_F32;
  dyOffset = 0;
  dx: Float32Array = EMPTY_F32;
  dG: Float32Array = EMPTY_F32;
  dA: Float32Array = EMPTY_F32;
}
