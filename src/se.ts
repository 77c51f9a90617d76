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
 * With an {@link SEWorkspace}, every buffer (outputs included) is reused and a call in steady
 * state allocates nothing.
 */
import { SEOptionError, SEShapeError, SEStateError, SETypeError, hasBrand, describeValue } from './errors.js';
import { activationBackward, activationForward } from './kernels/activation.js';
import { biasBackward } from './kernels/bias.js';
import {
  channelScaleGradient,
  channelScaleChannelsLastBackward,
  channelScaleChannelsLastForward,
  channelScaleForward,
  channelScaleShiftForward,
} from './kernels/channelScale.js';
import { matmul, matvec, matvecTransposed } from './kernels/matmul.js';
import {
  globalAvgPoolChannelsLastForward,
  globalAvgPoolForward,
  globalMaxPoolChannelsLastForward,
  globalMaxPoolForward,
} from './kernels/pooling.js';
import { resolveSEOptions, type ResolvedSEOptions, type SEOptions } from './options.js';
import { checkSEParams, type SEParams } from './params.js';
import {
  formatShape,
  gatherDense,
  inspectTensor,
  isFloat32Array,
  rowMajorStrides,
  sampleFingerprint,
  TensorView,
  type FloatTensor,
  type PlainTensor,
} from './tensor.js';
import { SEWorkspace, sized } from './workspace.js';

const CACHE = Symbol.for('se-kernels.SECache');

/**
 * What `seForward` saves for `seBackward`. Treat it as opaque and read-only.
 *
 * The rule: a cache refers to the input's buffer (when the input was contiguous; a strided view is
 * copied) and to the parameters' arrays as they were at `seForward`, without copying them. Do not
 * modify them before a `seBackward` that uses the cache: `seBackward` checks a fingerprint of each
 * (64 sampled positions and the last) and throws SEStateError naming the one that changed, which
 * catches an optimizer step or a refilled input buffer (a single edited element may slip by).
 * A cache may be passed to `seBackward` any number of times, with the same results.
 * With a workspace, `seForward` returns the workspace's one cache object, updated in place: it
 * always describes the latest `seForward` on that workspace.
 */
export class SECache {
  /** @internal Brand recognised by `instanceof` across copies of the package. */
  readonly [CACHE] = true;
  /** `instanceof` by brand: true for instances from any copy of se-kernels (ESM and CommonJS builds, duplicate installs). */
  static [Symbol.hasInstance](v: unknown): boolean {
    return hasBrand(v, CACHE);
  }
  /** The input's shape as given. */
  shape: readonly number[] = [];
  /** Samples, channels, spatial positions, hidden width. */
  N = 0;
  C = 0;
  S = 0;
  R = 0;
  options: ResolvedSEOptions = resolveSEOptions('SECache', undefined);
  /** The parameters' arrays at forward time. */
  w1: Float32Array = new Float32Array(0);
  b1: Float32Array | null = null;
  w2: Float32Array = new Float32Array(0);
  b2: Float32Array | null = null;
  /** Dense row-major input data (the caller's own buffer, or a copy of a strided view) and its offset. */
  x: Float32Array = new Float32Array(0);
  xOffset = 0;
  /** Squeezed input `[N, C]`. */
  z: Float32Array = new Float32Array(0);
  /** Reducing layer output before / after the activation `[N, R]`. */
  a: Float32Array = new Float32Array(0);
  h: Float32Array = new Float32Array(0);
  /** Expanding layer output before / after the gate `[N, C]`. */
  g: Float32Array = new Float32Array(0);
  s: Float32Array = new Float32Array(0);
  /** For max / avgmax squeeze: spatial index of each (sample, channel)'s first maximum `[N, C]`. */
  argmax: Int32Array | null = null;
  /** Fingerprints of x, w1, b1, w2, b2 at forward time (see the rule above). */
  fx = 0;
  fw1 = 0;
  fb1 = 0;
  fw2 = 0;
  fb2 = 0;
  /** The workspace the buffers live in, or null when they belong to this cache alone. */
  workspace: SEWorkspace | null = null;
}

