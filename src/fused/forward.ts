/**
 * The fused SE forward as three steps that `seForward` and `se-kernels/threads` share:
 * {@link planForward} reads every argument once and validates the copy, {@link bindForward} points
 * a frame at the buffers (no user code runs from the plan on), the sample loops run (here on one
 * thread), and {@link recordForward} (cache.ts) fills the cache.
 */
import { SEStateError } from '../errors.js';
import { resolveSEOptions, type ResolvedSEOptions, type SEOptions } from '../options.js';
import type { SEParams } from '../params.js';
import { gatherDense, rowMajorStrides, type FloatTensor, type PlainTensor } from '../tensor.js';
import { checkKeys } from '../arguments.js';
import { checkChannels, checkOutput } from './arguments.js';
import { recordForward, type CacheState } from './cache.js';
import type { SEFrame } from './frame.js';
import { forwardSamples } from './samples.js';
import { overlaps, type SEForwardResult, type SEWorkspace } from './workspace.js';
import {
  acquireWorkspace,
  denseCopy,
  emptyPlain,
  isShared,
  nextForward,
  pickOutput,
  releaseWorkspace,
  sampleBuffers,
  sharedParam,
  WorkspaceState,
} from './workspaceState.js';

/** Optional buffers for `seForward`: an output array for y and/or a reusable workspace. */
export interface SEForwardBuffers {
  /** Receives y (x's size, row-major); must not overlap x or the parameters. */
  y?: Float32Array;
  /** Scratch, cache and (unless `y` is given) output storage reused across calls. */
  workspace?: SEWorkspace;
}

const FORWARD_KEYS: readonly string[] = ['y', 'workspace'];

/**
 * Reads x, params and options once each into `ws`'s snapshots and validates them (the live
 * lengths last, after every read that could run user code). Returns the resolved options.
 * @internal
 */
export function planForward(fn: string, ws: WorkspaceState, x: unknown, params: unknown, options: unknown): ResolvedSEOptions {
  const xs = ws.xSnap.read(fn, 'x', x, 3, 5);
  const ps = ws.pSnap.read(fn, params);
  const opts = resolveSEOptions(fn, options);
  xs.checkData(fn, 'x');
  ps.checkData(fn);
  checkChannels(fn, xs.shape, opts, ps.channels);
  return opts;
}

/** The name of the first array the forward reads that `buf` (whole) shares memory with (`x.data`, `params.w1`, ...), or null. */
function readByForward(buf: Float32Array, x: Float32Array, xLo: number, xHi: number, w1: Float32Array, b1: Float32Array | null, w2: Float32Array, b2: Float32Array | null): string | null {
  const last = buf.length - 1;
  if (overlaps(buf, 0, last, x, xLo, xHi)) return 'x.data';
  if (overlaps(buf, 0, last, w1, 0, w1.length - 1)) return 'params.w1';
  if (b1 !== null && overlaps(buf, 0, last, b1, 0, b1.length - 1)) return 'params.b1';
  if (overlaps(buf, 0, last, w2, 0, w2.length - 1)) return 'params.w2';
  if (b2 !== null && overlaps(buf, 0, last, b2, 0, b2.length - 1)) return 'params.b2';
  return null;
}

/**
 * Checks a caller-supplied y (after {@link planForward} on `ws`): x's size, overlapping nothing the
 * forward reads. Returns it, or null when `yArg` is undefined.
 * @internal
 */
export function checkForwardOutput(fn: string, ws: WorkspaceState, yArg: unknown): Float32Array | null {
  if (yArg === undefined) return null;
  const xs = ws.xSnap;
  const ps = ws.pSnap;
  const y = checkOutput(fn, 'y', yArg, xs.size);
  const read = readByForward(y, xs.data, xs.lo, xs.hi, ps.w1, ps.b1, ps.w2, ps.b2);
  if (read !== null) throw new SEStateError(`${fn}: buffers.y overlaps ${read}, which the call reads`);
  return y;
}

/**
 * Points `f` at this forward's buffers (after {@link planForward} and, for a caller's y,
 * {@link checkForwardOutput} on `ws`; nothing is validated here, everything is written): x (the
 * caller's array, or a dense copy of a strided view, or with a shared workspace a copy in shared
 * memory), the parameters (copied into shared memory with a shared workspace), the per-sample
 * arrays; returns y: `yOut`, or the workspace's y (its second buffer when the first is read by this
 * call). With `share` (a split over threads; the workspace must be shared), the parameters are
 * copied into shared memory unless they are there already (x is the pool's to share: a strided x
 * lands in the shared workspace's dense copy). Bumps the workspace's generation: caches of earlier
 * forwards on it become stale.
 * @internal
 */
