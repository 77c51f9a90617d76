/**
 * The internal state of an {@link SEWorkspace}, built and changed in this file only: a few small
 * typed records (the dense and shared copies of the inputs, the two output pairs, the per-sample
 * state, the shared copies of the parameters, the gradients, the set of buffers a backward reads)
 * and the bookkeeping of calls (busy, generation, shared). forward.ts, backward.ts and
 * se-kernels/threads read these records and change them only through the functions below.
 *
 * Out of reach: the public SEWorkspace object holds none of it. Its state is registered beside it
 * in the realm-wide registry of src/registry.ts (keyed by the object, under a `Symbol.for` key on
 * `globalThis`), which every copy of this version of the library shares: a workspace made by the
 * CommonJS build (or by one prebuilt browser file) and handed to the ESM thread pool (or another
 * browser file) finds its state there, while a WeakMap private to this module would be one per copy
 * and miss it. Copies of one version build the same records (the registry refuses other versions).
 * @internal
 */
import { SEShapeError, SEStateError, SETypeError } from '../errors.js';
import { viewBuffer } from '../intrinsics.js';
import { ParamsSnapshot } from '../params.js';
import { InstanceRegistry } from '../registry.js';
import { allocFloat32, TensorSnapshot, type PlainTensor } from '../tensor.js';
import { SECache, cacheStateOf, type CacheState } from './cache.js';
import { BoundBackward, EMPTY_F32, SEScratch, type BackwardOutputs } from './frame.js';
import type { SEBackwardResult, SEForwardResult, SEWorkspace } from './workspace.js';

const EMPTY_I32 = new Int32Array(0);

/** Dense copies of strided (or, for threads, non-shared) inputs, and the threads' shared copy of x's samples. */
export interface InputCopies {
  x: Float32Array;
  dy: Float32Array;
  /** Threads: the workers' samples of an x or dy in ordinary memory, copied into shared memory. */
  xShare: Float32Array;
  dyShare: Float32Array;
  /** The first sample xShare holds (-1: none), and the generation it was copied for. */
  xShareFrom: number;
  xShareGeneration: number;
}

/** An output's two buffers: `main`, and `alt` for when `main` is this call's input (an output fed back in). */
export interface OutputPair {
  main: Float32Array;
  alt: Float32Array;
}

/** Per-sample state of the forward (what the cache keeps for the backward). */
export interface SampleState {
  z: Float32Array;
  a: Float32Array;
  h: Float32Array;
  g: Float32Array;
  s: Float32Array;
  argmax: Int32Array;
}

/** Threads: the parameters copied into shared memory. */
export interface SharedParams {
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
}

/** The backward's per-sample gradients (dG, dA) and weight gradients. */
export interface Gradients {
  dG: Float32Array;
  dA: Float32Array;
  dw1: Float32Array;
  db1: Float32Array;
  dw2: Float32Array;
  db2: Float32Array;
}

/** A weight gradient's name. */
export type WeightGradient = 'dw1' | 'db1' | 'dw2' | 'db2';

/** The buffers under what a backward reads from the caller (dy, x, w1, w2) and the caller's outputs, noted during one call only. */
export interface ReadSet {
  dy: ArrayBufferLike | null;
  x: ArrayBufferLike | null;
  w1: ArrayBufferLike | null;
  w2: ArrayBufferLike | null;
  dx: ArrayBufferLike | null;
  dw1: ArrayBufferLike | null;
  db1: ArrayBufferLike | null;
  dw2: ArrayBufferLike | null;
  db2: ArrayBufferLike | null;
}

/** An empty PlainTensor for a result object to point at its data later. */
export function emptyPlain(): PlainTensor {
  return { data: EMPTY_F32, shape: [], stride: [], offset: 0 };
}

/** A workspace's whole internal state. */
export class WorkspaceState {
  /** The call using the workspace right now, or null. */
  busy: string | null = null;
  /** Counts the forwards run on this workspace; a cache made by an earlier one is stale. */
  generation = 0;
  /** Whether buffers live on SharedArrayBuffers (set by se-kernels/threads). */
  shared = false;
  readonly xSnap = new TensorSnapshot();
  readonly dySnap = new TensorSnapshot();
  readonly pSnap = new ParamsSnapshot();
  readonly scratch = new SEScratch();
  readonly outputs: BackwardOutputs = { dx: null, dw1: null, db1: null, dw2: null, db2: null };
  readonly bound = new BoundBackward();
  readonly reads: ReadSet = { dy: null, x: null, w1: null, w2: null, dx: null, dw1: null, db1: null, dw2: null, db2: null };
  readonly copies: InputCopies = { x: EMPTY_F32, dy: EMPTY_F32, xShare: EMPTY_F32, dyShare: EMPTY_F32, xShareFrom: -1, xShareGeneration: -1 };
  readonly y: OutputPair = { main: EMPTY_F32, alt: EMPTY_F32 };
  readonly dx: OutputPair = { main: EMPTY_F32, alt: EMPTY_F32 };
  readonly samples: SampleState = { z: EMPTY_F32, a: EMPTY_F32, h: EMPTY_F32, g: EMPTY_F32, s: EMPTY_F32, argmax: EMPTY_I32 };
  readonly params: SharedParams = { w1: EMPTY_F32, b1: EMPTY_F32, w2: EMPTY_F32, b2: EMPTY_F32 };
  readonly grads: Gradients = { dG: EMPTY_F32, dA: EMPTY_F32, dw1: EMPTY_F32, db1: EMPTY_F32, dw2: EMPTY_F32, db2: EMPTY_F32 };
  /** The one cache the public seForward returns with this workspace, and its state. */
  readonly cache = new SECache();
  readonly cacheState: CacheState = cacheStateOf(this.cache);
  /** Reused result objects of the core calls. */
  readonly forwardResult: SEForwardResult = { y: emptyPlain(), cache: this.cache };
  readonly backwardResult: SEBackwardResult = { dx: emptyPlain(), dw1: emptyPlain(), db1: null, dw2: emptyPlain(), db2: null };

