// The test bundle of the browser pool with the library's fault hooks (built by browser-test.mjs
// from dist/esm; never shipped): the pool's entry and faults.ts in one file, so that they share
// the pool's internals.
export { SEThreads } from '../../dist/esm/threads/browser.js';
export { injectFault, workerShares } from '../../dist/esm/threads/faults.js';