export function bindForward(fn: string, ws: WorkspaceState, opts: ResolvedSEOptions, f: SEFrame, yOut: Float32Array | null, share = false): Float32Array {
  const xs = ws.xSnap;
  const ps = ws.pSnap;
  const C = ps.channels;
  const R = ps.hidden;
  const N = xs.shape[0];
  const size = xs.size;
  nextForward(ws);
  f.setShape(N, C, size / (N * C), R, opts);
  f.x = xs.data;
  f.xOffset = xs.offset;
  if (!xs.contiguous) {
    f.x = gatherDense(denseCopy(fn, ws, 'x', size), xs);
    f.xOffset = 0;
  }
  f.w1 = ps.w1;
  f.b1 = ps.b1;
  f.w2 = ps.w2;
  f.b2 = ps.b2;
  if (share) {
    f.w1 = sharedCopy(ws, fn, 'w1', ps.w1);
    f.w2 = sharedCopy(ws, fn, 'w2', ps.w2);
    f.b1 = ps.b1 === null ? null : sharedCopy(ws, fn, 'b1', ps.b1);
    f.b2 = ps.b2 === null ? null : sharedCopy(ws, fn, 'b2', ps.b2);
  }
  let y = yOut;
  if (y === null) {
    // A previous output fed back in (or used as a parameter): write to the other buffer.
    const xLo = f.xOffset;
    const xHi = f.xOffset + size - 1;
    const pair = ws.y;
    const mainRead = readByForward(pair.main, f.x, xLo, xHi, ps.w1, ps.b1, ps.w2, ps.b2) !== null;
    const altRead = mainRead && readByForward(pair.alt, f.x, xLo, xHi, ps.w1, ps.b1, ps.w2, ps.b2) !== null;
    y = pickOutput(fn, ws, pair, 'y', size, mainRead, altRead);
  }
  const maxSqueeze = opts.squeeze !== 'avg';
  const st = sampleBuffers(fn, ws, N, C, R, maxSqueeze);
  f.z = st.z;
  f.aSaved = st.a;
  f.h = st.h;
  f.gSaved = st.g;
  f.s = st.s;
  f.argmax = maxSqueeze ? st.argmax : null;
  ws.scratch.ensure(C, R);
  return y;
}

/** A parameter array copied into the workspace's shared memory (the workers read it there). */
function sharedCopy(ws: WorkspaceState, fn: string, which: 'w1' | 'b1' | 'w2' | 'b2', src: Float32Array): Float32Array {
  return isShared(src) ? src : sharedParam(fn, ws, which, src);
}

/**
 * The steps of one forward before its sample loops run, for `seForward` and `se-kernels/threads`
 * alike: reads and checks every argument into `ws` ({@link planForward},
 * {@link checkForwardOutput}), then points `cache.frame` at the buffers ({@link bindForward}) and
 * returns y. `split` (the pool's) runs after every argument is read and checked and before any
 * buffer is written: it may throw, and says whether the samples will be split over threads (the
 * parameters then go to shared memory). Run the sample loops on `cache.frame`, then
 * {@link endForward}.
 * @internal
 */
export function beginForward(
  fn: string,
  ws: WorkspaceState,
  x: unknown,
  params: unknown,
  options: unknown,
  yArg: unknown,
  cache: CacheState,
  split: ((ws: WorkspaceState) => boolean) | null,
): Float32Array {
  const opts = planForward(fn, ws, x, params, options);
  const yOut = checkForwardOutput(fn, ws, yArg);
  const share = split === null ? false : split(ws);
  cache.filled = false;
  cache.opts = opts;
  return bindForward(fn, ws, opts, cache.frame, yOut, share);
}

/**
 * The step after a forward's sample loops: fills `cache` (whose frame {@link beginForward} bound
 * on `ws`) for the backward, tied to `owner` (the workspace holding its buffers, or null).
 * @internal
 */
export function endForward(ws: WorkspaceState, cache: CacheState, owner: WorkspaceState | null): void {
  const ps = ws.pSnap;
  recordForward(cache, ws.xSnap.shape, cache.opts, ps.w1, ps.b1, ps.w2, ps.b2, owner);
}

/** Points a reusable PlainTensor at a dense row-major buffer (its shape arrays are replaced only when the shape changes). @internal */
export function setPlain(t: PlainTensor, data: Float32Array, shape: readonly number[]): PlainTensor {
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

/** Points a reusable PlainTensor at a `[d0, d1]` (or `[d0]` when d1 < 0) buffer without allocating when the shape is unchanged. @internal */
export function setPlainDims(t: PlainTensor, data: Float32Array, d0: number, d1: number): PlainTensor {
  const rank = d1 < 0 ? 1 : 2;
  if (t.shape.length !== rank || t.shape[0] !== d0 || (rank === 2 && t.shape[1] !== d1)) {
    t.shape = rank === 1 ? [d0] : [d0, d1];
    t.stride = rank === 1 ? [1] : [d1, 1];
  }
  t.data = data;
  t.offset = 0;
  return t;
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
  return seForwardAs('seForward', x, params, options, buffers);
}

/**
 * {@link seForward} whose messages name `fn`, the method the user called (`SEBlock.forward`).
 * @internal
 */
export function seForwardAs(fn: string, x: FloatTensor, params: SEParams, options?: SEOptions, buffers?: SEForwardBuffers): SEForwardResult {
  let wsArg: unknown;
  let yArg: unknown;
  if (buffers !== undefined) {
    const b = checkKeys(fn, buffers, FORWARD_KEYS);
    wsArg = b.workspace;
    yArg = b.y;
  }
  const ws = wsArg === undefined ? null : acquireWorkspace(fn, wsArg);
  try {
    const own = ws ?? new WorkspaceState();
    const cache = own.cacheState;
    const y = beginForward(fn, own, x, params, options, yArg, cache, null);
    forwardSamples(cache.frame, y, 0, cache.frame.N, own.scratch);
    endForward(own, cache, ws);
    if (ws === null) return { y: setPlain(emptyPlain(), y, cache.xShape), cache: own.cache };
    setPlain(ws.forwardResult.y, y, cache.xShape);
    return ws.forwardResult;
  } finally {
    releaseWorkspace(ws);
  }
}

