/**
 * SEThreads, the pool of `se-kernels/threads`, for every runtime: the SE forward and backward
 * split over the batch between the calling thread and worker threads. Every thread runs the fused
 * path's own sample loops on its share (the weight gradients are summed over the whole batch on
 * the calling thread), so results are bit-identical to `seForward` / `seBackward`, and the caches a
 * pool returns work with the ordinary `seBackward` too. The runtime (node:worker_threads or Web
 * Workers) comes from the entry that loaded this module (runtime.ts).
 */
import { checkKeys } from '../arguments.js';
import { SEBlockingError, SEOptionError, SEStateError, describeValue } from '../errors.js';
import {
  acquireWorkspace,
  backwardSamples,
  beginBackward,
  beginForward,
  endBackward,
  endForward,
  forwardSamples,
  isShared,
  newBackwardResult,
  releaseWorkspace,
  SECache,
  SEWorkspace,
  cacheStateOf,
  discardBuffers,
  markShared,
  noteXShare,
  shareCopy,
  type WorkspaceState,
  type SEBackwardResult,
  type SEForwardResult,
  type SEFrame,
} from '../fused/index.js';
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
  free,
  MAX_SHARES,
  MESSAGE_BYTES,
  nextGeneration,
  pending,
  readMessage,
  runShare,
  threadMessage,
  type ArraysMessage,
  type JobArrays,
  type SupervisorInit,
} from './protocol.js';
import { waitAsync, type LocalPort, type Runtime, type SpawnedThread } from './runtime.js';

let runtime: Runtime | null = null;

/** Installs the runtime the pools of this copy use (called once by the entry module). @internal */
export function useRuntime(rt: Runtime): void {
  runtime = rt;
}

function currentRuntime(): Runtime {
  if (runtime === null) throw new SEStateError('SEThreads: no runtime installed (import se-kernels/threads, not its internal modules)');
  return runtime;
}

/** Options of {@link SEThreads}. */
export interface SEThreadsOptions {
  /** Threads in all, the calling one included (default: the number of CPUs, at least 1; at most 64). 1 turns the split off. */
  threads?: number;
  /** Inputs with fewer elements run on the calling thread only (default 2^18: below it a job's start-up costs about what a second thread saves). */
  minElements?: number;
  /** How long a call waits for a worker's share before it fails with SEStateError and the pool closes, in ms (default 30000). */
  timeoutMs?: number;
  /** Node's `resourceLimits` for each worker thread (e.g. `{ maxOldGenerationSizeMb: 64 }`); ignored in browsers. */
  workerResourceLimits?: object;
}

/** Buffers of a pool call: a workspace of the caller's, one per SE block of a network. */
export interface SEThreadsBuffers {
  /** Holds the call's state and results instead of the pool's own workspace (with worker threads, its buffers move to shared memory). */
  workspace?: SEWorkspace;
}

/** The least time workers are given to start before the pool gives up on them (see SEThreads.startThreads). */
const STARTUP_MS = 10000;

/** Default `minElements`. */
const DEFAULT_MIN_ELEMENTS = 2 ** 18;

const OPTION_KEYS: readonly string[] = ['threads', 'minElements', 'timeoutMs', 'workerResourceLimits'];
const BUFFER_KEYS: readonly string[] = ['workspace'];

/** A job in flight: its generation and share count, and when waiting for it gives up. */
interface Job {
  gen: number;
  shares: number;
  deadline: number;
}

