/**
 * SEThreads, the pool of `se-kernels/threads`, for every runtime: the SE forward and backward
 * split over the batch between the calling thread and worker threads. Every thread runs the fused
 * path's own sample loops on its share (the weight gradients are summed over the whole batch on
 * the calling thread), so results are bit-identical to `seForward` / `seBackward`, and the caches a
 * pool returns work with the ordinary `seBackward` too. The runtime (node:worker_threads or Web
 * Workers) comes from the entry that loaded this module (runtime.ts).
 *
 * This file is the public class: its methods and the steps of a call (the fused path's begin,
 * the sample loops or a job, its end). The rest of the pool lives beside it: options.ts (reading
 * the options), core.ts (threads, shutdown, fallback), jobs.ts (planning and starting a job),
 * wait.ts (waiting for the workers).
 */
import { checkKeys } from '../arguments.js';
import { SEBlockingError, SEStateError } from '../errors.js';
import {
  acquireWorkspace,
  backwardSamples,
  beginBackward,
  beginForward,
  cacheStateOf,
  discardBuffers,
  endBackward,
  endForward,
  forwardSamples,
  isShared,
  markShared,
  newBackwardResult,
  noteXShare,
  releaseWorkspace,
  SECache,
  SEWorkspace,
  shareCopy,
  type SEBackwardResult,
  type SEForwardResult,
  type WorkspaceState,
} from '../fused/index.js';
import type { SEOptions } from '../options.js';
import type { SEParams } from '../params.js';
import { plainTensor, type FloatTensor } from '../tensor.js';
import { currentRuntime, PoolCore, startThreads, type Job } from './core.js';
import { cacheIsShared, jobArrays, planSplit, startJob } from './jobs.js';
import { BUFFER_KEYS, readPoolOptions, type SEThreadsBuffers, type SEThreadsOptions } from './options.js';
import { CTL, readMessage } from './protocol.js';
import type { Runtime } from './runtime.js';
import { waitJob, waitJobAsync } from './wait.js';

export { useRuntime } from './core.js';
export type { SEThreadsBuffers, SEThreadsOptions } from './options.js';

const dropped = new FinalizationRegistry<PoolCore>((core) => core.shutdown('the pool was garbage-collected'));

/** Each pool's core, for the library's own tests (faults.ts), never reachable from a pool's properties. */
const cores = new WeakMap<object, PoolCore>();

/** The core of a pool (the library's own fault tests). @internal */
export function poolCore(pool: SEThreads): PoolCore | undefined {
  return cores.get(pool);
}

/**
 * A pool of worker threads for the SE block, in Node, Bun, Deno and browsers. Create one and keep
 * it; `close()` it when done (a pool that is dropped without `close()` ends its threads when it is
 * garbage-collected; on Node its threads never keep the process alive).
 *
 * Where worker threads cannot run (no SharedArrayBuffer: a page that is not cross-origin isolated;
 * workers refused by a Content-Security-Policy) the pool computes on the calling thread:
 * `threads` is 1 and `fallbackReason` says why and what to change. It never throws for that.
 *
 * State: like an {@link SEWorkspace}, the pool's own workspace holds one forward's state: the y,
 * dx and gradients a call returns live in buffers it owns and are overwritten by its later calls,
 * and a cache from an earlier forward on it is stale (seBackward says so). For a network, pass one
 * workspace per SE block: `pool.seForward(x, params, options, { workspace })`.
 *
 * Calls run one at a time: a call made while another call on the pool is running (from a getter or
 * Proxy of its arguments, or while an async call has not settled) throws SEStateError.
 */
export class SEThreads {
  /** Smallest input (in elements) that is split over the threads. */
  readonly minElements: number;
  /** How long a call waits for a worker's share, in ms. */
  readonly timeoutMs: number;
  private readonly requested: number;
  private readonly rt: Runtime;
  private readonly core: PoolCore;
  private readonly workspace = new SEWorkspace();
  private busy: string | null = null;

