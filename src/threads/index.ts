/**
 * `se-kernels/threads` (Node, ESM): the SE forward and backward split over the batch between the
 * calling thread and worker threads, synchronous for the caller. Every thread runs the fused
 * path's own sample loops on its share (the weight gradients are summed over the whole batch on
 * the calling thread), so results are bit-identical to `seForward` / `seBackward`, and the caches
 * a pool returns work with the ordinary `seBackward` too.
 *
 * Faults never hang a call or return stale data: a worker that exits, throws or runs out of memory
 * is noticed at once by the pool's supervisor thread (the call in progress, or the next one, throws
 * SEStateError naming what happened, and the pool closes itself); a share that takes longer than
 * `timeoutMs` fails the call the same way; `close()` during a call ends it with an error; shares are
 * claimed per job, so a late worker can never write into another call's results.
 * @module se-kernels/threads
 */
import { cpus } from 'node:os';
import { MessageChannel, Worker, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import { SEOptionError, SEStateError, describeValue } from '../errors.js';
import { checkKeys } from '../fused/arguments.js';
import { backwardResult, bindBackward, checkBackwardOutputs, finishBackward, newBackwardResult, planBackward } from '../fused/backward.js';
import { recordForward, SECache } from '../fused/cache.js';
import type { SEFrame } from '../fused/frame.js';
import { bindForward, planForward } from '../fused/forward.js';
import { backwardSamples, forwardSamples } from '../fused/samples.js';
import { acquireWorkspace, isShared, releaseWorkspace, SEWorkspace, type SEBackwardResult, type SEForwardResult } from '../fused/workspace.js';
import type { SEOptions } from '../options.js';
import type { SEParams } from '../params.js';
import { plainTensor, type FloatTensor } from '../tensor.js';
import {
  claimed,
  CTL,
  CTL_LENGTH,
  describeJob,
  done,
  failed,
  FAULT,
  free,
  MAX_SHARES,
  MESSAGE_BYTES,
  nextGeneration,
  pending,
  readMessage,
  runShare,
  type JobArrays,
} from './protocol.js';

/** Options of {@link SEThreads}. */
export interface SEThreadsOptions {
  /** Threads in all, the calling one included (default: the number of CPUs, at least 1; at most 64). 1 turns the split off. */
  threads?: number;
  /** Inputs with fewer elements run on the calling thread only (default 2^20). */
  minElements?: number;
  /** How long a call waits for a worker's share before it fails with SEStateError and the pool closes, in ms (default 30000). */
  timeoutMs?: number;
  /** Node's `resourceLimits` for each worker thread (e.g. `{ maxOldGenerationSizeMb: 64 }`). */
  workerResourceLimits?: ResourceLimits;
}

/** Buffers of a pool call: a workspace of the caller's, one per SE block of a network. */
export interface SEThreadsBuffers {
  /** Holds the call's state and results instead of the pool's own workspace (its buffers move to shared memory). */
  workspace?: SEWorkspace;
}

const OPTION_KEYS: readonly string[] = ['threads', 'minElements', 'timeoutMs', 'workerResourceLimits'];
const BUFFER_KEYS: readonly string[] = ['workspace'];

/**
 * Fault injection for the library's own tests: `pool[INJECT_FAULT](name, worker)` with a name of
 * `FAULT` (protocol.ts) or 'terminate'. Not part of the API.
 * @internal
 */
export const INJECT_FAULT = Symbol.for('se-kernels.threads.injectFault');

/**
 * `pool[WORKER_SHARES]()`: how many shares the pool's workers have run, for the library's own
 * tests (that the split really runs on the workers). Not part of the API.
 * @internal
 */
export const WORKER_SHARES = Symbol.for('se-kernels.threads.workerShares');

/** The part of a pool its threads' listeners and its finalizer hold (never the pool itself, so a dropped pool can be collected). */
class PoolCore {
  readonly ctl = new Int32Array(new SharedArrayBuffer(CTL_LENGTH * 4));
  readonly message = new Uint8Array(new SharedArrayBuffer(MESSAGE_BYTES));
  readonly ports: MessagePort[] = [];
  supervisor: Worker | null = null;
  /** Why the pool is closed, or null while it is open. */
  closed: string | null = null;
  /** The arrays the workers hold, and their version. */
  posted: JobArrays | null = null;
  version = 0;
  gen = 0;
  /** Resolves when every worker has started. */
  ready: Promise<void> = Promise.resolve();

  shutdown(reason: string): void {
    if (this.closed !== null) return;
    this.closed = reason;
    Atomics.store(this.ctl, CTL.stop, 1);
    Atomics.add(this.ctl, CTL.gen, 1);
    Atomics.notify(this.ctl, CTL.gen);
    for (const p of this.ports) p.close();
    const s = this.supervisor;
    this.supervisor = null;
    if (s !== null) {
      s.postMessage({ type: 'stop' });
      void s.terminate();
    }
  }
}

const dropped = new FinalizationRegistry<PoolCore>((core) => core.shutdown('the pool was garbage-collected'));

function readOptions(options: unknown): { threads: number; minElements: number; timeoutMs: number; limits: ResourceLimits | undefined } {
  const fn = 'SEThreads';
  if (options === undefined) return { threads: Math.max(1, cpus().length), minElements: 2 ** 20, timeoutMs: 30000, limits: undefined };
  const o = checkKeys(fn, options, OPTION_KEYS, 'options');
  const threadsArg = o.threads;
  const minArg = o.minElements;
  const timeoutArg = o.timeoutMs;
  const limits = o.workerResourceLimits;
  const threads = threadsArg === undefined ? Math.max(1, cpus().length) : threadsArg;
  if (typeof threads !== 'number' || !Number.isSafeInteger(threads) || threads < 1 || threads > MAX_SHARES) {
    throw new SEOptionError(`${fn}: options.threads must be an integer from 1 to ${MAX_SHARES} but is ${describeValue(threadsArg)}`);
  }
  const minElements = minArg === undefined ? 2 ** 20 : minArg;
  if (typeof minElements !== 'number' || !(minElements >= 0)) {
    throw new SEOptionError(`${fn}: options.minElements must be a number >= 0 but is ${describeValue(minArg)}`);
  }
  const timeoutMs = timeoutArg === undefined ? 30000 : timeoutArg;
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
    throw new SEOptionError(`${fn}: options.timeoutMs must be a finite number > 0 but is ${describeValue(timeoutArg)}`);
  }
  if (limits !== undefined && (limits === null || typeof limits !== 'object')) {
    throw new SEOptionError(`${fn}: options.workerResourceLimits must be an object like { maxOldGenerationSizeMb: 64 } but is ${describeValue(limits)}`);
  }
  return { threads, minElements, timeoutMs, limits: limits === undefined ? undefined : { ...(limits as ResourceLimits) } };
}

