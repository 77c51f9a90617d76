/**
 * SEWorkspace, the public object: every buffer, snapshot and result object of the fused SE block,
 * kept between calls so that calls in steady state (same shapes) allocate nothing. The object
 * itself holds nothing: its state lives in workspaceState.ts (records built and changed there,
 * reached with `stateOf`), out of the user's reach. Also the memory-overlap helpers of the calls.
 */
import { hasBrand } from '../errors.js';
import { typedArrayLength, viewBuffer, viewByteOffset } from '../intrinsics.js';
import type { PlainTensor } from '../tensor.js';
import type { SECache } from './cache.js';
import { registerWorkspace } from './workspaceState.js';

export { acquireWorkspace, emptyPlain, isShared, releaseWorkspace } from './workspaceState.js';

const WORKSPACE = Symbol.for('se-kernels.SEWorkspace');

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
    registerWorkspace(this);
  }
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
