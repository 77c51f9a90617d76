/**
 * SECache: what a fused SE forward saves for its backward, built in one place
 * ({@link recordForward}) and checked in one place ({@link checkCacheArgument}, {@link checkCache}), for `seForward` and
 * `se-kernels/threads` alike.
 */
import { SEStateError, SETypeError, hasBrand } from '../errors.js';
import { DEFAULT_SE_OPTIONS, type ResolvedSEOptions } from '../options.js';
import { sampleFingerprint, type PlainTensor } from '../tensor.js';
import { EMPTY_F32, SEFrame } from './frame.js';
import { InstanceRegistry } from '../registry.js';
import type { WorkspaceState } from './workspaceState.js';

const CACHE = Symbol.for('se-kernels.SECache');

/** The caller's parameter arrays a cache fingerprinted (biases null without them). @internal */
export interface CallerParams {
  w1: Float32Array;
  b1: Float32Array | null;
  w2: Float32Array;
  b2: Float32Array | null;
}

/**
 * A cache's internal state: what the forward saved, kept beside the public object in the
 * realm-wide registry of src/registry.ts (as a workspace's is: see workspaceState.ts), out of the
 * user's reach and found by any copy of this version of the library.
 * @internal
 */
export class CacheState {
  /** Sizes, variant and arrays of the forward. */
  readonly frame = new SEFrame();
  xShape: number[] = [];
  opts: ResolvedSEOptions = DEFAULT_SE_OPTIONS;
  /** Fingerprints of x, w1, b1, w2, b2 at forward time. */
  readonly prints = { x: 0, w1: 0, b1: 0, w2: 0, b2: 0 };
  /** The caller's parameter arrays at forward time (the frame may hold shared-memory copies). */
  readonly user: CallerParams = { w1: EMPTY_F32, b1: null, w2: EMPTY_F32, b2: null };
  /** The state of the workspace whose buffers hold the saved arrays (null: the cache owns them). */
  owner: WorkspaceState | null = null;
  /** The owner's generation when this cache was made. */
  generation = 0;
  /** False until a forward has filled it (and while a forward refills it). */
  filled = false;
}

/** Every cache of any copy of this version of the library, with its state: how a cache argument is recognised without reading it (a Proxy of one is not one). */
const CACHES = new InstanceRegistry<CacheState>('SECache');

/** The state of a cache made by a copy of this version (it has one from its constructor on). @internal */
export function cacheStateOf(cache: SECache): CacheState {
  const st = CACHES.stateOf(cache);
  if (st === undefined) throw new SEStateError('SECache: not a cache made by this version of se-kernels');
  return st;
}

/**
 * What `seForward` saves for `seBackward`. Opaque: read `shape` and `options` if you like, pass it
 * back to `seBackward`, nothing else.
 *
 * The rules:
 * - A cache refers to the input's buffer (when the input was contiguous; a strided view is copied)
 *   and to the parameters' arrays as they were at `seForward`, without copying them. Do not modify
 *   them before a `seBackward` that uses the cache: `seBackward` checks a fingerprint of each (64
 *   sampled positions and the last) and throws SEStateError naming the one that changed, which
 *   catches an optimizer step or a refilled input buffer (a single edited element may slip by).
 * - A cache may be passed to `seBackward` any number of times, with the same results.
 * - A cache made with a workspace (or by an `SEThreads` pool) lives in that workspace's buffers:
 *   `seBackward` throws SEStateError for a cache whose buffers a later `seForward` on the same
 *   workspace has reused. With a workspace, `seForward` returns the workspace's one cache object,
 *   updated in place, so it always describes the latest forward on that workspace.
 */
export class SECache {
  /** @internal Brand recognised by `instanceof` across copies of the package. */
  readonly [CACHE] = true;
  /** `instanceof` by brand: true for instances from any copy of se-kernels (ESM and CommonJS builds, duplicate installs). */
  static [Symbol.hasInstance](v: unknown): boolean {
    return hasBrand(v, CACHE);
  }

  constructor() {
    CACHES.add(this, new CacheState());
  }

  /** The forward input's shape. */
  get shape(): readonly number[] {
    return cacheStateOf(this).xShape;
  }

  /** The variant the forward ran (every field filled in). */
  get options(): ResolvedSEOptions {
    return cacheStateOf(this).opts;
  }