/**
 * A pool of worker threads for the SE block. Create one and keep it; `close()` it when done (a
 * pool that is dropped without `close()` ends its threads when it is garbage-collected; its
 * threads never keep the process alive).
 *
 * State: like an {@link SEWorkspace}, the pool's own workspace holds one forward's state: the y,
 * dx and gradients a call returns live in shared buffers it owns and are overwritten by its later
 * calls, and a cache from an earlier forward on it is stale (seBackward says so). For a network,
 * pass one workspace per SE block: `pool.seForward(x, params, options, { workspace })`.
 *
 * Calls are synchronous and one at a time: a call made while another call on the pool is running
 * (from a getter or Proxy of its arguments) throws SEStateError.
 */
export class SEThreads {
  /** Threads in all, the calling one included. */
  readonly threads: number;
  /** Smallest input (in elements) that is split over the threads. */
  readonly minElements: number;
  /** How long a call waits for a worker's share, in ms. */
  readonly timeoutMs: number;
  private readonly core = new PoolCore();
  private readonly workspace = new SEWorkspace();
  private busy: string | null = null;

  /** @param options threads, minElements, timeoutMs, workerResourceLimits (unknown keys are an SEOptionError) */
  constructor(options?: SEThreadsOptions) {
    const o = readOptions(options);
    this.threads = o.threads;
    this.minElements = o.minElements;
    this.timeoutMs = o.timeoutMs;
    this.workspace.shared = true;
    const core = this.core;
    const workers = o.threads - 1;
    if (workers > 0) {
      const remote: MessagePort[] = [];
      for (let k = 0; k < workers; k++) {
        const { port1, port2 } = new MessageChannel();
        port1.unref();
        core.ports.push(port1);
        remote.push(port2);
      }
      const supervisor = new Worker(new URL('./supervisor.js', import.meta.url), {
        workerData: { ctl: core.ctl.buffer, message: core.message.buffer, ports: remote, resourceLimits: o.limits },
        transferList: remote,
      });
      supervisor.unref();
      supervisor.on('error', (e: unknown) => core.shutdown(`its supervisor thread failed: ${e instanceof Error ? e.message : String(e)}`));
      supervisor.on('exit', () => core.shutdown('its supervisor thread exited'));
      core.supervisor = supervisor;
      core.ready = new Promise<void>((resolve) => {
        // Held (ref'd) until then, so that awaiting ready() keeps the process alive.
        supervisor.ref();
        const settle = () => {
          supervisor.unref();
          resolve();
        };
        supervisor.on('message', (m: { type?: string }) => {
          if (m.type === 'ready') settle();
        });
        supervisor.once('exit', settle);
      });
    }
    dropped.register(this, core, core);
  }