  /** @param options threads, minElements, timeoutMs, workerResourceLimits (unknown keys are an SEOptionError) */
  constructor(options?: SEThreadsOptions) {
    const rt = currentRuntime();
    const o = readPoolOptions(rt, options);
    this.rt = rt;
    this.requested = o.threads;
    this.minElements = o.minElements;
    this.timeoutMs = o.timeoutMs;
    const workers = o.threads - 1;
    const why = workers > 0 ? rt.unavailable() : null;
    const core = (this.core = new PoolCore(workers > 0 && why === null, o.timeoutMs));
    cores.set(this, core);
    if (why !== null) core.fallback = why;
    else if (workers > 0) startThreads(core, rt, workers, o.limits);
    dropped.register(this, core, core);
  }

  /** Threads the pool computes with, the calling one included (1 when it fell back to the calling thread). */
  get threads(): number {
    return this.core.fallback === null ? this.requested : 1;
  }

  /** Null, or a sentence: why the pool computes on the calling thread only, and what to change. */
  get fallbackReason(): string | null {
    return this.core.fallback;
  }

  /** Why the pool is closed (`close()`, a worker fault, a timeout), or null while it is open. */
  get closedReason(): string | null {
    return this.core.closed;
  }

  /** Resolves once the pool's threads have started, or it fell back (at once without threads; calls before that run on the calling thread). */
  ready(): Promise<void> {
    return this.core.ready;
  }

  /**
   * `seForward`, split over the batch between this thread and the workers when x has at least
   * `minElements` elements and two or more samples; otherwise on this thread alone. Same
   * arguments, same checks, same results bit for bit. Synchronous: it blocks while the workers
   * compute, so on a browser page's main thread it throws SEBlockingError (use
   * {@link SEThreads.seForwardAsync} there).
   * @param buffers optional `{ workspace }`: one per SE block of a network (default: the pool's own)
   * @returns y (owned by the workspace) and the cache, usable with `seBackward`
   */
  seForward(x: FloatTensor, params: SEParams, options?: SEOptions, buffers?: SEThreadsBuffers): SEForwardResult {
    const fn = 'SEThreads.seForward';
    this.assertCanBlock(fn, 'seForwardAsync');
    return this.drive(fn, this.forwardSteps(fn, x, params, options, buffers));
  }

  /**
   * {@link SEThreads.seForward} without blocking: the calling thread computes its share, then
   * awaits the workers' (`Atomics.waitAsync`), so the event loop runs meanwhile. The arguments are
   * read and checked before it returns; bad ones reject the promise.
   */
  seForwardAsync(x: FloatTensor, params: SEParams, options?: SEOptions, buffers?: SEThreadsBuffers): Promise<SEForwardResult> {
    const fn = 'SEThreads.seForwardAsync';
    return this.driveAsync(fn, this.forwardSteps(fn, x, params, options, buffers));
  }

  /**
   * `seBackward`, split over the batch the same way when the cache's arrays are on shared memory
   * (a cache from a split forward of any pool); otherwise on this thread alone. Each thread runs
   * the per-sample backward on its share; the weight gradients are then summed over all samples on
   * this thread, as `seBackward` does, so every result is bit-identical. Synchronous (see
   * {@link SEThreads.seForward}); {@link SEThreads.seBackwardAsync} does not block.
   * @param buffers optional `{ workspace }` for dx and the gradients (default: the pool's own)
   * @returns dx and the weight gradients (on memory owned by the workspace)
   */
  seBackward(dy: FloatTensor, cache: SECache, buffers?: SEThreadsBuffers): SEBackwardResult {
    const fn = 'SEThreads.seBackward';
    this.assertCanBlock(fn, 'seBackwardAsync');
    return this.drive(fn, this.backwardSteps(fn, dy, cache, buffers));
  }

