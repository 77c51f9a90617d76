// The prebuilt se-kernels-threads.js on a cross-origin isolated page, beside the prebuilt core:
// async calls bit-identical to Node's one thread; a core workspace and cache accepted by the pool;
// sync calls refused on this main thread (SEBlockingError) and run inside a Web Worker; the pool
// against one thread on (8, 64, 56, 56), paired.
import * as core from './node_modules/se-kernels/dist/browser/se-kernels-core.js';
import { SEBlockingError, SEThreads } from './node_modules/se-kernels/dist/browser/se-kernels-threads.js';
import { caught, makeCase, runPoolAsync, THREAD_CASES } from './threads-cases.mjs';

const result = { isolated: globalThis.crossOriginIsolated === true };
try {
  const pool = new SEThreads({ threads: 2, minElements: 100 });
  await pool.ready();
  result.threads = pool.threads;
  result.fallbackReason = pool.fallbackReason;
  result.async = await runPoolAsync(core, pool);
  // A workspace made by the core file (another copy of the library) in the pool; the pool's
  // cache in the core file's seBackward.
  {
    const { x, dy, params, options } = makeCase(core, THREAD_CASES[0], 0);
    const ws = new core.SEWorkspace();
    const r = await pool.seForwardAsync(x, params, options, { workspace: ws });
    const g = core.seBackward(dy, r.cache);
    const ref = core.seForward(x, params, options);
    const refG = core.seBackward(dy, ref.cache);
    const same = (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
    result.crossFile = same(r.y.data, ref.y.data) && same(g.dx.data, refG.dx.data) && same(g.dw1.data, refG.dw1.data);
  }
  const { x, params } = makeCase(core, THREAD_CASES[0], 0);
  const syncError = await caught(() => pool.seForward(x, params));
  result.syncOnMain = { error: syncError, typed: syncError.startsWith('SEBlockingError') && typeof SEBlockingError === 'function' };
  // Sync calls inside a Web Worker (which may block): the worker runs its own pool.
  result.inWorker = await new Promise((resolve) => {
    const w = new Worker(new URL('./threads-worker-user.mjs', import.meta.url), { type: 'module' });
    w.onmessage = (e) => resolve(e.data);
    w.onerror = (e) => resolve({ error: e.message ?? 'worker error' });
  });
  // Speed, printed only: the pool's async forward + backward against one thread's (workspace
  // calls), alternating, median of the per-pair ratios.
  {
    const shape = [8, 64, 56, 56];
    const size = 8 * 64 * 56 * 56;
    const xb = { data: new Float32Array(size).map((_, i) => Math.sin(i * 0.01)), shape };
    const dyb = { data: new Float32Array(size).map((_, i) => Math.cos(i * 0.02)), shape };
    const pb = core.createSEParams({ channels: 64, seed: 1 });
    const big = new SEThreads({ threads: 2 });
    await big.ready();
    const ws = new core.SEWorkspace();
    const single = () => {
      const r = core.seForward(xb, pb, undefined, { workspace: ws });
      core.seBackward(dyb, r.cache, { workspace: ws });
    };
    const pooled = async () => {
      const r = await big.seForwardAsync(xb, pb);
      await big.seBackwardAsync(dyb, r.cache);
    };
    for (let i = 0; i < 3; i++) {
      single();
      await pooled();
    }
    const ratios = [];
    const times = { pool: [], one: [] };
    for (let i = 0; i < 9; i++) {
      let t = performance.now();
      await pooled();
      const a = performance.now() - t;
      t = performance.now();
      single();
      const b = performance.now() - t;
      ratios.push(a / b);
      times.pool.push(a);
      times.one.push(b);
    }
    const median = (v) => v.slice().sort((p, q) => p - q)[v.length >> 1];
    result.speed = { ratio: median(ratios), poolMs: median(times.pool), oneMs: median(times.one), hardwareConcurrency: navigator.hardwareConcurrency };
    big.close();
  }
  pool.close();
} catch (e) {
  result.error = `${e.name}: ${e.message}\n${e.stack}`;
}
window.__seResult = result;
