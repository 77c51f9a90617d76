/**
 * The fused SE backward as steps that `seBackward` and `se-kernels/threads` share:
 * {@link planBackward} reads dy once and checks it and the cache, {@link checkBackwardOutputs}
 * checks caller-supplied output arrays, {@link bindBackward} picks the buffers, the sample loops
 * run, and `weightGradients` sums the weight gradients over the batch.
 */
import { SEShapeError, SEStateError } from '../errors.js';
import { formatShape, gatherDense, type FloatTensor } from '../tensor.js';
import { checkKeys } from '../arguments.js';
import { checkOutput } from './arguments.js';
import { checkCache, checkCacheArgument, type CacheState, type SECache } from './cache.js';
import type { BackwardOutputs, BoundBackward, SEFrame } from './frame.js';
import { setPlain, setPlainDims } from './forward.js';
import { backwardSamples, weightGradients } from './samples.js';
import { viewBuffer } from '../intrinsics.js';
import { overlaps, sameMemory, type SEBackwardResult, type SEWorkspace } from './workspace.js';
import {
  acquireWorkspace,
  denseCopy,
  emptyPlain,
  forgetReads,
  isNoted,
  noteReads,
  pickOutput,
  releaseWorkspace,
  sampleGradients,
  weightGradient,
  WorkspaceState,
} from './workspaceState.js';

/** Optional buffers for `seBackward`: output arrays and/or a reusable workspace. */
export interface SEBackwardBuffers {
  /**
   * Receives dx (x's size, row-major). It may be exactly dy's memory (in place: dy dense, dx's
   * elements the same memory as dy's, start to end); any other overlap with what the call reads is
   * an SEStateError.
   */
  dx?: Float32Array;
  /** Receives dW1 `[R, C]`. */
  dw1?: Float32Array;
  /** Receives db1 `[R]` (ignored without biases). */
  db1?: Float32Array;
  /** Receives dW2 `[C, R]`. */
  dw2?: Float32Array;
  /** Receives db2 `[C]` (ignored without biases). */
  db2?: Float32Array;
  /** Scratch and (for outputs not given) output storage reused across calls. */
  workspace?: SEWorkspace;
}

const BACKWARD_KEYS: readonly string[] = ['dx', 'dw1', 'db1', 'dw2', 'db2', 'workspace'];
const OUTPUT_NAMES = ['dx', 'dw1', 'db1', 'dw2', 'db2'] as const;

/**
 * Reads dy once into `ws`'s snapshot and checks it (rank, live length, the forward's shape) and the
 * cache (one of ours, filled, not stale, x and params unchanged). `ws` may hold the cache.
 * @internal
 */
export function planBackward(fn: string, ws: WorkspaceState, dy: unknown, cacheArg: unknown): CacheState {
  const cache = checkCacheArgument(fn, cacheArg);
  const dys = ws.dySnap.read(fn, 'dy', dy, 3, 5);
  dys.checkData(fn, 'dy');
  checkCache(fn, cache, ws);
  const shape = cache.xShape;
  let same = dys.shape.length === shape.length;
  for (let k = 0; same && k < shape.length; k++) same = dys.shape[k] === shape[k];
  if (!same) throw new SEShapeError(`${fn}: dy has shape ${formatShape(dys.shape)} but x had shape ${formatShape(shape)}`);
  return cache;
}

/**
 * What elements `[lo, hi]` of `buf` share memory with among what the backward of `f` reads besides
 * dy ('x.data', 'params.w1', ..., 'the cache'), or null.
 */
function cacheReadOverlapping(buf: Float32Array, lo: number, hi: number, f: SEFrame, cache: CacheState): string | null {
  const size = f.N * f.C * f.S;
  if (overlaps(buf, lo, hi, f.x, f.xOffset, f.xOffset + size - 1)) return 'x.data';
  const u = cache.user;
  if (overlaps(buf, lo, hi, u.w1, 0, u.w1.length - 1) || overlaps(buf, lo, hi, f.w1, 0, f.w1.length - 1)) return 'params.w1';
  if (overlaps(buf, lo, hi, u.w2, 0, u.w2.length - 1) || overlaps(buf, lo, hi, f.w2, 0, f.w2.length - 1)) return 'params.w2';
  if (u.b1 !== null && overlaps(buf, lo, hi, u.b1, 0, u.b1.length - 1)) return 'params.b1';
  if (u.b2 !== null && overlaps(buf, lo, hi, u.b2, 0, u.b2.length - 1)) return 'params.b2';
  if (
    overlaps(buf, lo, hi, f.z, 0, f.z.length - 1) ||
    overlaps(buf, lo, hi, f.aSaved, 0, f.aSaved.length - 1) ||
    overlaps(buf, lo, hi, f.h, 0, f.h.length - 1) ||
    overlaps(buf, lo, hi, f.gSaved, 0, f.gSaved.length - 1) ||
    overlaps(buf, lo, hi, f.s, 0, f.s.length - 1) ||
    (f.argmax !== null && overlaps(buf, lo, hi, f.argmax, 0, f.argmax.length - 1))
  ) {
    return 'the cache';
  }
  return null;
}

