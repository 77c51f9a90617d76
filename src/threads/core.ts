/**
 * A pool's core: the part its threads' listeners and its finalizer hold (the control and message
 * blocks, the ports, the supervisor, closing and falling back), the runtime this copy's pools use,
 * and the start of the threads.
 */
import { SEStateError } from '../errors.js';
import { CTL, CTL_LENGTH, MESSAGE_BYTES, threadMessage, type JobArrays, type SupervisorInit } from './protocol.js';
import { waitAsync, type LocalPort, type Runtime, type SpawnedThread } from './runtime.js';

let runtime: Runtime | null = null;

/** Installs the runtime the pools of this copy use (called once by the entry module). @internal */
export function useRuntime(rt: Runtime): void {
  runtime = rt;
}

/** The runtime installed by the entry module (SEStateError without one). */
export function currentRuntime(): Runtime {
  if (runtime === null) throw new SEStateError('SEThreads: no runtime installed (import se-kernels/threads, not its internal modules)');
  return runtime;
}

/** The least time workers are given to start before the pool gives up on them (see startThreads below). */
const STARTUP_MS = 10000;

/**
 * The first guess of the copy's time per sample and array relative to computing the sample (a
 * memcpy against a forward's or backward's passes over the sample); each job then measures it
 * (startJob in jobs.ts) and the pool keeps a running average per kind of job.
 */
export const INITIAL_COPY_COST = 0.15;

/** An array set the workers hold, and its version. */
export interface PostedArrays {
  version: number;
  arrays: JobArrays;
}

/** How many array sets the workers hold at once. */
export const ARRAY_SETS = 4;

/** A job in flight: its generation and share count, and when waiting for it gives up. */
export interface Job {
  gen: number;
  shares: number;
  deadline: number;
}

/** The part of a pool its threads' listeners and its finalizer hold (never the pool itself, so a dropped pool can be collected). */
export class PoolCore {
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
  /** Measured cost of copying a sample into shared memory, relative to computing it, per job kind (see planSplit in jobs.ts). */
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

  /** How long a call waits for a worker's share, in ms. */
  readonly timeoutMs: number;

  constructor(shared: boolean, timeoutMs: number) {
    this.timeoutMs = timeoutMs;
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

/** Starts the supervisor, which starts the workers; falls back to the calling thread when it cannot. */
export function startThreads(core: PoolCore, rt: Runtime, workers: number, limits: object | undefined): void {
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
    const limit = Math.max(core.timeoutMs, STARTUP_MS);
    const startup = setTimeout(() => {
      if (!up) fail(`they were not up within ${limit} ms`);
    }, limit);
    void core.ready.then(() => clearTimeout(startup));
  } catch (e) {
    core.fallBack(rt.spawnRefused(e));
    core.ready = Promise.resolve();
  }
}
