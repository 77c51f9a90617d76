/**
 * The fused SE block: forward and its hand-derived backward, one sample at a time so that the
 * sample's slice of x (and dy) is still in cache for the second pass over it.
 *
 *   forward,  per sample: pass 1 squeezes x to z; the two small layers and the gate give s;
 *                         pass 2 writes y = s * x.
 *   backward, per sample: pass 1 reads dy and x into ds = sum_s dy * x; the small layers' backward
 *                         gives dz; pass 2 reads dy again and writes dx = s * dy + (dz routed
 *                         through the squeeze). Weight gradients are batch products at the end.
 *
 * Results are plain dense tensors here; the main entry (`index.ts`) wraps them as scijs ndarrays.
 */
import { SEShapeError, SEStateError, SETypeError, describeValue } from './errors.js';
import { activationBackward, activationForward } from './kernels/activation.js';
import { biasAddForward, biasBackward } from './kernels/bias.js';
import {
  channelScaleBackward,
  channelScaleChannelsLastBackward,
  channelScaleChannelsLastForward,
  channelScaleForward,
} from './kernels/channelScale.js';
import { matmul } from './kernels/matmul.js';
import {
  globalAvgPoolChannelsLastForward,
  globalAvgPoolForward,
  globalMaxPoolChannelsLastForward,
  globalMaxPoolForward,
} from './kernels/pooling.js';
import { resolveSEOptions, type ResolvedSEOptions, type SEOptions } from './options.js';
import { checkSEParams, type SEParams } from './params.js';
import {
  allocFloat32,
  checkTensor,
  denseView,
  formatShape,
  plainTensor,
  sampleFingerprint,
  type FloatTensor,
  type PlainTensor,
} from './tensor.js';

/** Sizes of an SE block's input: N samples, C channels, S spatial positions. */
export interface SEGeometry {
  readonly N: number;
  readonly C: number;
  readonly S: number;
  readonly R: number;
}

/**
 * What `seForward` saves for `seBackward`. Treat it as opaque.
 *
 * The rule: a cache refers to the input's buffer (when the input was contiguous) and to the
 * parameters' arrays as they were at `seForward`, without copying them. Do not modify `x.data`,
 * `params.w1/b1/w2/b2` between `seForward` and a `seBackward` that uses its cache. `seBackward`
 * checks a fingerprint of each (64 sampled positions and the last) and throws SEStateError when
 * one changed: an optimizer step or a reused input buffer is caught; a single edited element may
 * not be. A cache may be passed to `seBackward` any number of times, with the same results.
 */
export class SECache {
  /** @internal */
  constructor(
    /** The input's shape as given. */
    readonly shape: readonly number[],
    readonly geometry: SEGeometry,
    readonly options: ResolvedSEOptions,
    /** The parameters' arrays at forward time. */
    readonly w1: Float32Array,
    readonly b1: Float32Array | null,
    readonly w2: Float32Array,
    readonly b2: Float32Array | null,
    /** Dense row-major input data (the caller's own buffer, or a copy of a strided view). */
    readonly x: Float32Array,
    readonly xOffset: number,
    /** Squeezed input `[N, C]`. */
    readonly z: Float32Array,
    /** Reducing layer output before / after the activation `[N, R]`. */
    readonly a: Float32Array,
    readonly h: Float32Array,
    /** Expanding layer output before / after the gate `[N, C]`. */
    readonly g: Float32Array,
    readonly s: Float32Array,
    /** For max / avgmax squeeze: spatial index of each (sample, channel)'s first maximum `[N, C]`. */
    readonly argmax: Int32Array | null,
    /** Fingerprints of x, w1, b1, w2, b2 at forward time (see the rule above). */
    readonly fingerprints: readonly number[],
  ) {}
}

/** Fingerprints of the buffers a cache refers to, in the order x, w1, b1, w2, b2. */
function cacheFingerprints(
  x: Float32Array,
  xOffset: number,
  size: number,
  w1: Float32Array,
  b1: Float32Array | null,
  w2: Float32Array,
  b2: Float32Array | null,
): number[] {
  return [
    sampleFingerprint(x, xOffset, size),
    sampleFingerprint(w1, 0, w1.length),
    b1 === null ? 0 : sampleFingerprint(b1, 0, b1.length),
    sampleFingerprint(w2, 0, w2.length),
    b2 === null ? 0 : sampleFingerprint(b2, 0, b2.length),
  ];
}

const FINGERPRINTED = ['x.data', 'params.w1', 'params.b1', 'params.w2', 'params.b2'];

/** Output of the core `seForward`: y as a plain dense tensor, and the cache for backward. */
export interface SEForwardResult {
  y: PlainTensor;
  cache: SECache;
}