  /** Why the pool is closed (`close()`, a worker fault, a timeout), or null while it is open. */
  get closedReason(): string | null {
    return this.core.closed;
  }

  /** Resolves once the pool's threads have started (calls before that run on the calling thread). */
  ready(): Promise<void> {
    return this.core.ready;
  }

  /**
   * `seForward`, split over the batch between this thread and the workers when x has at least
   * `minElements` elements and two or more samples; otherwise on this thread alone. Same
   * arguments, same checks, same results bit for bit.
   * @param buffers optional `{ workspace }`: one per SE block of a network (default: the pool's own)
   * @returns y (on shared memory, owned by the workspace) and the cache, usable with `seBackward`
   */
  seForward(x: FloatTensor, params: SEParams, options?: SEOptions, buffers?: SEThreadsBuffers): SEForwardResult {
    const fn = 'SEThreads.seForward';
    const ws = this.enter(fn, buffers);
    let dispatched = false;
    try {
      const opts = planForward(fn, ws, x, params, options);
      this.assertOpen(fn);
      const xs = ws.xSnap;
      const N = xs.shape[0];
      const split = this.threads > 1 && N >= 2 && xs.size >= this.minElements;
      const cache = new SECache();
      const f = cache.frame;
      const y = bindForward(fn, ws, opts, f, null, split);
      if (split) {
        dispatched = true;
        // Workers read x from shared memory: the caller's (or the dense copy of a strided x) in
        // place, else a copy of their samples made during the job.
        const inPlace = isShared(f.x);
        const size = f.N * f.C * f.S;
        if (!inPlace) ws.xShare = ws.f32(fn, 'a shared copy of x', ws.xShare, size);
        const plan = this.plan(f.N, inPlace ? 0 : COPY_COST_FORWARD, 0);
        const arrays = jobArrays(f, inPlace ? f.x : ws.xShare, y, null, null, null, null);
        this.run(fn, 0, f, arrays, inPlace ? f.xOffset : 0, 0, null, 0, plan, inPlace ? null : { src: f.x, srcOffset: f.xOffset, dst: ws.xShare }, null, ws);
        ws.xShareFrom = inPlace ? -1 : plan.first;
        ws.xShareGeneration = ws.generation;
      } else {
        forwardSamples(f, y, 0, N, ws.scratch);
      }
      const ps = ws.pSnap;
      recordForward(cache, f, xs.shape, opts, ps.w1, ps.b1, ps.w2, ps.b2, ws);
      return { y: plainTensor(y, xs.shape), cache };
    } catch (e) {
      if (dispatched) ws.discardBuffers();
      throw e;
    } finally {
      this.leave(ws);
    }
  }