  /**
   * `buf` if it holds exactly n values (and is on shared memory when the workspace is), else a new
   * buffer (an engine refusal becomes SEShapeError naming `fn` and `what`).
   */
  f32(fn: string, what: string, buf: Float32Array, n: number): Float32Array {
    if (buf.length === n && (!this.shared || isShared(buf))) return buf;
    return this.shared ? sharedFloat32(fn, what, n) : allocFloat32(fn, what, n);
  }

  /** Int32 version of {@link WorkspaceState.f32}. */
  i32(fn: string, what: string, buf: Int32Array, n: number): Int32Array {
    if (buf.length === n && (!this.shared || isShared(buf))) return buf;
    if (!this.shared) return new Int32Array(n);
    return new Int32Array(sharedFloat32(fn, what, n).buffer);
  }
}

/** Every workspace of any copy of this version of the library in this realm, with its state (see the file comment). */
const WORKSPACES = new InstanceRegistry<WorkspaceState>('SEWorkspace');

/** Registers a new public workspace with a fresh state (its constructor calls this). */
export function registerWorkspace(ws: SEWorkspace): void {
  WORKSPACES.add(ws, new WorkspaceState());
}

/** The state of a workspace made by a copy of this version (undefined for anything else: found by identity, no property is read). */
export function stateOf(ws: unknown): WorkspaceState | undefined {
  return WORKSPACES.stateOf(ws);
}

/**
 * Checks a `buffers.workspace` argument and marks the workspace busy for `fn` (SEStateError when
 * another call is using it). Returns its state; release it with {@link releaseWorkspace} in a `finally`.
 */
export function acquireWorkspace(fn: string, ws: unknown): WorkspaceState {
  const st = WORKSPACES.stateOf(ws);
  if (st === undefined) {
    throw new SETypeError(`${fn}: ${WORKSPACES.refusal(ws, 'buffers.workspace must be an SEWorkspace (the object itself: not a Proxy of one)')}`);
  }
  if (st.busy !== null) {
    throw new SEStateError(
      `${fn}: the workspace is in use by a ${st.busy} that has not returned (a call made from a getter or Proxy of its arguments?); ` +
        `a workspace serves one call at a time`,
    );
  }
  st.busy = fn;
  return st;
}

/** Ends the call that acquired `st` (nothing for null). */
export function releaseWorkspace(st: WorkspaceState | null): void {
  if (st !== null) st.busy = null;
}

/** Threads: the workspace's buffers live on shared memory from now on. */
export function markShared(st: WorkspaceState): void {
  st.shared = true;
}

/** A forward starts: caches of earlier forwards on this workspace become stale. */
export function nextForward(st: WorkspaceState): void {
  st.generation++;
}

/** The dense copy of x or dy (a strided view gathered into it), sized `size`. */
export function denseCopy(fn: string, st: WorkspaceState, which: 'x' | 'dy', size: number): Float32Array {
  const c = st.copies;
  if (which === 'x') return (c.x = st.f32(fn, 'a dense copy of x', c.x, size));
  return (c.dy = st.f32(fn, 'a dense copy of dy', c.dy, size));
}

/** Threads: the shared copy of x's or dy's samples for the workers, sized `size`. */
export function shareCopy(fn: string, st: WorkspaceState, which: 'x' | 'dy', size: number): Float32Array {
  const c = st.copies;
  if (which === 'x') return (c.xShare = st.f32(fn, 'a shared copy of x', c.xShare, size));
  return (c.dyShare = st.f32(fn, 'a shared copy of dy', c.dyShare, size));
}

/** Threads: xShare now holds x's samples from `from` on (-1: none) for this generation's forward. */
export function noteXShare(st: WorkspaceState, from: number): void {
  st.copies.xShareFrom = from;
  st.copies.xShareGeneration = st.generation;
}

/**
 * The buffer of `pair` an output of n values goes to: `main`, unless this call reads it
 * (`mainRead`: an earlier output fed back in), then `alt` (the two swap), unless it reads that too
 * (`altRead`), then a new buffer. The one place the forward's y and the backward's dx are chosen,
 * so an output never lands in memory the call reads.
 */
