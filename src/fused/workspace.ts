/**
 * SEWorkspace: every buffer, snapshot and result object of the fused SE block, kept between calls
 * so that calls in steady state (same shapes) allocate nothing.
 */
import { SEShapeError, SEStateError, SETypeError, hasBrand } from '../errors.js';
import { ParamsSnapshot } from '../params.js';
import { typedArrayLength, viewBuffer, viewByteOffset } from '../intrinsics.js';
import { allocFloat32, TensorSnapshot, type PlainTensor } from '../tensor.js';
import { InstanceRegistry } from '../registry.js';
import { SECache } from './cache.js';
import { BackwardOutputs, BoundBackward, EMPTY_F32, SEScratch } from './frame.js';

const WORKSPACE = Symbol.for('se-kernels.SEWorkspace');

/** Every workspace of any copy of this version of the library in this realm: how an argument is recognised without reading it (a Proxy of one is not one). */
const WORKSPACES = new InstanceRegistry('SEWorkspace');
const EMPTY_I32 = new Int32Array(0);

/** Result of the core `seForward`: y as a plain dense tensor, and the cache for backward. */
export interface SEForwardResult {
  y: PlainTensor;
  cache: SECache;
}

/** Result of the core `seBackward`: gradients as plain dense tensors. */
export interface SEBackwardResult {
  dx: PlainTensor;
  dw1: PlainTensor;
  db1: PlainTensor | null;
  dw2: PlainTensor;
  db2: PlainTensor | null;
}

/** An empty PlainTensor for a result object to point at its data later. @internal */
export function emptyPlain(): PlainTensor {
  return { data: EMPTY_F32, shape: [], stride: [], offset: 0 };
}

/**
 * Scratch and output buffers for `seForward`/`seBackward`, reused across calls: pass one as
 * `{ workspace }` and repeated calls with the same shapes allocate nothing.
 *
 * The rules:
 * - A workspace holds ONE forward's state: the y, the cache and the gradients a call returns live
 *   in the workspace and are overwritten by its later calls (copy what you keep). `seForward`
 *   returns the workspace's single cache object, updated in place: it always describes the latest
 *   `seForward` on that workspace. Use one workspace per SE block of a network.
 * - An input that is one of the workspace's own previous outputs (y fed back as x, dx fed back as
 *   dy) is fine: the output then goes to a second buffer.
 * - A workspace serves one call at a time: a call made while another call on the same workspace is
 *   running (from a getter or Proxy trap of one of its arguments) throws SEStateError.
 */
export class SEWorkspace {
  /** @internal Brand recognised by `instanceof` across copies of the package. */
  readonly [WORKSPACE] = true;
  /** `instanceof` by brand: true for instances from any copy of se-kernels (ESM and CommonJS builds, duplicate installs). */
  static [Symbol.hasInstance](v: unknown): boolean {
    return hasBrand(v, WORKSPACE);
  }
  constructor() {
    WORKSPACES.add(this);
  }

  /** @internal The call using the workspace right now, or null. */
  busy: string | null = null;
  /** @internal Counts the forwards run on this workspace; a cache made by an earlier one is stale. */
  generation = 0;
  /** @internal Whether buffers live on SharedArrayBuffers (set by se-kernels/threads). */
  shared = false;
  /** @internal */ readonly xSnap = new TensorSnapshot();
  /** @internal */ readonly dySnap = new TensorSnapshot();
  /** @internal */ readonly pSnap = new ParamsSnapshot();
  /** @internal */ readonly scratch = new SEScratch();
  /** @internal */ readonly outputs = new BackwardOutputs();
  /** @internal */ readonly bound = new BoundBackward();
  /** @internal The buffers under what a backward reads from the caller, noted during one call only. */
  readonly reads: (ArrayBufferLike | null)[] = [null, null, null, null, null, null, null, null, null];
  /** @internal The one cache the public seForward returns with this workspace. */
  readonly cache: SECache = new SECache();
  /** @internal Reused result objects of the core calls. */
  readonly forwardResult: SEForwardResult = { y: emptyPlain(), cache: this.cache };
  /** @internal */ readonly backwardResult: SEBackwardResult = { dx: emptyPlain(), dw1: emptyPlain(), db1: null, dw2: emptyPlain(), db2: null };
  /** @internal Dense copies of strided (or, for threads, non-shared) inputs. */
  xCopy: Float32Array = EMPTY_F32;
  /** @internal */ dyCopy: Float32Array = EMPTY_F32;
  /** @internal Threads: the workers' samples of an x or dy in ordinary memory, copied into shared memory. */
  xShare: Float32Array = EMPTY_F32;
  /** @internal */ dyShare: Float32Array = EMPTY_F32;
  /** @internal The first sample xShare holds (-1: none), and the generation it was copied for. */
  xShareFrom = -1;
  /** @internal */ xShareGeneration = -1;
  /** @internal Outputs; each has a second buffer for when the first is this call's input. */
  y: Float32Array = EMPTY_F32;
  /** @internal */ yAlt: Float32Array = EMPTY_F32;
  /** @internal */ dx: Float32Array = EMPTY_F32;
  /** @internal */ dxAlt: Float32Array = EMPTY_F32;
  /** @internal Per-sample state of the forward. */
  z: Float32Array = EMPTY_F32;
  /** @internal */ a: Float32Array = EMPTY_F32;
  /** @internal */ h: Float32Array = EMPTY_F32;
  /** @internal */ g: Float32Array = EMPTY_F32;
  /** @internal */ s: Float32Array = EMPTY_F32;
  /** @internal */ argmax: Int32Array = EMPTY_I32;
  /** @internal Threads: the parameters copied into shared memory. */
  w1: Float32Array = EMPTY_F32;
  /** @internal */ b1: Float32Array = EMPTY_F32;
  /** @internal */ w2: Float32Array = EMPTY_F32;
  /** @internal */ b2: Float32Array = EMPTY_F32;
  /** @internal Per-sample gradients of the backward. */
  dG: Float32Array = EMPTY_F32;
  /** @internal */ dA: Float32Array = EMPTY_F32;
  /** @internal Weight gradients. */
  dw1: Float32Array = EMPTY_F32;
  /** @internal */ db1: Float32Array = EMPTY_F32;
  /** @internal */ dw2: Float32Array = EMPTY_F32;
  /** @internal */ db2: Float32Array = EMPTY_F32;