  /**
   * `seBackward`, split over the batch the same way when the cache's arrays are on shared memory
   * (a cache from a split forward of any pool); otherwise on this thread alone. Each thread runs
   * the per-sample backward on its share; the weight gradients are then summed over all samples on
   * this thread, as `seBackward` does, so every result is bit-identical.
   * @param buffers optional `{ workspace }` for dx and the gradients (default: the pool's own)
   * @returns dx and the weight gradients (on memory owned by the workspace)
   */
  seBackward(dy: FloatTensor, cache: SECache, buffers?: SEThreadsBuffers): SEBackwardResult {
    const fn = 'SEThreads.seBackward';
    const ws = this.enter(fn, buffers);
    let dispatched = false;
    try {
      const c = planBackward(fn, ws, dy, cache);
      this.assertOpen(fn);
      const f = c.frame;
      const outs = checkBackwardOutputs(fn, ws, c, undefined, undefined, undefined, undefined, undefined, ws.outputs);
      const split = this.threads > 1 && f.N >= 2 && f.N * f.C * f.S >= this.minElements && cacheIsShared(f);
      const bound = bindBackward(fn, ws, c, outs, ws.bound);
      if (split) {
        dispatched = true;
        const size = f.N * f.C * f.S;
        // What the workers read: x and dy on shared memory in place; x copied by the forward (this
        // cache's, on this workspace, from sample xShareFrom on) reused; the rest copied now.
        const xInPlace = isShared(f.x);
        const xCopied = !xInPlace && c.owner === ws && ws.xShareGeneration === c.generation && ws.xShareFrom >= 0;
        const dyInPlace = isShared(bound.dy);
        const copyX = !xInPlace && !xCopied;
        if (copyX) ws.xShare = ws.f32(fn, 'a shared copy of x', ws.xShare, size);
        if (!dyInPlace) ws.dyShare = ws.f32(fn, 'a shared copy of dy', ws.dyShare, size);
        const cost = (copyX ? COPY_COST_BACKWARD_X : 0) + (dyInPlace ? 0 : COPY_COST_BACKWARD_DY);
        const plan = this.plan(f.N, cost, xCopied ? ws.xShareFrom : 0);
        const workerX = xInPlace ? f.x : ws.xShare;
        const workerDy = dyInPlace ? bound.dy : ws.dyShare;
        const arrays = jobArrays(f, workerX, ws.y, workerDy, bound.dx, bound.dG, bound.dA);
        this.run(
          fn,
          1,
          f,
          arrays,
          xInPlace ? f.xOffset : 0,
          dyInPlace ? bound.dyOffset : 0,
          bound.dy,
          bound.dyOffset,
          plan,
          copyX ? { src: f.x, srcOffset: f.xOffset, dst: ws.xShare } : null,
          dyInPlace ? null : { src: bound.dy, srcOffset: bound.dyOffset, dst: ws.dyShare },
          ws,
        );
        if (copyX) {
          ws.xShareFrom = plan.first;
          ws.xShareGeneration = ws.generation;
        }
      } else {
        backwardSamples(f, bound.dy, bound.dyOffset, bound.dx, bound.dG, bound.dA, 0, f.N, ws.scratch);
      }
      finishBackward(fn, ws, c, outs, bound);
      return backwardResult(newBackwardResult(), ws, c, bound.dx);
    } catch (e) {
      if (dispatched) ws.discardBuffers();
      throw e;
    } finally {
      this.leave(ws);
    }
  }

  /** Stops the threads. The pool cannot be used afterwards (calls throw SEStateError). */
  close(): void {
    this.core.shutdown('it was closed by close()');
    dropped.unregister(this.core);
  }

  /** @internal How many shares the workers have run (the library's own tests). */
  [WORKER_SHARES](): number {
    return Atomics.load(this.core.ctl, CTL.workerShares);
  }

  /** @internal Fault injection for the library's own tests. */
  [INJECT_FAULT](what: keyof typeof FAULT | 'terminate', worker = 1): void {
    const core = this.core;
    if (what === 'terminate') {
      core.supervisor?.postMessage({ type: 'terminate', index: worker - 1 });
      return;
    }
    Atomics.store(core.ctl, CTL.inject, FAULT[what]);
    Atomics.store(core.ctl, CTL.injectTarget, worker);
  }

  /** Starts a call: the pool open, not busy; the workspace (the caller's or the pool's) acquired. */
  private enter(fn: string, buffers: unknown): SEWorkspace {
    this.assertOpen(fn);
    if (this.busy !== null) {
      throw new SEStateError(`${fn}: the pool is in use by a ${this.busy} that has not returned (a call made from a getter or Proxy of its arguments?); a pool serves one call at a time`);
    }
    let wsArg: unknown;
    if (buffers !== undefined) wsArg = checkKeys(fn, buffers, BUFFER_KEYS).workspace;
    const ws = acquireWorkspace(fn, wsArg === undefined ? this.workspace : wsArg);
    ws.shared = true;
    this.busy = fn;
    return ws;
  }

  private leave(ws: SEWorkspace): void {
    this.busy = null;
    releaseWorkspace(ws);
  }