/** The part of a pool its threads' listeners and its finalizer hold (never the pool itself, so a dropped pool can be collected). */
class PoolCore {
  readonly ctl: Int32Array;
  readonly message: Uint8Array;
  readonly ports: LocalPort[] = [];
  supervisor: SpawnedThread | null = null;
  /** Why the pool is closed, or null while it is open. */
  closed: string | null = null;
  /** Why the pool computes on the calling thread only, or null. */
  fallback: string | null = null;
  /** Worker threads (0 without, or after falling back). */
  workers = 0;
  /**
   * The array sets the workers hold (the latest first, at most ARRAY_SETS), each with its version:
   * a forward and a backward alternating on one or more workspaces reuse them without a message
   * (a worker waiting for a message would start its share late).
   */
  posted: PostedArrays[] = [];
  version = 0;
  /** Measured cost of copying a sample into shared memory, relative to computing it, per job kind (see SEThreads.plan). */
  readonly copyCost = [INITIAL_COPY_COST, INITIAL_COPY_COST];
  gen = 0;
  /** Resolves when every worker has started (or the pool fell back). */
  ready: Promise<void> = Promise.resolve();
  /** Async calls wait for 'signal' messages instead of `Atomics.waitAsync` (engines without it; the library's own tests). */
  useMessages = waitAsync === null;
  /** What async calls waiting for a 'signal' message resolve. */
  waiters: (() => void)[] = [];

  /** Wakes every async call waiting for a message. */
  wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  constructor(shared: boolean) {
    // Without worker threads the block is only read and written here: ordinary memory will do.
    this.ctl = new Int32Array(shared ? new SharedArrayBuffer(CTL_LENGTH * 4) : new ArrayBuffer(CTL_LENGTH * 4));
    this.message = new Uint8Array(shared ? new SharedArrayBuffer(MESSAGE_BYTES) : new ArrayBuffer(MESSAGE_BYTES));
  }

  /** Stops the threads; wakes a call waiting for them. */
  private stopThreads(): void {
    Atomics.store(this.ctl, CTL.stop, 1);
    Atomics.add(this.ctl, CTL.gen, 1);
    Atomics.notify(this.ctl, CTL.gen);
    Atomics.add(this.ctl, CTL.signal, 1);
    Atomics.notify(this.ctl, CTL.signal);
    for (const p of this.ports) p.close();
    this.wake();
    const s = this.supervisor;
    this.supervisor = null;
    if (s !== null) {
      s.post({ type: 'stop' }, []);
      s.terminate();
    }
  }

  shutdown(reason: string): void {
    if (this.closed !== null) return;
    this.closed = reason;
    this.stopThreads();
  }

  /** The workers could not start: compute on the calling thread from now on. */
  fallBack(reason: string): void {
    if (this.closed !== null || this.fallback !== null) return;
    this.fallback = reason;
    this.workers = 0;
    this.stopThreads();
  }
}

const dropped = new FinalizationRegistry<PoolCore>((core) => core.shutdown('the pool was garbage-collected'));

/** Each pool's core, for the library's own tests (faults.ts), never reachable from a pool's properties. */
const cores = new WeakMap<object, PoolCore>();

/** The core of a pool (the library's own fault tests). @internal */
export function poolCore(pool: SEThreads): PoolCore | undefined {
  return cores.get(pool);
}

interface ReadOptions {
  threads: number;
  minElements: number;
  timeoutMs: number;
  limits: object | undefined;
}

