// The prebuilt pool on a page that is NOT cross-origin isolated (or whose CSP refuses workers):
// it never throws for that; it computes on the calling thread (threads 1), says why
// (fallbackReason), and its async results are the same bits.
import * as core from './node_modules/se-kernels/dist/browser/se-kernels-core.js';
import { SEThreads } from './node_modules/se-kernels/dist/browser/se-kernels-threads.js';
import { caught, makeCase, runPoolAsync, THREAD_CASES } from './threads-cases.mjs';

const result = { isolated: globalThis.crossOriginIsolated === true };
try {
  const pool = new SEThreads({ threads: 2, minElements: 100 });
  await pool.ready();
  result.threads = pool.threads;
  result.fallbackReason = pool.fallbackReason;
  result.async = await runPoolAsync(core, pool).catch((e) => `${e.name}: ${e.message}`);
  const { x, params } = makeCase(core, THREAD_CASES[0], 0);
  result.syncOnMain = await caught(() => pool.seForward(x, params));
  pool.close();
} catch (e) {
  result.error = `${e.name}: ${e.message}`;
}
window.__seResult = result;