  /**
   * @internal `buf` if it holds exactly n values (and is on shared memory when the workspace is),
   * else a new buffer (an engine refusal becomes SEShapeError naming `fn` and `what`).
   */
  f32(fn: string, what: string, buf: Float32Array, n: number): Float32Array {
    if (buf.length === n && (!this.shared || isShared(buf))) return buf;
    return this.shared ? sharedFloat32(fn, what, n) : allocFloat32(fn, what, n);
  }

  /** @internal Int32 version of {@link SEWorkspace.f32}. */
  i32(fn: string, what: string, buf: Int32Array, n: number): Int32Array {
    if (buf.length === n && (!this.shared || isShared(buf))) return buf;
    if (!this.shared) return new Int32Array(n);
    return new Int32Array(sharedFloat32(fn, what, n).buffer);
  }

  /**
   * @internal Drops every buffer (the next call allocates fresh ones). se-kernels/threads calls it
   * after a failed threaded call, so a worker that is still running cannot write into memory a
   * later call uses.
   */
  discardBuffers(): void {
    this.xCopy = this.dyCopy = this.xShare = this.dyShare = this.y = this.yAlt = this.dx = this.dxAlt = EMPTY_F32;
    this.xShareFrom = this.xShareGeneration = -1;
    this.z = this.a = this.h = this.g = this.s = EMPTY_F32;
    this.w1 = this.b1 = this.w2 = this.b2 = this.dG = this.dA = EMPTY_F32;
    this.dw1 = this.db1 = this.dw2 = this.db2 = EMPTY_F32;
    this.argmax = EMPTY_I32;
    this.generation++;
  }
}

/** True when a typed array's memory is a SharedArrayBuffer. @internal */
export function isShared(a: ArrayBufferView): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && viewBuffer(a) instanceof SharedArrayBuffer;
}

function sharedFloat32(fn: string, what: string, n: number): Float32Array {
  try {
    return new Float32Array(new SharedArrayBuffer(Math.max(1, n) * 4), 0, n);
  } catch (e) {
    throw new SEShapeError(`${fn}: cannot allocate ${what} of ${n} float32 values in shared memory: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** True for a workspace made by a copy of this version of the library (found by identity: no property is read). */
function isOwnWorkspace(v: unknown): v is SEWorkspace {
  return WORKSPACES.has(v);
}

/**
 * Checks a `buffers.workspace` argument and marks the workspace busy for `fn` (SEStateError when
 * another call is using it). Release it with {@link releaseWorkspace} in a `finally`.
 * @internal
 */
export function acquireWorkspace(fn: string, ws: unknown): SEWorkspace {
  if (!isOwnWorkspace(ws)) {
    throw new SETypeError(`${fn}: ${WORKSPACES.refusal(ws, 'buffers.workspace must be an SEWorkspace (the object itself: not a Proxy of one)')}`);
  }
  if (ws.busy !== null) {
    throw new SEStateError(
      `${fn}: the workspace is in use by a ${ws.busy} that has not returned (a call made from a getter or Proxy of its arguments?); ` +
        `a workspace serves one call at a time`,
    );
  }
  ws.busy = fn;
  return ws;
}

/** @internal */
export function releaseWorkspace(ws: SEWorkspace | null): void {
  if (ws !== null) ws.busy = null;
}

/** Byte range `[start, end)` of elements `[lo, hi]` of `a`. */
function byteStart(a: ArrayBufferView, lo: number): number {
  return viewByteOffset(a) + 4 * lo;
}

/**
 * True when elements `[aLo, aHi]` of `a` and `[bLo, bHi]` of `b` (4-byte elements) share memory.
 * Two SharedArrayBuffer objects over the same memory look unrelated here (JavaScript cannot tell).
 * @internal
 */
export function overlaps(a: ArrayBufferView, aLo: number, aHi: number, b: ArrayBufferView, bLo: number, bHi: number): boolean {
  if (aHi < aLo || bHi < bLo || viewBuffer(a) !== viewBuffer(b)) return false;
  const as = byteStart(a, aLo);
  const bs = byteStart(b, bLo);
  return as < bs + 4 * (bHi - bLo + 1) && bs < as + 4 * (aHi - aLo + 1);
}

/** True when `a` (whole) and elements `[lo, hi]` of `b` are exactly the same memory. @internal */
export function sameMemory(a: ArrayBufferView, b: ArrayBufferView, lo: number, hi: number): boolean {
  return viewBuffer(a) === viewBuffer(b) && viewByteOffset(a) === byteStart(b, lo) && typedArrayLength(a) === hi - lo + 1;
}