function readOptions(rt: Runtime, options: unknown): ReadOptions {
  const fn = 'SEThreads';
  const auto = (): number => Math.min(MAX_SHARES, Math.max(1, rt.hardwareThreads()));
  if (options === undefined) return { threads: auto(), minElements: DEFAULT_MIN_ELEMENTS, timeoutMs: 30000, limits: undefined };
  // null is refused (an SETypeError), unlike readOptions' empty snapshot; the message's noun stays 'options key'.
  const o = checkKeys(fn, options, OPTION_KEYS, 'options', 'options key');
  const threadsArg = o.threads;
  const minArg = o.minElements;
  const timeoutArg = o.timeoutMs;
  const limits = o.workerResourceLimits;
  const threads = threadsArg === undefined ? auto() : threadsArg;
  if (typeof threads !== 'number' || !Number.isSafeInteger(threads) || threads < 1 || threads > MAX_SHARES) {
    throw new SEOptionError(`${fn}: options.threads must be an integer from 1 to ${MAX_SHARES} but is ${describeValue(threadsArg)}`);
  }
  const minElements = minArg === undefined ? DEFAULT_MIN_ELEMENTS : minArg;
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
  return { threads, minElements, timeoutMs, limits: limits === undefined ? undefined : { ...limits } };
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
    const o = readOptions(rt, options);
    this.rt = rt;
    this.requested = o.threads;
    this.minElements = o.minElements;
    this.timeoutMs = o.timeoutMs;
    const workers = o.threads - 1;
    const why = workers > 0 ? rt.unavailable() : null;
    const core = (this.core = new PoolCore(workers > 0 && why === null));
    cores.set(this, core);
    if (why !== null) core.fallback = why;
    else if (workers > 0) this.startThreads(core, workers, o.limits);
    dropped.register(this, core, core);
  }

  /** Starts the supervisor, which starts the workers; falls back to the calling thread when it cannot. */
  private startThreads(core: PoolCore, workers: number, limits: object | undefined): void {
    const rt = this.rt;
    const remote: unknown[] = [];
    try {
      for (let k = 0; k < workers; k++) {
        const ch = rt.channel();
        ch.listen((m) => {
          if (threadMessage(m).type === 'signal') core.wake();
        });
        core.ports.push(ch.local);
        remote.push(ch.remote);
      }
      let up = false;
      let settle = (): void => {};
      core.ready = new Promise<void>((resolve) => {
        settle = resolve;
      });
      const init: SupervisorInit = { ctl: core.ctl.buffer as SharedArrayBuffer, message: core.message.buffer as SharedArrayBuffer, ports: remote, resourceLimits: limits };
      const fail = (what: string): void => {
        if (!up) core.fallBack(rt.startFailed(what));
        else core.shutdown(`its supervisor thread ${what}`);
        supervisor.unref();
        settle();
      };
      const supervisor = rt.spawn(
        'supervisor',
        init,
        remote,
        {
          message: (m) => {
            const msg = threadMessage(m);
            if (msg.type === 'ready') {
              up = true;
              supervisor.unref();
              settle();
            } else if (msg.type === 'signal') {
              core.wake();
            } else if (msg.type === 'failed') {
              fail(msg.what ?? 'a worker failed');
            }
          },
          error: (what) => fail(what),
          exit: (what) => fail(what),
        },
        undefined,
      );
      core.supervisor = supervisor;
      core.workers = workers;
      // Held (ref'd) until the workers are up, so that awaiting ready() keeps a Node process alive.
      supervisor.ref();
      // Bounded like every wait: workers not up within timeoutMs (at least STARTUP_MS: a loaded
      // machine starts threads slowly) are given up on, and the pool computes on this thread.
      const limit = Math.max(this.timeoutMs, STARTUP_MS);
      const startup = setTimeout(() => {
        if (!up) fail(`they were not up within ${limit} ms`);
      }, limit);
      void core.ready.then(() => clearTimeout(startup));
    } catch (e) {
      core.fallBack(rt.spawnRefused(e));
      core.ready = Promise.resolve();
    }
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
        const plan = this.plan(f.N, inPlace ? 0 : this.core.copyCost[0], 0);
        const arrays = jobArrays(f, xShare, y, null, null, null, null);
        yield this.start(0, f, arrays, inPlace ? f.xOffset : 0, 0, null, 0, plan, inPlace ? null : { src: f.x, srcOffset: f.xOffset, dst: xShare }, null, ws);
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
        const plan = this.plan(f.N, cost, xCopied ? copies.xShareFrom : 0);
        const arrays = jobArrays(f, xInPlace ? f.x : xShare, ws.y.main, dyShare, bound.dx, bound.dG, bound.dA);
        yield this.start(
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
        this.waitJob(fn, r.value);
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
        await this.waitJobAsync(fn, r.value);
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

  /**
   * How a job over N samples is split. Without copying (`cost` 0): `min(threads, N)` equal shares,
   * the first one this thread's. When this thread must copy the workers' samples into shared memory
   * (`cost`: the copy's time per sample relative to computing one), its own first share is smaller
   * (it balances copying plus its share against the workers' shares) and the rest is cut into
   * more, smaller shares, released to the workers one by one as their samples are copied. `least`:
   * the workers' first sample may not be below it (samples already copied from there on).
   */
  private plan(N: number, cost: number, least: number): SplitPlan {
    const T = this.core.workers + 1;
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
   * Starts a job and does this thread's part of it: the workers claim shares; this thread copies
   * the workers' samples when they read copies (releasing each share as its samples land), runs its
   * first share and any share no worker has claimed. Waiting for the workers' shares is the
   * caller's ({@link SEThreads.waitJob}, {@link SEThreads.waitJobAsync}). `workerXOffset` and
   * `workerDyOffset` are where the workers find sample 0 in `arrays.x` / `arrays.dy`; this thread
   * reads x through the frame and dy from `dy` / `dyOffset`.
   */
  private start(
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
    ws: WorkspaceState,
  ): Job {
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
      const t0 = performance.now();
      for (let k = 1; k < shares; k++) {
        const from = bounds[k] * sample;
        const n = (bounds[k + 1] - bounds[k]) * sample;
        if (copyX !== null) copyRange(copyX.dst, from, copyX.src, copyX.srcOffset + from, n);
        if (copyDy !== null) copyRange(copyDy.dst, from, copyDy.src, copyDy.srcOffset + from, n);
        Atomics.store(ctl, CTL.state + k, free(gen));
        Atomics.add(ctl, CTL.released, 1);
        Atomics.notify(ctl, CTL.released);
      }
      const t1 = performance.now();
      runShare(ctl, f, arrays, dy, dyOffset, 0, ws.scratch);
      Atomics.store(ctl, CTL.state, done(gen));
      this.noteCopyCost(kind, t1 - t0, (f.N - bounds[1]) * ((copyX === null ? 0 : 1) + (copyDy === null ? 0 : 1)), performance.now() - t1, bounds[1]);
    }
    for (let k = 0; k < shares; k++) {
      if (Atomics.compareExchange(ctl, CTL.state + k, free(gen), claimed(gen)) !== free(gen)) continue;
      runShare(ctl, f, arrays, dy, dyOffset, k, ws.scratch);
      Atomics.store(ctl, CTL.state + k, done(gen));
    }
    return { gen, shares, deadline: Date.now() + this.timeoutMs };
  }

  /**
   * Updates the running average of the copy's cost (see INITIAL_COPY_COST) from one job: `copyMs`
   * for `copied` sample-arrays, `computeMs` for this thread's `own` samples.
   */
  private noteCopyCost(kind: 0 | 1, copyMs: number, copied: number, computeMs: number, own: number): void {
    if (copied <= 0 || own <= 0 || !(computeMs > 0)) return;
    const measured = Math.min(1, Math.max(0.02, copyMs / copied / (computeMs / own)));
    const c = this.core.copyCost;
    c[kind] = 0.7 * c[kind] + 0.3 * measured;
  }

  /**
   * Where a job stands: true when every share is done; throws SEStateError for a failed share, a
   * worker fault (the pool closes), the pool closed meanwhile, or the deadline passed (the pool
   * closes); false while shares are still running.
   */
  private jobDone(fn: string, job: Job): boolean {
    const core = this.core;
    const ctl = core.ctl;
    const { gen } = job;
    let left = 0;
    for (let k = 0; k < job.shares; k++) {
      const st = Atomics.load(ctl, CTL.state + k);
      if (st === failed(gen)) throw new SEStateError(`${fn}: ${readMessage(ctl, core.message)}`);
      if (st !== done(gen)) left++;
    }
    if (core.closed === null && Atomics.load(ctl, CTL.fault) !== 0) {
      const what = readMessage(ctl, core.message);
      core.shutdown(what);
      throw new SEStateError(`${fn}: ${what} during the call; the pool is closed (create a new SEThreads)`);
    }
    if (left === 0) return true;
    if (core.closed !== null) throw new SEStateError(`${fn}: this pool is closed: ${core.closed} (during the call); create a new SEThreads`);
    if (Date.now() >= job.deadline) {
      core.shutdown(`a worker did not finish its share within ${this.timeoutMs} ms`);
      throw new SEStateError(`${fn}: a worker did not finish its share within ${this.timeoutMs} ms; the pool is closed (create a new SEThreads)`);
    }
    return false;
  }

  /** Waits (blocking, at most until the job's deadline) for the workers' shares. */
  private waitJob(fn: string, job: Job): void {
    const ctl = this.core.ctl;
    for (;;) {
      const seen = Atomics.load(ctl, CTL.signal);
      if (this.jobDone(fn, job)) return;
      Atomics.wait(ctl, CTL.signal, seen, Math.max(1, Math.min(job.deadline - Date.now(), 1000)));
    }
  }

  /** Awaits (without blocking, at most until the job's deadline) the workers' shares. */
  private async waitJobAsync(fn: string, job: Job): Promise<void> {
    const ctl = this.core.ctl;
    try {
      for (;;) {
        const seen = Atomics.load(ctl, CTL.signal);
        if (this.jobDone(fn, job)) return;
        await this.signalChange(seen, Math.max(1, Math.min(job.deadline - Date.now(), 1000)));
      }
    } finally {
      Atomics.store(ctl, CTL.messageSignal, 0);
    }
  }

  /**
   * Resolves when `ctl[CTL.signal]` moves from `seen`, or after `ms`: with `Atomics.waitAsync`, else
   * on a 'signal' message from a worker or the supervisor (they send one while
   * `ctl[CTL.messageSignal]` is 1). A timer bounds it either way (and keeps a Node process alive
   * while a call is pending).
   */
  private signalChange(seen: number, ms: number): Promise<void> {
    const core = this.core;
    const ctl = core.ctl;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(finish, ms);
      function finish(): void {
        clearTimeout(timer);
        resolve();
      }
      if (!core.useMessages && waitAsync !== null) {
        const r = waitAsync(ctl, CTL.signal, seen, ms);
        if (typeof r.value === 'string') finish();
        else void r.value.then(finish);
        return;
      }
      core.waiters.push(finish);
      Atomics.store(ctl, CTL.messageSignal, 1);
      // A signal between reading `seen` and raising the flag sent no message: look once more.
      if (Atomics.load(ctl, CTL.signal) !== seen) finish();
    });
  }

  /** Points the workers at the job's arrays: a set they hold already, else a new set sent to them. */
  private postArrays(arrays: JobArrays): void {
    const core = this.core;
    const sets = core.posted;
    let version = 0;
    for (let i = 0; i < sets.length && version === 0; i++) {
      if (sameArrays(sets[i].arrays, arrays)) {
        version = sets[i].version;
        if (i > 0) sets.unshift(sets.splice(i, 1)[0]);
      }
    }
    if (version === 0) {
      version = ++core.version;
      sets.unshift({ version, arrays });
      if (sets.length > ARRAY_SETS) sets.pop();
      // The versions still held go with it: a worker keeps exactly those.
      const message: ArraysMessage = { version, arrays, live: sets.map((t) => t.version) };
      for (const p of core.ports) p.postMessage(message);
    }
    Atomics.store(core.ctl, CTL.arrays, version);
  }
}

/**
 * The first guess of the copy's time per sample and array relative to computing the sample (a
 * memcpy against a forward's or backward's passes over the sample); each job then measures it
 * (SEThreads.start) and the pool keeps a running average per kind of job.
 */
const INITIAL_COPY_COST = 0.15;

/** An array set the workers hold, and its version. */
interface PostedArrays {
  version: number;
  arrays: JobArrays;
}

/** How many array sets the workers hold at once. */
const ARRAY_SETS = 4;

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

/** dst[d + i] = src[s + i] for i < n (TypedArray.prototype.set between views: a memory copy). */
function copyRange(dst: Float32Array, d: number, src: Float32Array, s: number, n: number): void {
  dst.set(src.subarray(s, s + n), d);
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
