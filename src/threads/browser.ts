/**
 * `se-kernels/threads` for browsers (built into dist/browser/se-kernels-threads.js): the same pool
 * as on Node, on module Web Workers over SharedArrayBuffer. The page must be cross-origin isolated
 * (response headers `Cross-Origin-Opener-Policy: same-origin` and
 * `Cross-Origin-Embedder-Policy: require-corp`); otherwise the pool computes on the calling thread
 * and `fallbackReason` says so. On a page's main thread use `seForwardAsync` / `seBackwardAsync`;
 * the synchronous calls work inside a Web Worker. See docs/threads.md.
 * @module se-kernels/threads (browser)
 */
import { useRuntime } from './pool.js';
import { webRuntime } from './web.js';

useRuntime(webRuntime);

export { SEBlockingError } from '../errors.js';
export { SEThreads, type SEThreadsBuffers, type SEThreadsOptions } from './pool.js';
