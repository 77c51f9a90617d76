/**
 * What `se-kernels/threads` needs from the runtime it runs in, so that one pool (pool.ts) runs on
 * Node, Bun and Deno (node:worker_threads, node.ts) and in browsers (module Web Workers, web.ts).
 * Each entry (index.ts for Node, Bun and Deno; browser.ts for browsers) installs its runtime.
 */

/** A thread a pool or its supervisor started. */
export interface SpawnedThread {
  post(message: unknown, transfer: unknown[]): void;
  /** Ends the thread (its exit is reported through `ThreadEvents.exit` where the runtime reports exits). */
  terminate(): void;
  /** Node: whether the thread keeps the process alive (no-ops elsewhere). */
  ref(): void;
  unref(): void;
}

/** What a started thread reports. */
export interface ThreadEvents {
  message(m: unknown): void;
  /** It threw, or could not start, or ran out of memory: what happened, as a phrase ("ran out of memory"). */
  error(what: string): void;
  /** It ended: how, as a phrase ("exited with code 1", "was terminated"). */
  exit(what: string): void;
}

/** A port of a MessageChannel, pool side. */
export interface LocalPort {
  postMessage(message: unknown): void;
  close(): void;
}

/** The pool's end of a channel to a worker, and how to hear the worker's messages on it (never keeping a process alive). */
export interface PoolChannel {
  local: LocalPort;
  remote: unknown;
  listen(listener: (m: unknown) => void): void;
}

/** The runtime as the calling thread (and the supervisor) sees it. */
export interface Runtime {
  /** How many threads the hardware runs at once (the default pool size). */
  hardwareThreads(): number;
  /** Null when worker threads can run here, else a sentence: why not and what to change. */
  unavailable(): string | null;
  /** Whether this thread may block in `Atomics.wait` (not a browser page's main thread). */
  canBlock(): boolean;
  /** Starts the supervisor or a worker with its first message (`init`, transferring `transfer`). */
  spawn(file: 'supervisor' | 'worker', init: unknown, transfer: unknown[], events: ThreadEvents, limits: unknown): SpawnedThread;
  /** A MessageChannel: the pool's end (never keeping a process alive) and the end to transfer. */
  channel(): PoolChannel;
  /** A sentence for a thread that could not be started (the exception `e`): why, and what to change. */
  spawnRefused(e: unknown): string;
  /** A sentence for threads that started but failed before they were up (`what` happened): why, and what to change. */
  startFailed(what: string): string;
}

/** `Atomics.waitAsync` (ES2024; not in this project's lib), where the engine has it. */
type WaitAsync = (a: Int32Array, index: number, value: number, timeout?: number) => { async: boolean; value: Promise<string> | string };
const waitAsyncFn: unknown = Reflect.get(Atomics, 'waitAsync');
/** `Atomics.waitAsync`, or null on engines before it. */
export const waitAsync: WaitAsync | null = typeof waitAsyncFn === 'function' ? (waitAsyncFn as WaitAsync) : null;

/** A global of the runtime, read without assuming it exists (the web globals have no types here). */
export function runtimeGlobal<T>(name: string): T | undefined {
  const v: unknown = Reflect.get(globalThis, name);
  return v === undefined || v === null ? undefined : (v as T);
}
