// A user's own Web Worker (a training loop, say) on an isolated page: there the synchronous pool
// calls are allowed (a worker may block); the pool's own threads are nested workers.
import * as core from './node_modules/se-kernels/dist/browser/se-kernels-core.js';
import { SEThreads } from './node_modules/se-kernels/dist/browser/se-kernels-threads.js';
import { runPoolSync } from './threads-cases.mjs';

try {
  const pool = new SEThreads({ threads: 2, minElements: 100 });
  await pool.ready();
  const out = { threads: pool.threads, fallbackReason: pool.fallbackReason, sync: runPoolSync(core, pool) };
  pool.close();
  postMessage(out);
} catch (e) {
  postMessage({ error: `${e.name}: ${e.message}` });
}
