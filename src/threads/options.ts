/**
 * The options of an SEThreads pool and of its calls: their types, defaults, and the reading of the
 * constructor's options (through src/arguments.ts, under its read-once rule).
 */
import { checkKeys } from '../arguments.js';
import { SEOptionError, describeValue } from '../errors.js';
import type { SEWorkspace } from '../fused/index.js';
import { MAX_SHARES } from './protocol.js';
import type { Runtime } from './runtime.js';

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

/** Default `minElements`. */
export const DEFAULT_MIN_ELEMENTS = 2 ** 18;

export const OPTION_KEYS: readonly string[] = ['threads', 'minElements', 'timeoutMs', 'workerResourceLimits'];
export const BUFFER_KEYS: readonly string[] = ['workspace'];

/** A pool's options, read and checked. */
export interface PoolOptions {
  threads: number;
  minElements: number;
  timeoutMs: number;
  limits: object | undefined;
}

/** Reads and checks the constructor's options (SEOptionError / SETypeError naming SEThreads); `rt` gives the default thread count. */
export function readPoolOptions(rt: Runtime, options: unknown): PoolOptions {
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
