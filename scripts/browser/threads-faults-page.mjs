// Faults in the browser pool (async calls, isolated page), through the library's own fault hooks
// (a test bundle of the pool with faults.ts, served next to the prebuilt worker files): a worker's
// uncaught error (its `error` event), a worker terminated, a share slower than timeoutMs, close()
// while a call awaits, a second call while one is pending. Each must end in a typed error naming
// what happened, never a hang, and never wrong bits.
import * as core from './node_modules/se-kernels/dist/browser/se-kernels-core.js';
import { injectFault, SEThreads } from './node_modules/se-kernels/dist/browser/se-kernels-threads-faults.js';
import { caught } from './threads-cases.mjs';

const result = {};
const shape = [4, 8, 64, 64];
const big = { data: new Float32Array(4 * 8 * 64 * 64).map((_, i) => Math.sin(i)), shape };
const p1 = core.createSEParams({ channels: 8, hidden: 3, seed: 1 });
const ref = core.seForward(big, p1).y.data;
const same = (a) => a.length === ref.length && a.every((v, i) => Object.is(v, ref[i]));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

try {
  for (const name of ['throwUncaught', 'terminate']) {
    const pool = new SEThreads({ threads: 2, minElements: 100, timeoutMs: 20000 });
    await pool.ready();
    injectFault(pool, name, 1);
    if (name === 'terminate') await sleep(200);
    let outcome = 'right';
    let maxMs = 0;
    for (let i = 0; i < 200 && outcome === 'right'; i++) {
      const t = performance.now();
      outcome = await caught(async () => {
        if (!same((await pool.seForwardAsync(big, p1)).y.data)) throw new Error('WRONG');
      });
      if (outcome === 'no error') outcome = 'right';
      maxMs = Math.max(maxMs, performance.now() - t);
      await sleep(2);
    }
    result[name] = { outcome, maxMs, closedReason: pool.closedReason };
  }
  {
    const pool = new SEThreads({ threads: 2, minElements: 100, timeoutMs: 300 });
    await pool.ready();
    let outcome = 'no error';
    for (let i = 0; i < 100 && outcome === 'no error'; i++) {
      injectFault(pool, 'slowShare', 1);
      outcome = await caught(() => pool.seForwardAsync(big, p1));
    }
    result.slow = outcome;
  }
  {
    let outcome = 'no error';
    for (let i = 0; i < 50 && outcome === 'no error'; i++) {
      const pool = new SEThreads({ threads: 2, minElements: 100, timeoutMs: 20000 });
      await pool.ready();
      injectFault(pool, 'slowShare', 1);
      const p = caught(() => pool.seForwardAsync(big, p1));
      await sleep(20);
      pool.close();
      outcome = await p;
    }
    result.closeDuringCall = outcome;
  }
  {
    const pool = new SEThreads({ threads: 2, minElements: 100 });
    await pool.ready();
    const first = pool.seForwardAsync(big, p1);
    const second = await caught(() => pool.seForwardAsync(big, p1));
    result.nested = { second, firstRight: same((await first).y.data) };
    pool.close();
  }
} catch (e) {
  result.error = `${e.name}: ${e.message}`;
}
window.__seResult = result;