  /**
   * A copy of the forward's excitations: the gate values s `[N, C]` that scaled each sample's
   * channels (the paper's "excitation" activations, for plots and analyses).
   */
  excitations(): PlainTensor {
    const st = cacheStateOf(this);
    const owner = st.owner;
    if (!st.filled || (owner !== null && owner.generation !== st.generation)) {
      throw new SEStateError('SECache.excitations: this cache is not filled or is stale (a later seForward on its workspace reused its buffers)');
    }
    const f = st.frame;
    const n = f.N * f.C;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = f.s[i];
    return { data, shape: [f.N, f.C], stride: [f.C, 1], offset: 0 };
  }
}

/**
 * The one place a cache is filled in, after a forward has run on `frame`'s arrays (which the cache
 * then shares): copies the frame and the shape, fingerprints x and the parameters, and ties the
 * cache to its owner's current generation. `userParams` are the caller's parameter arrays (the
 * frame may hold shared-memory copies of them), fingerprinted so a later change is noticed.
 * @internal
 */
export function recordForward(
  cache: CacheState,
  shape: readonly number[],
  opts: ResolvedSEOptions,
  w1: Float32Array,
  b1: Float32Array | null,
  w2: Float32Array,
  b2: Float32Array | null,
  owner: WorkspaceState | null,
): CacheState {
  const frame = cache.frame;
  let same = cache.xShape.length === shape.length;
  for (let k = 0; same && k < shape.length; k++) same = cache.xShape[k] === shape[k];
  if (!same) cache.xShape = shape.slice();
  cache.opts = opts;
  const prints = cache.prints;
  prints.x = sampleFingerprint(frame.x, frame.xOffset, frame.N * frame.C * frame.S);
  prints.w1 = sampleFingerprint(w1, 0, frame.R * frame.C);
  prints.b1 = b1 === null ? 0 : sampleFingerprint(b1, 0, frame.R);
  prints.w2 = sampleFingerprint(w2, 0, frame.C * frame.R);
  prints.b2 = b2 === null ? 0 : sampleFingerprint(b2, 0, frame.C);
  const user = cache.user;
  user.w1 = w1;
  user.b1 = b1;
  user.w2 = w2;
  user.b2 = b2;
  cache.owner = owner;
  cache.generation = owner === null ? 0 : owner.generation;
  cache.filled = true;
  return cache;
}

/**
 * Checks that `cache` is a cache this copy of the library made and a forward filled, without
 * reading any property of it first (a Proxy or a copy of a cache is refused, not read through).
 * @internal
 */
export function checkCacheArgument(fn: string, cache: unknown): CacheState {
  const c = CACHES.stateOf(cache);
  if (c !== undefined) {
    if (c.filled) return c;
    throw new SEStateError(`${fn}: this cache was never filled: its seForward failed or has not finished`);
  }
  throw new SETypeError(`${fn}: ${CACHES.refusal(cache, 'cache must be the cache returned by seForward (the object itself: not a copy or a Proxy of it)')}`);
}

/**
 * Checks that the saved buffers of `cache` still hold what its forward left there: its owner
 * workspace has not run a later forward (nor is it inside another call than the one using `ws`),
 * and x and the caller's parameters still match their fingerprints. Throws SEStateError naming `fn`.
 * @internal
 */
export function checkCache(fn: string, cache: CacheState, ws: WorkspaceState | null): CacheState {
  const owner = cache.owner;
  if (owner !== null) {
    if (owner.generation !== cache.generation) {
      throw new SEStateError(
        `${fn}: this cache is stale: a later seForward on the same workspace (or SEThreads pool) has reused its buffers; ` +
          `use one workspace per SE block, and run backward before the block's next forward`,
      );
    }
    if (owner.busy !== null && owner !== ws) {
      throw new SEStateError(`${fn}: the workspace holding this cache is in use by a ${owner.busy} that has not returned`);
    }
  }
  const f = cache.frame;
  const { prints, user } = cache;
  const changed =
    sampleFingerprint(f.x, f.xOffset, f.N * f.C * f.S) !== prints.x
      ? 'x.data'
      : sampleFingerprint(user.w1, 0, f.R * f.C) !== prints.w1
        ? 'params.w1'
        : user.b1 !== null && sampleFingerprint(user.b1, 0, f.R) !== prints.b1
          ? 'params.b1'
          : sampleFingerprint(user.w2, 0, f.C * f.R) !== prints.w2
            ? 'params.w2'
            : user.b2 !== null && sampleFingerprint(user.b2, 0, f.C) !== prints.b2
              ? 'params.b2'
              : null;
  if (changed !== null) {
    throw new SEStateError(
      `${fn}: ${changed} changed since the seForward that made this cache; ` +
        `the cache refers to it without a copy, so run seForward again after changing it`,
    );
  }
  return cache;
}