  /** Throws SEStateError when the pool is closed, or a worker fault is pending (the pool then closes). */
  private assertOpen(fn: string): void {
    const core = this.core;
    if (core.closed === null && Atomics.load(core.ctl, CTL.fault) !== 0) {
      core.shutdown(`${readMessage(core.ctl, core.message)}`);
    }
    if (core.closed !== null) throw new SEStateError(`${fn}: this pool is closed: ${core.closed}; create a new SEThreads`);
  }

  /**
   * How a job over N samples is split. Without copying (`cost` 0): `min(threads, N)` equal shares,
   * the first one this thread's. When this thread must copy the workers' samples into shared memory
   * (`cost`: the copy's time per sample relative to computing one), its own first share is smaller
   * (it balances copying plus its share against the workers' shares) and the rest is cut into
   * more, smaller shares, released to the workers one by one as their samples are copied. `least`:
   * the workers' first sample may not be below it (samples already copied from there on).
   */
  private plan(N: number, cost: number, least: number): SplitPlan {
    const T = this.threads;
    if (cost === 0 && least === 0) {
      const shares = Math.min(T, N);
      const bounds: number[] = [];
      for (let k = 0; k <= shares; k++) bounds.push(Math.round((k * N) / shares));
      return { bounds, first: bounds[1], copy: false };
    }
    // This thread: copy (N - m) samples, compute m; each of T - 1 workers: compute (N - m) / (T - 1).
    const w = 1 / (T - 1);
    const share = Math.max(0, (w - cost) / (1 - cost + w));
    const first = Math.min(N - 1, Math.max(least, Math.round(N * share)));
    const chunks = Math.min(N - first, 4 * (T - 1), MAX_SHARES - 1);
    const bounds = [0];
    for (let k = 0; k <= chunks; k++) bounds.push(first + Math.round((k * (N - first)) / chunks));
    return { bounds, first, copy: true };
  }

  /**
   * Runs a job: the workers claim shares; this thread copies the workers' samples when they read
   * copies (releasing each share as its samples land), runs its first share and any share no worker
   * has claimed, then waits (at most `timeoutMs`) for the workers' shares. `workerXOffset` and
   * `workerDyOffset` are where the workers find sample 0 in `arrays.x` / `arrays.dy`; this thread
   * reads x through the frame and dy from `dy` / `dyOffset`.
   */
  private run(
    fn: string,
    kind: 0 | 1,
    f: SEFrame,
    arrays: JobArrays,
    workerXOffset: number,
    workerDyOffset: number,
    dy: Float32Array | null,
    dyOffset: number,
    plan: SplitPlan,
    copyX: SampleCopy | null,
    copyDy: SampleCopy | null,
    ws: SEWorkspace,
  ): void {
    const core = this.core;
    const ctl = core.ctl;
    const { bounds } = plan;
    const shares = bounds.length - 1;
    const gen = (core.gen = nextGeneration(core.gen));
    describeJob(ctl, kind, f, workerDyOffset);
    ctl[CTL.xOffset] = workerXOffset;
    ctl[CTL.shares] = shares;
    for (let k = 0; k <= shares; k++) ctl[CTL.bounds + k] = bounds[k];
    Atomics.store(ctl, CTL.state, plan.copy ? claimed(gen) : free(gen));
    for (let k = 1; k < shares; k++) Atomics.store(ctl, CTL.state + k, plan.copy ? pending(gen) : free(gen));
    this.postArrays(arrays);
    Atomics.store(ctl, CTL.gen, gen);
    Atomics.notify(ctl, CTL.gen);
    const sample = f.C * f.S;
    if (plan.copy) {
      for (let k = 1; k < shares; k++) {
        const from = bounds[k] * sample;
        const n = (bounds[k + 1] - bounds[k]) * sample;
        if (copyX !== null) copyRange(copyX.dst, from, copyX.src, copyX.srcOffset + from, n);
        if (copyDy !== null) copyRange(copyDy.dst, from, copyDy.src, copyDy.srcOffset + from, n);
        Atomics.store(ctl, CTL.state + k, free(gen));
        Atomics.add(ctl, CTL.released, 1);
        Atomics.notify(ctl, CTL.released);
      }
      runShare(ctl, f, arrays, dy, dyOffset, 0, ws.scratch);
      Atomics.store(ctl, CTL.state, done(gen));
    }
    for (let k = 0; k < shares; k++) {
      if (Atomics.compareExchange(ctl, CTL.state + k, free(gen), claimed(gen)) !== free(gen)) continue;
      runShare(ctl, f, arrays, dy, dyOffset, k, ws.scratch);
      Atomics.store(ctl, CTL.state + k, done(gen));
    }
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const seen = Atomics.load(ctl, CTL.signal);
      let left = 0;
      for (let k = 0; k < shares; k++) {
        const st = Atomics.load(ctl, CTL.state + k);
        if (st === failed(gen)) throw new SEStateError(`${fn}: ${readMessage(ctl, core.message)}`);
        if (st !== done(gen)) left++;
      }
      if (Atomics.load(ctl, CTL.fault) !== 0) {
        const what = readMessage(ctl, core.message);
        core.shutdown(what);
        throw new SEStateError(`${fn}: ${what} during the call; the pool is closed (create a new SEThreads)`);
      }
      if (left === 0) return;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        core.shutdown(`a worker did not finish its share within ${this.timeoutMs} ms`);
        throw new SEStateError(`${fn}: a worker did not finish its share within ${this.timeoutMs} ms; the pool is closed (create a new SEThreads)`);
      }
      Atomics.wait(ctl, CTL.signal, seen, Math.min(remaining, 1000));
    }
  }

  /** Sends the job's arrays to the workers when any differs from what they hold. */
  private postArrays(arrays: JobArrays): void {
    const core = this.core;
    const last = core.posted;
    if (last !== null && sameArrays(last, arrays)) return;
    core.posted = arrays;
    core.version++;
    for (const p of core.ports) p.postMessage({ version: core.version, arrays });
    Atomics.store(core.ctl, CTL.arrays, core.version);
  }
}