  /** {@link SEThreads.seBackward} without blocking (see {@link SEThreads.seForwardAsync}). */
  seBackwardAsync(dy: FloatTensor, cache: SECache, buffers?: SEThreadsBuffers): Promise<SEBackwardResult> {
    const fn = 'SEThreads.seBackwardAsync';
    return this.driveAsync(fn, this.backwardSteps(fn, dy, cache, buffers));
  }

  /** Stops the threads. The pool cannot be used afterwards (calls throw SEStateError); a call waiting for its workers ends with SEStateError. */
  close(): void {
    this.core.shutdown('it was closed by close()');
    dropped.unregister(this.core);
  }

  /** True when a call of `N` samples and `size` elements is split over the threads. */
  private splits(N: number, size: number): boolean {
    return this.core.workers > 0 && N >= 2 && size >= this.minElements;
  }

  /** A forward: the fused path's begin, the samples (yielding a job while the workers run theirs), its end. */
  private *forwardSteps(fn: string, x: unknown, params: unknown, options: unknown, buffers: unknown): Generator<Job, SEForwardResult, void> {
    const ws = this.enter(fn, buffers);
    let dispatched = false;
    try {
      const result = new SECache();
      const cache = cacheStateOf(result);
      let split = false;
      const y = beginForward(fn, ws, x, params, options, undefined, cache, (w) => {
        this.assertOpen(fn);
        split = this.splits(w.xSnap.shape[0], w.xSnap.size);
        return split;
      });
      const f = cache.frame;
      if (split) {
        dispatched = true;
        // Workers read x from shared memory: the caller's (or the dense copy of a strided x) in
        // place, else a copy of their samples made during the job.
        const inPlace = isShared(f.x);
        const xShare = inPlace ? f.x : shareCopy(fn, ws, 'x', f.N * f.C * f.S);
        const plan = planSplit(this.core, f.N, inPlace ? 0 : this.core.copyCost[0], 0);
        const arrays = jobArrays(f, xShare, y, null, null, null, null);
        yield startJob(this.core, 0, f, arrays, inPlace ? f.xOffset : 0, 0, null, 0, plan, inPlace ? null : { src: f.x, srcOffset: f.xOffset, dst: xShare }, null, ws);
        noteXShare(ws, inPlace ? -1 : plan.first);
      } else {
        forwardSamples(f, y, 0, f.N, ws.scratch);
      }
      endForward(ws, cache, ws);
      return { y: plainTensor(y, ws.xSnap.shape), cache: result };
    } catch (e) {
      if (dispatched) discardBuffers(ws);
      throw e;
    } finally {
      this.leave(ws);
    }
  }

  /** A backward: the fused path's begin, the samples (yielding a job while the workers run theirs), its end. */
  private *backwardSteps(fn: string, dy: unknown, cacheArg: unknown, buffers: unknown): Generator<Job, SEBackwardResult, void> {
    const ws = this.enter(fn, buffers);
    let dispatched = false;
    try {
      const c = beginBackward(fn, ws, dy, cacheArg, undefined, undefined, undefined, undefined, undefined, () => this.assertOpen(fn));
      const f = c.frame;
      const bound = ws.bound;
      if (this.splits(f.N, f.N * f.C * f.S) && cacheIsShared(f)) {
        dispatched = true;
        const size = f.N * f.C * f.S;
        // What the workers read: x and dy on shared memory in place; x copied by the forward (this
        // cache's, on this workspace, from sample xShareFrom on) reused; the rest copied now.
        const xInPlace = isShared(f.x);
        const copies = ws.copies;
        const xCopied = !xInPlace && c.owner === ws && copies.xShareGeneration === c.generation && copies.xShareFrom >= 0;
        const dyInPlace = isShared(bound.dy);
        const copyX = !xInPlace && !xCopied;
        const xShare = copyX ? shareCopy(fn, ws, 'x', size) : copies.xShare;
        const dyShare = dyInPlace ? bound.dy : shareCopy(fn, ws, 'dy', size);
        const cost = ((copyX ? 1 : 0) + (dyInPlace ? 0 : 1)) * this.core.copyCost[1];
        const plan = planSplit(this.core, f.N, cost, xCopied ? copies.xShareFrom : 0);
        const arrays = jobArrays(f, xInPlace ? f.x : xShare, ws.y.main, dyShare, bound.dx, bound.dG, bound.dA);
        yield startJob(
          this.core,
          1,
          f,
          arrays,
          xInPlace ? f.xOffset : 0,
          dyInPlace ? bound.dyOffset : 0,
          bound.dy,
          bound.dyOffset,
          plan,
          copyX ? { src: f.x, srcOffset: f.xOffset, dst: xShare } : null,
          dyInPlace ? null : { src: bound.dy, srcOffset: bound.dyOffset, dst: dyShare },
          ws,
        );
        if (copyX) noteXShare(ws, plan.first);
      } else {
        backwardSamples(f, bound.dy, bound.dyOffset, bound.dx, bound.dG, bound.dA, 0, f.N, ws.scratch);
      }
      return endBackward(fn, ws, c, newBackwardResult());
    } catch (e) {
      if (dispatched) discardBuffers(ws);
      throw e;
    } finally {
      this.leave(ws);
    }
  }