export function pickOutput(fn: string, st: WorkspaceState, pair: OutputPair, what: string, n: number, mainRead: boolean, altRead: boolean): Float32Array {
  if (mainRead) {
    const t = pair.main;
    pair.main = pair.alt;
    pair.alt = t;
    if (altRead) pair.main = EMPTY_F32;
  }
  return (pair.main = st.f32(fn, what, pair.main, n));
}

/** The per-sample state buffers of a forward of N samples (argmax only for a max squeeze). */
export function sampleBuffers(fn: string, st: WorkspaceState, N: number, C: number, R: number, argmax: boolean): SampleState {
  const s = st.samples;
  s.z = st.f32(fn, 'z', s.z, N * C);
  s.a = st.f32(fn, 'a', s.a, N * R);
  s.h = st.f32(fn, 'h', s.h, N * R);
  s.g = st.f32(fn, 'g', s.g, N * C);
  s.s = st.f32(fn, 's', s.s, N * C);
  if (argmax) s.argmax = st.i32(fn, 'argmax', s.argmax, N * C);
  return s;
}

/** Threads: parameter `which` copied into the workspace's shared memory (the workers read it there). */
export function sharedParam(fn: string, st: WorkspaceState, which: keyof SharedParams, src: Float32Array): Float32Array {
  const dst = st.f32(fn, `a shared copy of params.${which}`, st.params[which], src.length);
  st.params[which] = dst;
  dst.set(src);
  return dst;
}

/** The backward's per-sample gradient buffers dG `[N, C]` and dA `[N, R]`. */
export function sampleGradients(fn: string, st: WorkspaceState, N: number, C: number, R: number): Gradients {
  const g = st.grads;
  g.dG = st.f32(fn, 'dG', g.dG, N * C);
  g.dA = st.f32(fn, 'dA', g.dA, N * R);
  return g;
}

/** Where weight gradient `which` of n values goes: `out` (the caller's), or the workspace's buffer unless the call reads it (`read`), then a new one. */
export function weightGradient(fn: string, st: WorkspaceState, which: WeightGradient, out: Float32Array | null, n: number, read: boolean): Float32Array {
  const g = st.grads;
  return (g[which] = out ?? st.f32(fn, which, read ? EMPTY_F32 : g[which], n));
}

/** Notes the buffers under dy, x, w1, w2 and the caller's outputs for one backward (cleared by {@link forgetReads}). */
export function noteReads(st: WorkspaceState, dy: Float32Array, x: Float32Array, w1: Float32Array, w2: Float32Array): void {
  const r = st.reads;
  const o = st.outputs;
  r.dy = viewBuffer(dy);
  r.x = viewBuffer(x);
  r.w1 = viewBuffer(w1);
  r.w2 = viewBuffer(w2);
  r.dx = o.dx === null ? null : viewBuffer(o.dx);
  r.dw1 = o.dw1 === null ? null : viewBuffer(o.dw1);
  r.db1 = o.db1 === null ? null : viewBuffer(o.db1);
  r.dw2 = o.dw2 === null ? null : viewBuffer(o.dw2);
  r.db2 = o.db2 === null ? null : viewBuffer(o.db2);
}

/** True when `buf` is one of the noted buffers. */
export function isNoted(st: WorkspaceState, buf: ArrayBufferLike): boolean {
  const r = st.reads;
  return buf === r.dy || buf === r.x || buf === r.w1 || buf === r.w2 || buf === r.dx || buf === r.dw1 || buf === r.db1 || buf === r.dw2 || buf === r.db2;
}

/** Drops the noted buffers, so the workspace keeps no caller's buffer alive between calls. */
export function forgetReads(st: WorkspaceState): void {
  const r = st.reads;
  r.dy = r.x = r.w1 = r.w2 = r.dx = r.dw1 = r.db1 = r.dw2 = r.db2 = null;
}

/**
 * Drops every buffer (the next call allocates fresh ones) and makes caches of earlier forwards
 * stale. se-kernels/threads calls it after a failed threaded call, so a worker that is still
 * running cannot write into memory a later call uses.
 */
export function discardBuffers(st: WorkspaceState): void {
  const c = st.copies;
  c.x = c.dy = c.xShare = c.dyShare = EMPTY_F32;
  c.xShareFrom = c.xShareGeneration = -1;
  st.y.main = st.y.alt = st.dx.main = st.dx.alt = EMPTY_F32;
  const s = st.samples;
  s.z = s.a = s.h = s.g = s.s = EMPTY_F32;
  s.argmax = EMPTY_I32;
  const p = st.params;
  p.w1 = p.b1 = p.w2 = p.b2 = EMPTY_F32;
  const g = st.grads;
  g.dG = g.dA = g.dw1 = g.db1 = g.dw2 = g.db2 = EMPTY_F32;
  st.generation++;
}

/** True when a typed array's memory is a SharedArrayBuffer. */
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