/**
 * The copy's time per sample relative to computing the sample, used to size this thread's share
 * when it copies the workers' samples (see SEThreads.plan): forward reads x twice and writes y, a
 * copy reads and writes x once; the backward's dy (and x) likewise against its two passes.
 */
const COPY_COST_FORWARD = 0.6;
const COPY_COST_BACKWARD_DY = 0.45;
const COPY_COST_BACKWARD_X = 0.35;

/** How a job is split: share k is samples [bounds[k], bounds[k + 1]); the workers' first sample; whether they read copies. */
interface SplitPlan {
  bounds: number[];
  first: number;
  copy: boolean;
}

/** A copy of samples into shared memory: element e of the batch is src[srcOffset + e] -> dst[e]. */
interface SampleCopy {
  src: Float32Array;
  srcOffset: number;
  dst: Float32Array;
}

/** dst[d + i] = src[s + i] for i < n. */
function copyRange(dst: Float32Array, d: number, src: Float32Array, s: number, n: number): void {
  const e = d + n;
  const o = s - d;
  let i = d;
  for (; i + 3 < e; i += 4) {
    dst[i] = src[i + o];
    dst[i + 1] = src[i + 1 + o];
    dst[i + 2] = src[i + 2 + o];
    dst[i + 3] = src[i + 3 + o];
  }
  for (; i < e; i++) dst[i] = src[i + o];
}

function jobArrays(
  f: SEFrame,
  x: Float32Array,
  y: Float32Array,
  dy: Float32Array | null,
  dx: Float32Array | null,
  dG: Float32Array | null,
  dA: Float32Array | null,
): JobArrays {
  return { x, y, z: f.z, a: f.aSaved, h: f.h, g: f.gSaved, s: f.s, argmax: f.argmax, w1: f.w1, b1: f.b1, w2: f.w2, b2: f.b2, dy, dx, dG, dA };
}

function sameArrays(p: JobArrays, q: JobArrays): boolean {
  return (
    p.x === q.x && p.y === q.y && p.z === q.z && p.a === q.a && p.h === q.h && p.g === q.g && p.s === q.s && p.argmax === q.argmax &&
    p.w1 === q.w1 && p.b1 === q.b1 && p.w2 === q.w2 && p.b2 === q.b2 && p.dy === q.dy && p.dx === q.dx && p.dG === q.dG && p.dA === q.dA
  );
}

/** True when every array of a cache that a backward's workers read, but x, is on shared memory. */
function cacheIsShared(f: SEFrame): boolean {
  return (
    isShared(f.z) && isShared(f.aSaved) && isShared(f.h) && isShared(f.gSaved) && isShared(f.s) && isShared(f.w1) && isShared(f.w2) &&
    (f.argmax === null || isShared(f.argmax)) && (f.b1 === null || isShared(f.b1)) && (f.b2 === null || isShared(f.b2))
  );
}