/**
 * Checks caller-supplied outputs (after {@link planBackward}) into `into`: each a Float32Array of
 * the right size, overlapping nothing the call reads and no other output; dx may be exactly dy's
 * memory (in place). Bias outputs are ignored for a block without biases.
 * @internal
 */
export function checkBackwardOutputs(
  fn: string,
  ws: WorkspaceState,
  cache: CacheState,
  dx: unknown,
  dw1: unknown,
  db1: unknown,
  dw2: unknown,
  db2: unknown,
  into: BackwardOutputs,
): BackwardOutputs {
  into.dx = into.dw1 = into.db1 = into.dw2 = into.db2 = null;
  const f = cache.frame;
  const { C, R } = f;
  into.dx = checkBackwardOutput(fn, ws, cache, 0, dx, f.N * C * f.S, into);
  into.dw1 = checkBackwardOutput(fn, ws, cache, 1, dw1, R * C, into);
  if (f.b1 !== null) into.db1 = checkBackwardOutput(fn, ws, cache, 2, db1, R, into);
  into.dw2 = checkBackwardOutput(fn, ws, cache, 3, dw2, C * R, into);
  if (f.b2 !== null) into.db2 = checkBackwardOutput(fn, ws, cache, 4, db2, C, into);
  return into;
}

/** One output of {@link checkBackwardOutputs}: output `k` (in OUTPUT_NAMES order) against the reads and the outputs checked before it. */
function checkBackwardOutput(fn: string, ws: WorkspaceState, cache: CacheState, k: number, arg: unknown, n: number, prior: BackwardOutputs): Float32Array | null {
  const f = cache.frame;
  if (arg === undefined) return null;
  const name = OUTPUT_NAMES[k];
  const out = checkOutput(fn, name, arg, n);
  const last = n - 1;
  const dys = ws.dySnap;
  const inPlace = k === 0 && dys.contiguous && sameMemory(out, dys.data, dys.offset, dys.offset + last);
  if (!inPlace && overlaps(out, 0, last, dys.data, dys.lo, dys.hi)) {
    throw new SEStateError(
      `${fn}: buffers.${name} overlaps dy.data${k === 0 ? ' without being exactly dy (in place needs a dense dy and dx over the same elements)' : ''}`,
    );
  }
  const read = cacheReadOverlapping(out, 0, last, f, cache);
  if (read !== null) throw new SEStateError(`${fn}: buffers.${name} overlaps ${read}, which the call reads`);
  const clash =
    prior.dx !== null && k > 0 && overlaps(out, 0, last, prior.dx, 0, prior.dx.length - 1)
      ? 'dx'
      : prior.dw1 !== null && k > 1 && overlaps(out, 0, last, prior.dw1, 0, prior.dw1.length - 1)
        ? 'dw1'
        : prior.db1 !== null && k > 2 && overlaps(out, 0, last, prior.db1, 0, prior.db1.length - 1)
          ? 'db1'
          : prior.dw2 !== null && k > 3 && overlaps(out, 0, last, prior.dw2, 0, prior.dw2.length - 1)
            ? 'dw2'
            : null;
  if (clash !== null) throw new SEStateError(`${fn}: buffers.${name} overlaps buffers.${clash}`);
  return out;
}

/**
 * True when the whole of `b`, one of the workspace's own output buffers, shares memory with
 * something the caller handed in: dy's elements, x's, w1, w2 (what the backward reads; the cache's
 * per-sample arrays are the workspace's own, separate allocations, never an output), or one of the
 * caller's own output arrays. Those buffers are looked up once per call ({@link noteBackwardReads});
 * only a buffer match costs range checks
 * ({@link noteReads} in workspaceState.ts notes them).
 */