/** Optional buffers for `seForward`: an output array for y and/or a reusable workspace. */
export interface SEForwardBuffers {
  /** Receives y (x's size, row-major); must not overlap x or the parameters. */
  y?: Float32Array;
  /** Scratch, cache and (unless `y` is given) output storage reused across calls. */
  workspace?: SEWorkspace;
}

/** Optional buffers for `seBackward`: output arrays and/or a reusable workspace. */
export interface SEBackwardBuffers {
  /** Receives dx; may be dy's own buffer (in place, when dy is dense with offset 0), must not overlap anything else. */
  dx?: Float32Array;
  dw1?: Float32Array;
  db1?: Float32Array;
  dw2?: Float32Array;
  db2?: Float32Array;
  /** Scratch and (for outputs not given) output storage reused across calls. */
  workspace?: SEWorkspace;
}

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

/** Result objects a workspace reuses, so the core calls return without allocating. */
interface ReusedResults {
  forward: SEForwardResult;
  backward: SEBackwardResult;
  cache: SECache;
}
const reused = new WeakMap<SEWorkspace, ReusedResults>();

function plain(): PlainTensor {
  return { data: new Float32Array(0), shape: [], stride: [], offset: 0 };
}

function resultsOf(ws: SEWorkspace): ReusedResults {
  let r = reused.get(ws);
  if (r === undefined) {
    r = {
      forward: { y: plain(), cache: new SECache() },
      backward: { dx: plain(), dw1: plain(), db1: null, dw2: plain(), db2: null },
      cache: new SECache(),
    };
    r.forward.cache = r.cache;
    reused.set(ws, r);
  }
  return r;
}

/** Points `t` at a `[d0, d1]` (or `[d0]` when d1 < 0) buffer, reusing its arrays when the shape is unchanged. */
function setPlainDims(t: PlainTensor, data: Float32Array, d0: number, d1: number): PlainTensor {
  const rank = d1 < 0 ? 1 : 2;
  if (t.shape.length !== rank || t.shape[0] !== d0 || (rank === 2 && t.shape[1] !== d1)) {
    t.shape = rank === 1 ? [d0] : [d0, d1];
    t.stride = rank === 1 ? [1] : [d1, 1];
  }
  t.data = data;
  t.offset = 0;
  return t;
}

/** Points `t` at `data` with `shape`, reusing its arrays when the shape is unchanged. */
function setPlain(t: PlainTensor, data: Float32Array, shape: readonly number[]): PlainTensor {
  let same = t.shape.length === shape.length;
  for (let k = 0; same && k < shape.length; k++) same = t.shape[k] === shape[k];
  if (!same) {
    t.shape = shape.slice();
    t.stride = rowMajorStrides(shape);
  }
  t.data = data;
  t.offset = 0;
  return t;
}

function newPlain(data: Float32Array, shape: readonly number[]): PlainTensor {
  return setPlain(plain(), data, shape);
}

