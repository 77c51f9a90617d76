/**
 * `se-kernels/threads` for Node, Bun and Deno (ESM): the SE forward and backward split over the
 * batch between the calling thread and node:worker_threads workers, synchronous
 * (`seForward` / `seBackward`) or awaited (`seForwardAsync` / `seBackwardAsync`). Browsers load
 * `dist/browser/se-kernels-threads.js` (the package's `browser` condition) instead: the same pool
 * on Web Workers. See docs/threads.md.
 *
 * Faults never hang a call or return stale data: a worker that exits, throws or runs out of memory
 * is noticed at once by the pool's supervisor thread (the call in progress, or the next one, throws
 * SEStateError naming what happened, and the pool closes itself); a share that takes longer than
 * `timeoutMs` fails the call the same way; `close()` during a call ends it with an error; shares are
 * claimed per job, so a late worker can never write into another call's results.
 * @module se-kernels/threads
 */
import { nodeRuntime } from './node.js';
import { useRuntime } from './pool.js';

useRuntime(nodeRuntime);

export { SEBlockingError } from '../errors.js';
export { SEThreads, type SEThreadsBuffers, type SEThreadsOptions } from './pool.js';