function readByBackward(ws: WorkspaceState, b: Float32Array, f: SEFrame): boolean {
  if (b.length === 0) return false;
  if (!isNoted(ws, viewBuffer(b))) return false;
  const last = b.length - 1;
  const dys = ws.dySnap;
  const size = f.N * f.C * f.S;
  const o = ws.outputs;
  return (
    overlaps(b, 0, last, dys.data, dys.lo, dys.hi) ||
    overlaps(b, 0, last, f.x, f.xOffset, f.xOffset + size - 1) ||
    overlaps(b, 0, last, f.w1, 0, f.w1.length - 1) ||
    overlaps(b, 0, last, f.w2, 0, f.w2.length - 1) ||
    (o.dx !== null && overlaps(b, 0, last, o.dx, 0, o.dx.length - 1)) ||
    (o.dw1 !== null && overlaps(b, 0, last, o.dw1, 0, o.dw1.length - 1)) ||
    (o.db1 !== null && overlaps(b, 0, last, o.db1, 0, o.db1.length - 1)) ||
    (o.dw2 !== null && overlaps(b, 0, last, o.dw2, 0, o.dw2.length - 1)) ||
    (o.db2 !== null && overlaps(b, 0, last, o.db2, 0, o.db2.length - 1))
  );
}

/**
 * Picks the backward's buffers (after {@link planBackward} and {@link checkBackwardOutputs}; writes
 * from here on): dy's data (copied when strided: into shared memory with a shared workspace),
 * dx (the caller's or the workspace's), dG and dA, all into `bound`.
 * @internal
 */
export function bindBackward(fn: string, ws: WorkspaceState, cache: CacheState, outs: BackwardOutputs, bound: BoundBackward): BoundBackward {
  const f = cache.frame;
  const dys = ws.dySnap;
  const size = f.N * f.C * f.S;
  bound.dy = dys.data;
  bound.dyOffset = dys.offset;
  if (!dys.contiguous) {
    bound.dy = gatherDense(denseCopy(fn, ws, 'dy', size), dys);
    bound.dyOffset = 0;
  }
  if (outs.dx !== null) {
    bound.dx = outs.dx;
  } else {
    noteReads(ws, ws.dySnap.data, f.x, f.w1, f.w2);
    const pair = ws.dx;
    const mainRead = readByBackward(ws, pair.main, f);
    const altRead = mainRead && readByBackward(ws, pair.alt, f);
    forgetReads(ws);
    bound.dx = pickOutput(fn, ws, pair, 'dx', size, mainRead, altRead);
  }
  const g = sampleGradients(fn, ws, f.N, f.C, f.R);
  bound.dG = g.dG;
  bound.dA = g.dA;
  ws.scratch.ensure(f.C, f.R);
  return bound;
}

/**
 * The weight gradients of a backward whose sample loops have run into `bound` (dG, dA): into the
 * caller's arrays where given, else the workspace's; either way left in `ws.grads`.
 * @internal
 */
export function finishBackward(fn: string, ws: WorkspaceState, cache: CacheState, outs: BackwardOutputs, bound: BoundBackward): void {
  const f = cache.frame;
  const { C, R } = f;
  const g = ws.grads;
  noteReads(ws, ws.dySnap.data, f.x, f.w1, f.w2);
  const dw1 = weightGradient(fn, ws, 'dw1', outs.dw1, R * C, outs.dw1 === null && readByBackward(ws, g.dw1, f));
  const dw2 = weightGradient(fn, ws, 'dw2', outs.dw2, C * R, outs.dw2 === null && readByBackward(ws, g.dw2, f));
  const db1 = f.b1 === null ? null : weightGradient(fn, ws, 'db1', outs.db1, R, outs.db1 === null && readByBackward(ws, g.db1, f));
  const db2 = f.b2 === null ? null : weightGradient(fn, ws, 'db2', outs.db2, C, outs.db2 === null && readByBackward(ws, g.db2, f));
  forgetReads(ws);
  weightGradients(f, bound.dG, bound.dA, dw1, db1, dw2, db2);
}

/**
 * Points the result tensors at dx and the weight gradients (reused objects with a workspace).
 * @internal
 */