  /** Runs a call's steps, blocking (Atomics.wait) while its jobs run. */
  private drive<T>(fn: string, steps: Generator<Job, T, void>): T {
    let r = steps.next();
    while (r.done !== true) {
      try {
        waitJob(this.core, fn, r.value);
      } catch (e) {
        r = steps.throw(e); // runs the call's clean-up, then rethrows
        continue;
      }
      r = steps.next();
    }
    return r.value;
  }

  /** Runs a call's steps, awaiting its jobs without blocking. */
  private async driveAsync<T>(fn: string, steps: Generator<Job, T, void>): Promise<T> {
    let r = steps.next();
    while (r.done !== true) {
      try {
        await waitJobAsync(this.core, fn, r.value);
      } catch (e) {
        r = steps.throw(e);
        continue;
      }
      r = steps.next();
    }
    return r.value;
  }

  /** Starts a call: the pool open, not busy; the workspace (the caller's or the pool's) acquired. */
  private enter(fn: string, buffers: unknown): WorkspaceState {
    this.assertOpen(fn);
    if (this.busy !== null) {
      throw new SEStateError(
        `${fn}: the pool is in use by a ${this.busy} that has not returned (a call made from a getter or Proxy of its arguments, or before an async call settled?); a pool serves one call at a time`,
      );
    }
    let wsArg: unknown;
    if (buffers !== undefined) wsArg = checkKeys(fn, buffers, BUFFER_KEYS).workspace;
    const ws = acquireWorkspace(fn, wsArg === undefined ? this.workspace : wsArg);
    if (this.core.workers > 0) markShared(ws);
    this.busy = fn;
    return ws;
  }

  private leave(ws: WorkspaceState): void {
    this.busy = null;
    releaseWorkspace(ws);
  }

  /** Throws SEBlockingError where this thread may not block (a browser page's main thread). */
  private assertCanBlock(fn: string, instead: string): void {
    if (!this.rt.canBlock()) {
      throw new SEBlockingError(
        `${fn}: a synchronous call would block this thread, and a browser page's main thread may not block; use \`await pool.${instead}(...)\` here (the synchronous calls work in Node, Bun, Deno and inside a Web Worker)`,
      );
    }
  }

  /** Throws SEStateError when the pool is closed, or a worker fault is pending (the pool then closes). */
  private assertOpen(fn: string): void {
    const core = this.core;
    if (core.closed === null && Atomics.load(core.ctl, CTL.fault) !== 0) {
      core.shutdown(`${readMessage(core.ctl, core.message)}`);
    }
    if (core.closed !== null) throw new SEStateError(`${fn}: this pool is closed: ${core.closed}; create a new SEThreads`);
  }
}