/** Output of the core `seBackward`: gradients as plain dense tensors. */
export interface SEBackwardResult {
  dx: PlainTensor;
  dw1: PlainTensor;
  db1: PlainTensor | null;
  dw2: PlainTensor;
  db2: PlainTensor | null;
}

/** Reads N, C, S from a validated input shape in the given layout and checks C against params. */
function seGeometry(fn: string, shape: readonly number[], options: ResolvedSEOptions, params: SEParams): SEGeometry {
  const rank = shape.length;
  const channelAxis = options.layout === 'channels-first' ? 1 : rank - 1;
  const C = shape[channelAxis];
  if (C !== params.channels) {
    throw new SEShapeError(
      `${fn}: x.shape[${channelAxis}] is ${C} but params.channels is ${params.channels} ` +
        `(x has shape ${formatShape(shape)}, layout '${options.layout}')`,
    );
  }
  let S = 1;
  for (let k = 1; k < rank; k++) if (k !== channelAxis) S *= shape[k];
  return { N: shape[0], C, S, R: params.hidden };
}

/**
 * Runs an SE block forward: `y = x * gate(W2 act(W1 squeeze(x) + b1) + b2)` per channel.
 * Returns plain dense tensors; the main `se-kernels` entry returns scijs ndarrays instead.
 * @param x input `[N, C, ...spatial]` (channels-first) or `[N, ...spatial, C]` (channels-last),
 *   spatial rank 1 to 3; any strided view
 * @param params the block's weights (see {@link SEParams})
 * @param options the variant (see {@link SEOptions})
 */
export function seForward(x: FloatTensor, params: SEParams, options?: SEOptions): SEForwardResult {
  const fn = 'seForward';
  const xt = checkTensor(fn, 'x', x, 3, 5);
  checkSEParams(fn, params);
  const opts = resolveSEOptions(fn, options);
  const geo = seGeometry(fn, xt.shape, opts, params);
  const { N, C, S, R } = geo;
  const { w1, b1, w2, b2 } = params;
  const { data: xd, offset: xo } = denseView(fn, 'x', xt);
  const cl = opts.layout === 'channels-last';
  const useMax = opts.squeeze !== 'avg';
  const useAvg = opts.squeeze !== 'max';

  const y = allocFloat32(fn, 'y', N * C * S);
  const z = new Float32Array(N * C);
  const a = new Float32Array(N * R);
  const h = new Float32Array(N * R);
  const g = new Float32Array(N * C);
  const s = new Float32Array(N * C);
  const argmax = useMax ? new Int32Array(N * C) : null;
  const zmax = opts.squeeze === 'avgmax' ? new Float32Array(C) : null;
  const acc = cl ? new Float64Array(C) : null;

  for (let n = 0; n < N; n++) {
    const xs = xo + n * C * S;
    const zn = n * C;
    const an = n * R;
    // Pass 1: squeeze.
    if (useAvg) {
      if (acc !== null) globalAvgPoolChannelsLastForward(z, xd, 1, S, C, acc, zn, xs);
      else globalAvgPoolForward(z, xd, C, S, zn, xs);
    }
    if (argmax !== null) {
      const target = zmax === null ? z : zmax;
      const to = zmax === null ? zn : 0;
      if (cl) globalMaxPoolChannelsLastForward(target, argmax, xd, 1, S, C, to, zn, xs);
      else globalMaxPoolForward(target, argmax, xd, C, S, to, zn, xs);
      if (zmax !== null) for (let c = 0; c < C; c++) z[zn + c] = 0.5 * z[zn + c] + 0.5 * zmax[c];
    }
    // Excitation: two small layers and the gate.
    matmul(a, z, w1, 1, R, C, false, true, an, zn, 0);
    if (b1 !== null) biasAddForward(a, a, b1, 1, R, an, an);
    activationForward(opts.activation, h, a, R, an, an);
    matmul(g, h, w2, 1, C, R, false, true, zn, an, 0);
    if (b2 !== null) biasAddForward(g, g, b2, 1, C, zn, zn);
    activationForward(opts.gate, s, g, C, zn, zn);
    // Pass 2: scale.
    if (cl) channelScaleChannelsLastForward(y, xd, s, null, 1, S, C, n * C * S, xs, zn);
    else channelScaleForward(y, xd, s, null, C, S, n * C * S, xs, zn);
  }
  const prints = cacheFingerprints(xd, xo, N * C * S, w1, b1, w2, b2);
  const cache = new SECache(xt.shape, geo, opts, w1, b1, w2, b2, xd, xo, z, a, h, g, s, argmax, prints);
  return { y: plainTensor(y, xt.shape), cache };
}