export function backwardResult(r: SEBackwardResult, ws: WorkspaceState, cache: CacheState, dx: Float32Array): SEBackwardResult {
  const f = cache.frame;
  const { C, R } = f;
  setPlain(r.dx, dx, cache.xShape);
  const g = ws.grads;
  setPlainDims(r.dw1, g.dw1, R, C);
  r.db1 = f.b1 === null ? null : setPlainDims(r.db1 ?? emptyPlain(), g.db1, R, -1);
  setPlainDims(r.dw2, g.dw2, C, R);
  r.db2 = f.b2 === null ? null : setPlainDims(r.db2 ?? emptyPlain(), g.db2, C, -1);
  return r;
}

/**
 * The steps of one backward before its sample loops run, for `seBackward` and
 * `se-kernels/threads` alike: reads dy and checks it, the cache ({@link planBackward}) and the
 * caller's outputs ({@link checkBackwardOutputs}, into `ws.outputs`); `check` (the pool's) runs
 * then, before any buffer is written, and may throw; then picks the buffers into `ws.bound`
 * ({@link bindBackward}). Returns the cache. Run the sample loops on `ws.bound`, then
 * {@link endBackward}.
 * @internal
 */
export function beginBackward(
  fn: string,
  ws: WorkspaceState,
  dy: unknown,
  cacheArg: unknown,
  dx: unknown,
  dw1: unknown,
  db1: unknown,
  dw2: unknown,
  db2: unknown,
  check: ((cache: CacheState) => void) | null,
): CacheState {
  const c = planBackward(fn, ws, dy, cacheArg);
  const outs = checkBackwardOutputs(fn, ws, c, dx, dw1, db1, dw2, db2, ws.outputs);
  if (check !== null) check(c);
  bindBackward(fn, ws, c, outs, ws.bound);
  return c;
}

/**
 * The step after a backward's sample loops: the weight gradients summed over the batch
 * ({@link finishBackward}) and the result tensors in `r`.
 * @internal
 */
export function endBackward(fn: string, ws: WorkspaceState, cache: CacheState, r: SEBackwardResult): SEBackwardResult {
  finishBackward(fn, ws, cache, ws.outputs, ws.bound);
  return backwardResult(r, ws, cache, ws.bound.dx);
}

/**
 * Runs an SE block backward from the gradient of its output.
 * @param dy gradient of y, the shape of the forward's x (any strided view)
 * @param cache the cache returned by the matching `seForward` (see {@link SECache} for its rules)
 * @param buffers optional output arrays and/or a reusable {@link SEWorkspace}
 */
export function seBackward(dy: FloatTensor, cache: SECache, buffers?: SEBackwardBuffers): SEBackwardResult {
  return seBackwardAs('seBackward', dy, cache, buffers);
}

/**
 * {@link seBackward} whose messages name `fn`, the method the user called (`SEBlock.backward`).
 * @internal
 */
export function seBackwardAs(fn: string, dy: FloatTensor, cache: SECache, buffers?: SEBackwardBuffers): SEBackwardResult {
  let wsArg: unknown, dxArg: unknown, dw1Arg: unknown, db1Arg: unknown, dw2Arg: unknown, db2Arg: unknown;
  if (buffers !== undefined) {
    const b = checkKeys(fn, buffers, BACKWARD_KEYS);
    wsArg = b.workspace;
    dxArg = b.dx;
    dw1Arg = b.dw1;
    db1Arg = b.db1;
    dw2Arg = b.dw2;
    db2Arg = b.db2;
  }
  const ws = wsArg === undefined ? null : acquireWorkspace(fn, wsArg);
  try {
    const own = ws ?? new WorkspaceState();
    const c = beginBackward(fn, own, dy, cache, dxArg, dw1Arg, db1Arg, dw2Arg, db2Arg, null);
    const b = own.bound;
    backwardSamples(c.frame, b.dy, b.dyOffset, b.dx, b.dG, b.dA, 0, c.frame.N, own.scratch);
    return endBackward(fn, own, c, ws === null ? newBackwardResult() : ws.backwardResult);
  } finally {
    releaseWorkspace(ws);
  }
}

/** A fresh result object for {@link backwardResult} to fill (calls without a workspace return one per call). @internal */
export function newBackwardResult(): SEBackwardResult {
  return { dx: emptyPlain(), dw1: emptyPlain(), db1: null, dw2: emptyPlain(), db2: null };
}