/** True when two typed arrays share any bytes. */
function overlaps(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

function checkWorkspace(fn: string, ws: unknown): SEWorkspace | null {
  if (ws === undefined) return null;
  if (!(ws instanceof SEWorkspace)) throw new SETypeError(`${fn}: buffers.workspace must be an SEWorkspace but got ${describeValue(ws)}`);
  return ws;
}

/**
 * What the current call still reads, for the overlap checks of its output buffers: module-level
 * and reused (no allocation per call), cleared after each check so no caller buffer is retained.
 */
const READ_NAMES = ['x.data', 'params.w1', 'params.b1', 'params.w2', 'params.b2', 'dy.data', 'the cache', 'the cache', 'the cache', 'the cache', 'the cache'];
const reads: (Float32Array | null)[] = READ_NAMES.map(() => null);
const OUT_NAMES = ['dx', 'dw1', 'dw2', 'db1', 'db2'];
const outs: (Float32Array | null)[] = OUT_NAMES.map(() => null);

/** Checks an output buffer: a Float32Array of exactly n values overlapping nothing in `reads` (but `allowSame`). */
function checkOut(fn: string, name: string, out: unknown, n: number, allowSame: Float32Array | null = null): Float32Array | null {
  if (out === undefined) return null;
  if (!isFloat32Array(out)) throw new SETypeError(`${fn}: buffers.${name} must be a Float32Array but got ${describeValue(out)}`);
  if (out.length !== n) throw new SEShapeError(`${fn}: buffers.${name} has length ${out.length} but needs ${n}`);
  for (let k = 0; k < reads.length; k++) {
    const arr = reads[k];
    if (arr === null || arr === allowSame) continue;
    if (overlaps(out, arr)) throw new SEStateError(`${fn}: buffers.${name} overlaps ${READ_NAMES[k]}, which the call still reads`);
  }
  return out;
}

function forgetReads(): void {
  reads.fill(null);
  outs.fill(null);
}

const NO_BUFFERS: Readonly<Record<string, unknown>> = Object.freeze({});

/** Validates a `buffers` argument: an object whose keys are among `allowed` (a misspelt key is an error, not ignored). */
function checkBuffers(fn: string, buffers: unknown, allowed: readonly string[]): Readonly<Record<string, unknown>> {
  if (buffers === undefined) return NO_BUFFERS;
  if (buffers === null || typeof buffers !== 'object') {
    throw new SETypeError(`${fn}: buffers must be an object like { workspace } but got ${describeValue(buffers)}`);
  }
  for (const key in buffers) {
    if (!allowed.includes(key)) {
      throw new SEOptionError(`${fn}: unknown buffers key '${key}'; expected ${allowed.join(', ')}`);
    }
  }
  return buffers as Record<string, unknown>;
}

const FORWARD_BUFFERS = ['y', 'workspace'];
const BACKWARD_BUFFERS = ['dx', 'dw1', 'db1', 'dw2', 'db2', 'workspace'];

/**
 * The channel count of an input of this shape in the options' layout, checked against
 * `params.channels` (SEShapeError naming both otherwise).
 * @internal Also used by se-kernels/threads.
 */
export function checkChannels(fn: string, shape: readonly number[], opts: ResolvedSEOptions, params: SEParams): number {
  const channelAxis = opts.layout === 'channels-first' ? 1 : shape.length - 1;
  const C = shape[channelAxis];
  if (C !== params.channels) {
    throw new SEShapeError(
      `${fn}: x.shape[${channelAxis}] is ${C} but params.channels is ${params.channels} ` +
        `(x has shape ${formatShape(shape)}, layout '${opts.layout}')`,
    );
  }
  return C;
}

/**
 * The weight gradients from the per-sample rows of dG (`[N, C]`) and dA (`[N, R]`): batch
 * products summed over all N samples in one fixed order (so a split backward is bit-identical).
 * @internal Also used by se-kernels/threads.
 */
export function weightGradients(
  dw1: Float32Array,
  dw2: Float32Array,
  db1: Float32Array | null,
  db2: Float32Array | null,
  dG: Float32Array,
  dA: Float32Array,
  z: Float32Array,
  h: Float32Array,
  N: number,
  C: number,
  R: number,
  acc: Float64Array,
): void {
  matmul(dw1, dA, z, R, C, N, true, false, 0, 0, 0, acc);
  matmul(dw2, dG, h, C, R, N, true, false, 0, 0, 0, acc);
  if (db1 !== null) biasBackward(db1, dA, N, R);
  if (db2 !== null) biasBackward(db2, dG, N, C);
}

/**
 * Runs an SE block forward: `y = x * gate(W2 act(W1 squeeze(x) + b1) + b2)` per channel.
 * Returns plain dense tensors; the main `se-kernels` entry returns scijs ndarrays instead.
 * @param x input `[N, C, ...spatial]` (channels-first) or `[N, ...spatial, C]` (channels-last),
 *   spatial rank 1 to 3; any strided view
 * @param params the block's weights (see {@link SEParams})
 * @param options the variant (see {@link SEOptions})
 * @param buffers optional output array for y and/or a reusable {@link SEWorkspace}
 */
export function seForward(x: FloatTensor, params: SEParams, options?: SEOptions, buffers?: SEForwardBuffers): SEForwardResult {
  const fn = 'seForward';
  const b = checkBuffers(fn, buffers, FORWARD_BUFFERS);
  const ws = checkWorkspace(fn, b.workspace);
  const xt = inspectTensor(ws === null ? new TensorView() : ws.xView, fn, 'x', x, 3, 5);
  checkSEParams(fn, params);
  const opts = resolveSEOptions(fn, options);
  const rank = xt.shape.length;
  const C = checkChannels(fn, xt.shape, opts, params);
  const N = xt.shape[0];
  const S = xt.size / (N * C);
  const R = params.hidden;
  const { w1, b1, w2, b2 } = params;
  let yOut: Float32Array | null = null;
  if (b.y !== undefined) {
    reads[0] = xt.data;
    reads[1] = w1;
    reads[2] = b1;
    reads[3] = w2;
    reads[4] = b2;
    try {
      yOut = checkOut(fn, 'y', b.y, xt.size);
    } finally {
      forgetReads();
    }
  }

  // Everything is validated: from here on, buffers are written.
  const own = ws ?? new SEWorkspace();
  let xd = xt.data;
  let xo = xt.offset;
  if (!xt.contiguous) {
    own.xCopy = sized(fn, 'a dense copy of x', own.xCopy, xt.size);
    xd = gatherDense(own.xCopy, xt);
    xo = 0;
  }
  // The workspace's y may be this call's x (a previous output fed back in): then write elsewhere.
  if (yOut === null && overlaps(own.y, xd)) own.y = new Float32Array(0);
  const y = yOut ?? (own.y = sized(fn, 'y', own.y, xt.size));
  const z = (own.z = sized(fn, 'z', own.z, N * C));
  const a = (own.a = sized(fn, 'a', own.a, N * R));
  const h = (own.h = sized(fn, 'h', own.h, N * R));
  const g = (own.g = sized(fn, 'g', own.g, N * C));
  const s = (own.s = sized(fn, 's', own.s, N * C));
  const useMax = opts.squeeze !== 'avg';
  if (useMax && own.argmax.length !== N * C) own.argmax = new Int32Array(N * C);
  if (opts.squeeze === 'avgmax') own.zmax = sized(fn, 'zmax', own.zmax, C);
  if (own.acc.length < Math.max(C, R)) own.acc = new Float64Array(Math.max(C, R));
  const argmax = useMax ? own.argmax : null;
  const zmax = opts.squeeze === 'avgmax' ? own.zmax : null;
  const acc = own.acc;

  const results = ws === null ? null : resultsOf(ws);
  const cache = results === null ? new SECache() : results.cache;
  let sameShape = cache.shape.length === rank;
  for (let k = 0; sameShape && k < rank; k++) sameShape = cache.shape[k] === xt.shape[k];
  if (!sameShape) cache.shape = xt.shape.slice();
  cache.N = N;
  cache.C = C;
  cache.S = S;
  cache.R = R;
  cache.options = opts;
  cache.w1 = w1;
  cache.b1 = b1;
  cache.w2 = w2;
  cache.b2 = b2;
  cache.x = xd;
  cache.xOffset = xo;
  cache.z = z;
  cache.a = a;
  cache.h = h;
  cache.g = g;
  cache.s = s;
  cache.argmax = argmax;
  forwardSamples(cache, y, zmax, acc);
  cache.fx = sampleFingerprint(xd, xo, xt.size);
  cache.fw1 = sampleFingerprint(w1, 0, w1.length);
  cache.fb1 = b1 === null ? 0 : sampleFingerprint(b1, 0, b1.length);
  cache.fw2 = sampleFingerprint(w2, 0, w2.length);
  cache.fb2 = b2 === null ? 0 : sampleFingerprint(b2, 0, b2.length);
  cache.workspace = ws;
  if (results === null) return { y: newPlain(y, cache.shape), cache };
  setPlain(results.forward.y, y, cache.shape);
  return results.forward;
}

/**
 * Throws SEStateError when a buffer the cache refers to changed since seForward.
 * @internal
 */
export function checkFingerprints(fn: string, c: SECache): void {
  const changed =
    sampleFingerprint(c.x, c.xOffset, c.N * c.C * c.S) !== c.fx
      ? 'x.data'
      : sampleFingerprint(c.w1, 0, c.w1.length) !== c.fw1
        ? 'params.w1'
        : c.b1 !== null && sampleFingerprint(c.b1, 0, c.b1.length) !== c.fb1
          ? 'params.b1'
          : sampleFingerprint(c.w2, 0, c.w2.length) !== c.fw2
            ? 'params.w2'
            : c.b2 !== null && sampleFingerprint(c.b2, 0, c.b2.length) !== c.fb2
              ? 'params.b2'
              : null;
  if (changed !== null) {
    throw new SEStateError(
      `${fn}: ${changed} changed since the seForward that made this cache; ` +
        `the cache refers to it without a copy, so run seForward again after changing it`,
    );
  }
}

/**
 * Runs an SE block backward from the gradient of its output.
 * @param dy gradient of y, the shape of the forward's x (any strided view)
 * @param cache the cache returned by the matching `seForward` (see {@link SECache} for its rule)
 * @param buffers optional output arrays and/or a reusable {@link SEWorkspace}
 */
export function seBackward(dy: FloatTensor, cache: SECache, buffers?: SEBackwardBuffers): SEBackwardResult {
  const fn = 'seBackward';
  if (!(cache instanceof SECache)) {
    throw new SETypeError(`${fn}: cache must be the cache returned by seForward but got ${describeValue(cache)}`);
  }
  const bufs = checkBuffers(fn, buffers, BACKWARD_BUFFERS);
  const ws = checkWorkspace(fn, bufs.workspace);
  const dyt = inspectTensor(ws === null ? new TensorView() : ws.dyView, fn, 'dy', dy, 3, 5);
  const shape = cache.shape;
  let same = dyt.shape.length === shape.length;
  for (let k = 0; same && k < shape.length; k++) same = dyt.shape[k] === shape[k];
  if (!same) throw new SEShapeError(`${fn}: dy has shape ${formatShape(dyt.shape)} but x had shape ${formatShape(shape)}`);
  checkFingerprints(fn, cache);
  const { N, C, S, R, x, z, a, h, g, s, w1, b1, w2, b2 } = cache;
  const opts = cache.options;
  const size = N * C * S;
  let dxOut: Float32Array | null = null;
  let dw1Out: Float32Array | null = null;
  let dw2Out: Float32Array | null = null;
  let db1Out: Float32Array | null = null;
  let db2Out: Float32Array | null = null;
  if (bufs.dx !== undefined || bufs.dw1 !== undefined || bufs.dw2 !== undefined || bufs.db1 !== undefined || bufs.db2 !== undefined) {
    reads[0] = x;
    reads[1] = w1;
    reads[2] = b1;
    reads[3] = w2;
    reads[4] = b2;
    reads[5] = dyt.data;
    reads[6] = z;
    reads[7] = a;
    reads[8] = h;
    reads[9] = g;
    reads[10] = s;
    try {
      // dx may be dy itself (in place): each element of dy is read before its dx is written.
      dxOut = checkOut(fn, 'dx', bufs.dx, size, dyt.contiguous && dyt.offset === 0 ? dyt.data : null);
      dw1Out = checkOut(fn, 'dw1', bufs.dw1, R * C);
      dw2Out = checkOut(fn, 'dw2', bufs.dw2, C * R);
      db1Out = checkOut(fn, 'db1', bufs.db1, R);
      db2Out = checkOut(fn, 'db2', bufs.db2, C);
      outs[0] = dxOut;
      outs[1] = dw1Out;
      outs[2] = dw2Out;
      outs[3] = db1Out;
      outs[4] = db2Out;
      for (let i = 0; i < outs.length; i++) {
        for (let j = i + 1; j < outs.length; j++) {
          const p = outs[i];
          const q = outs[j];
          if (p !== null && q !== null && overlaps(p, q)) throw new SEStateError(`${fn}: buffers.${OUT_NAMES[i]} overlaps buffers.${OUT_NAMES[j]}`);
        }
      }
    } finally {
      forgetReads();
    }
  }

  // Everything is validated: from here on, buffers are written.
  const own = ws ?? new SEWorkspace();
  let dyd = dyt.data;
  let dyo = dyt.offset;
  if (!dyt.contiguous) {
    own.dyCopy = sized(fn, 'a dense copy of dy', own.dyCopy, size);
    dyd = gatherDense(own.dyCopy, dyt);
    dyo = 0;
  }
  const needShift = opts.squeeze !== 'max';
  const dx = dxOut ?? (own.dx = sized(fn, 'dx', own.dx, size));
  const dG = (own.dG = sized(fn, 'dG', own.dG, N * C));
  const dA = (own.dA = sized(fn, 'dA', own.dA, N * R));
  const dz = (own.dz = sized(fn, 'dz', own.dz, C));
  const shift = needShift ? (own.shift = sized(fn, 'shift', own.shift, C)) : null;
  if (own.acc.length < Math.max(C, R)) own.acc = new Float64Array(Math.max(C, R));
  const acc = own.acc;

  backwardSamples(cache, dyd, dyo, dx, dG, dA, dz, shift, acc);
  const dw1 = dw1Out ?? (own.dw1 = sized(fn, 'dw1', own.dw1, R * C));
  const dw2 = dw2Out ?? (own.dw2 = sized(fn, 'dw2', own.dw2, C * R));
  const db1 = b1 === null ? null : db1Out ?? (own.db1 = sized(fn, 'db1', own.db1, R));
  const db2 = b2 === null ? null : db2Out ?? (own.db2 = sized(fn, 'db2', own.db2, C));
  weightGradients(dw1, dw2, db1, db2, dG, dA, z, h, N, C, R, acc);
  if (ws === null) {
    return {
      dx: newPlain(dx, shape),
      dw1: newPlain(dw1, [R, C]),
      db1: db1 === null ? null : newPlain(db1, [R]),
      dw2: newPlain(dw2, [C, R]),
      db2: db2 === null ? null : newPlain(db2, [C]),
    };
  }
  const r = resultsOf(ws).backward;
  setPlain(r.dx, dx, shape);
  setPlainDims(r.dw1, dw1, R, C);
  r.db1 = db1 === null ? null : setPlainDims(r.db1 ?? plain(), db1, R, -1);
  setPlainDims(r.dw2, dw2, C, R);
  r.db2 = db2 === null ? null : setPlainDims(r.db2 ?? plain(), db2, C, -1);
  return r;
}

/**
 * The forward's sample loop: pass 1 (squeeze), the excitation, pass 2 (scale), per sample. Kept
 * small and separate from the validation so the JIT inlines the pass kernels into it (the same
 * loops compiled on their own run measurably slower). Also run by `se-kernels/threads` on each
 * thread's share of the batch.
 * @internal
 */
export function forwardSamples(c: SECache, y: Float32Array, zmax: Float32Array | null, acc: Float64Array): void {
  const { N, C, S, x, xOffset, z, s, argmax } = c;
  const opts = c.options;
  const cl = opts.layout === 'channels-last';
  const useAvg = opts.squeeze !== 'max';
  for (let n = 0; n < N; n++) {
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
    exciteSample(c, n);
    // Pass 2: scale.
    if (cl) channelScaleChannelsLastForward(y, x, s, null, 1, S, C, n * C * S, xs, zn);
    else channelScaleForward(y, x, s, C, S, n * C * S, xs, zn);
  }
}

/** The excitation of sample n: the two small layers and the gate, from z to s. */
function exciteSample(c: SECache, n: number): void {
  const { C, R, z, a, h, g, s, w1, b1, w2, b2 } = c;
  const zn = n * C;
  const an = n * R;
  matvec(a, w1, z, R, C, b1, an, zn);
  activationForward(c.options.activation, h, a, R, an, an);
  matvec(g, w2, h, C, R, b2, zn, an);
  activationForward(c.options.gate, s, g, C, zn, zn);
}

/**
 * The backward's sample loop: pass 1 (ds = sum dy * x), back through the gate and the small
 * layers to dz, pass 2 (dx = s * dy + dz routed through the squeeze), per sample. Separate from
 * the validation for the same reason as {@link forwardSamples}. Also run by `se-kernels/threads`.
 * @internal
 */
export function backwardSamples(
  c: SECache,
  dy: Float32Array,
  dyOffset: number,
  dx: Float32Array,
  dG: Float32Array,
  dA: Float32Array,
  dz: Float32Array,
  shift: Float32Array | null,
  acc: Float64Array,
): void {
  const { N, C, S, x, xOffset, s, argmax } = c;
  const opts = c.options;
  const cl = opts.layout === 'channels-last';
  // Weights of the two squeeze paths in dz's routing back to x (computed here, not passed in:
  // a fractional number passed to a call that is not inlined is boxed, an allocation per call).
  const avgWeight = opts.squeeze === 'avg' ? 1 : opts.squeeze === 'avgmax' ? 0.5 : 0;
  const maxWeight = opts.squeeze === 'max' ? 1 : opts.squeeze === 'avgmax' ? 0.5 : 0;
  for (let n = 0; n < N; n++) {
    const xs = xOffset + n * C * S;
    const ys = dyOffset + n * C * S;
    const xn = n * C * S;
    const zn = n * C;
    // Pass 1: ds = sum_s dy * x, into dG's row.
    if (cl) channelScaleChannelsLastBackward(null, dG, dy, x, s, 1, S, C, acc, 0, zn, ys, xs, zn);
    else channelScaleGradient(dG, dy, x, C, S, zn, ys, xs);
    exciteBackwardSample(c, n, dG, dA, dz, acc);
    // Pass 2: dx = s * dy + dz routed through the squeeze (avg: spread as dz / S).
    if (shift !== null) for (let k = 0; k < C; k++) shift[k] = (avgWeight * dz[k]) / S;
    if (cl) channelScaleChannelsLastForward(dx, dy, s, shift, 1, S, C, xn, ys, zn, 0);
    else if (shift !== null) channelScaleShiftForward(dx, dy, s, shift, C, S, xn, ys, zn, 0);
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
function exciteBackwardSample(c: SECache, n: number, dG: Float32Array, dA: Float32Array, dz: Float32Array, acc: Float64Array): void {
  const { C, R, a, g, w1, w2 } = c;
  const zn = n * C;
  const an = n * R;
  activationBackward(c.options.gate, dG, dG, g, C, zn, zn, zn);
  matvecTransposed(dA, w2, dG, C, R, acc, an, zn);
  activationBackward(c.options.activation, dA, dA, a, R, an, an, an);
  matvecTransposed(dz, w1, dA, R, C, acc, 0, an);
}