/**
 * Runs an SE block backward from the gradient of its output.
 * @param dy gradient of y, the shape of the forward's x (any strided view)
 * @param cache the cache returned by the matching `seForward` (see {@link SECache} for its rule)
 */
export function seBackward(dy: FloatTensor, cache: SECache): SEBackwardResult {
  const fn = 'seBackward';
  if (!(cache instanceof SECache)) {
    throw new SETypeError(`${fn}: cache must be the cache returned by seForward but got ${describeValue(cache)}`);
  }
  const dyt = checkTensor(fn, 'dy', dy, 3, 5);
  const shape = cache.shape;
  if (dyt.shape.length !== shape.length || dyt.shape.some((d, k) => d !== shape[k])) {
    throw new SEShapeError(`${fn}: dy has shape ${formatShape(dyt.shape)} but x had shape ${formatShape(shape)}`);
  }
  const { N, C, S, R } = cache.geometry;
  const opts = cache.options;
  const { x, xOffset, z, a, h, g, s, argmax, w1, b1, w2, b2 } = cache;
  const now = cacheFingerprints(x, xOffset, N * C * S, w1, b1, w2, b2);
  for (let k = 0; k < now.length; k++) {
    if (now[k] !== cache.fingerprints[k]) {
      throw new SEStateError(
        `${fn}: ${FINGERPRINTED[k]} changed since the seForward that made this cache; ` +
          `the cache refers to it without a copy, so run seForward again after changing it`,
      );
    }
  }
  const { data: dyd, offset: dyo } = denseView(fn, 'dy', dyt);
  const cl = opts.layout === 'channels-last';
  // Weights of the two squeeze paths in dz's routing back to x.
  const avgWeight = opts.squeeze === 'avg' ? 1 : opts.squeeze === 'avgmax' ? 0.5 : 0;
  const maxWeight = opts.squeeze === 'max' ? 1 : opts.squeeze === 'avgmax' ? 0.5 : 0;

  const dx = allocFloat32(fn, 'dx', N * C * S);
  const dG = new Float32Array(N * C);
  const dA = new Float32Array(N * R);
  const dz = new Float32Array(C);
  const shift = avgWeight !== 0 ? new Float32Array(C) : null;
  const acc = cl ? new Float64Array(C) : null;

  for (let n = 0; n < N; n++) {
    const xs = xOffset + n * C * S;
    const ys = dyo + n * C * S;
    const xn = n * C * S;
    const zn = n * C;
    const an = n * R;
    // Pass 1: ds = sum_s dy * x, into dG's row.
    if (acc !== null) channelScaleChannelsLastBackward(null, dG, dyd, x, s, 1, S, C, acc, 0, zn, ys, xs, zn);
    else channelScaleBackward(null, dG, dyd, x, s, C, S, 0, zn, ys, xs, zn);
    // Back through the gate and the two small layers to dz.
    activationBackward(opts.gate, dG, dG, g, C, zn, zn, zn);
    matmul(dA, dG, w2, 1, R, C, false, false, an, zn, 0);
    activationBackward(opts.activation, dA, dA, a, R, an, an, an);
    matmul(dz, dA, w1, 1, C, R, false, false, 0, an, 0);
    // Pass 2: dx = s * dy + dz routed through the squeeze (avg: spread as dz / S).
    if (shift !== null) for (let c = 0; c < C; c++) shift[c] = (avgWeight * dz[c]) / S;
    if (cl) channelScaleChannelsLastForward(dx, dyd, s, shift, 1, S, C, xn, ys, zn, 0);
    else channelScaleForward(dx, dyd, s, shift, C, S, xn, ys, zn, 0);
    if (argmax !== null) {
      for (let c = 0; c < C; c++) {
        const at = cl ? xn + argmax[zn + c] * C + c : xn + c * S + argmax[zn + c];
        dx[at] += maxWeight * dz[c];
      }
    }
  }
  const dw1 = matmul(new Float32Array(R * C), dA, z, R, C, N, true, false);
  const dw2 = matmul(new Float32Array(C * R), dG, h, C, R, N, true, false);
  const db1 = b1 === null ? null : biasBackward(new Float32Array(R), dA, N, R);
  const db2 = b2 === null ? null : biasBackward(new Float32Array(C), dG, N, C);
  return {
    dx: plainTensor(dx, shape),
    dw1: plainTensor(dw1, [R, C]),
    db1: db1 === null ? null : plainTensor(db1, [R]),
    dw2: plainTensor(dw2, [C, R]),
    db2: db2 === null ? null : plainTensor(db2, [C]),
  };
}
