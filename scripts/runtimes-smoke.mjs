// Smoke test of the built package in another runtime (Bun, Deno; run from the repository root so
// that 'se-kernels/...' resolves to this package): the core's seForward/seBackward and the
// pool's sync and async calls on the browser test's cases, as base64 of the result bytes, which
// scripts/runtimes-test.mjs compares with Node's. Prints JSON.
import * as core from 'se-kernels/core';
import { SEThreads } from 'se-kernels/threads';
import { runPoolAsync, runPoolSync, runSingle } from './browser/threads-cases.mjs';

const out = {};
try {
  out.single = runSingle(core);
  const pool = new SEThreads({ threads: 2, minElements: 100 });
  await pool.ready();
  out.threads = pool.threads;
  out.fallbackReason = pool.fallbackReason;
  out.sync = runPoolSync(core, pool);
  out.async = await runPoolAsync(core, pool);
  pool.close();
} catch (e) {
  out.error = `${e.name}: ${e.message}`;
}
process.stdout.write(JSON.stringify(out));
