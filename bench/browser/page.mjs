/*
 * The browser bench page: on each shape, the single-thread workspace call (dist/browser/
 * se-kernels-core.js), SEThreads through its async API (dist/browser/se-kernels-threads.js, when
 * that bundle exists) and TensorFlow.js WASM (in a Web Worker, tfjs-worker.js), checked, then timed
 * in alternating pairs by the Node bench's own loop (bench/lib/paired.mjs).
 *
 * Sets window.__benchResult = { markdown, json } when done, or window.__benchError.
 */
import { blockData } from '/bench/lib/blockdata.mjs';
import { PAIR_MODES, pairStats, timePaired } from '/bench/lib/paired.mjs';

const out = document.getElementById('out');
const lines = [];
/** @param {string} s */
const log = (s) => {
  lines.push(s);
  out.textContent = lines.join('\n');
  console.log(s);
};

const q = new URLSearchParams(location.search);
const quick = q.has('quick');
const cfg = quick ? PAIR_MODES.quick : PAIR_MODES.full;
const shapes = (q.get('shapes') ?? '8x64x56x56,1x64x32x32').split(',').map((s) => s.split('x').map(Number));
const REQUEST_TIMEOUT_MS = 120000;
/** The browser target: async forward + backward with the pool / one thread on this shape. */
const TARGET = { key: '8,64,56,56', pass: 'fb', max: 0.75 };

/** A request to the tfjs worker, answered or failed within REQUEST_TIMEOUT_MS. */
function worker() {
  const w = new Worker('/bench/browser/tfjs-worker.js');
  let next = 0;
  const waiting = new Map();
  w.onmessage = (e) => {
    const p = waiting.get(e.data.id);
    if (!p) return;
    waiting.delete(e.data.id);
    clearTimeout(p.timer);
    if (e.data.ok) p.resolve(e.data.value);
    else p.reject(new Error(`tfjs worker: ${e.data.error}`));
  };
  w.onerror = (e) => {
    for (const p of waiting.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(`tfjs worker failed: ${e.message}`));
    }
    waiting.clear();
  };
  return (msg) =>
    new Promise((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`tfjs worker: no answer to ${msg.op} within ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      waiting.set(id, { resolve, reject, timer });
      w.postMessage({ id, ...msg });
    });
}

/** Max |a - b| / max |b|. */
function relErr(a, b) {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return m === 0 ? d : d / m;
}
/** Bit-identical float32 arrays. */
function same(a, b) {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
const GRADS = ['dx', 'dw1', 'db1', 'dw2', 'db2'];
const grads = (g) => Object.fromEntries(GRADS.map((k) => [k, g[k].data.slice()]));

const fmt = (r) => (r < 10 ? r.toFixed(3) : r.toFixed(1));
const fmtMs = (ms) => (ms < 1 ? ms.toFixed(3) : ms < 10 ? ms.toFixed(2) : ms.toFixed(1));

async function main() {
  const core = await import('/dist/browser/se-kernels-core.js');
  const testing = await import('/dist/browser/se-kernels-testing.js');
  let threads = null;
  let threadsNote = null;
  try {
    threads = await import('/dist/browser/se-kernels-threads.js');
  } catch (e) {
    threadsNote = `threads bundle missing (dist/browser/se-kernels-threads.js: ${e.message}): the pool's rows are left out`;
  }
  const tfjs = worker();
  const tfInfo = await tfjs({ op: 'init' });
  const gcNote = typeof globalThis.gc === 'function' ? 'a full GC before each batch' : 'no GC between batches (start the browser with --js-flags=--expose-gc)';
  log(`# se-kernels browser bench (${quick ? 'quick' : 'full'})\n`);
  log(`${navigator.userAgent}; crossOriginIsolated ${self.crossOriginIsolated}; hardwareConcurrency ${navigator.hardwareConcurrency}; ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.`);
  log(`TensorFlow.js ${tfInfo.version} in a Web Worker, backend ${tfInfo.backend}, SIMD ${tfInfo.simd ? 'on' : 'off'}, ${tfInfo.multithread ? 'multithreaded' : 'one thread'} (worker isolated: ${tfInfo.crossOriginIsolated}).`);
  /** @type {any} */
  let poolInfo = null;
  if (threads) {
    const p = new threads.SEThreads();
    await p.ready();
    poolInfo = { threads: p.threads, fallbackReason: p.fallbackReason ?? null };
    p.close();
    log(`SEThreads: ${poolInfo.threads} threads, fallbackReason ${JSON.stringify(poolInfo.fallbackReason)}; called with await seForwardAsync / seBackwardAsync.`);
  } else {
    log(`SEThreads: ${threadsNote}.`);
  }
  log(
    `\nRatios B / A: the median of the per-pair ratios (A and B timed back to back, the order alternating), with p25–p75, min–max and the number of pairs; ` +
      `batches of ${cfg.batchMs} ms or more, ${gcNote}; ${cfg.minPairs}+ pairs, until ${cfg.budgetMs} ms. ` +
      'Checks: the single-thread forward against se-kernels/testing\'s float64 seReference (≤ 1e-5), the pool bit-identical to the single thread (y and every gradient), tfjs-wasm within 1e-4 of it.\n',
  );

  const rows = [];
  const json = { quick, cfg, tfjs: tfInfo, pool: poolInfo, threadsNote, crossOriginIsolated: self.crossOriginIsolated, results: [], checks: [] };
  for (const shape of shapes) {
    const b = blockData(core.createSEParams, shape, Math.max(1, Math.floor(shape[1] / 16)), 1);
    const x = { data: b.x, shape: b.shape };
    const dy = { data: b.dy, shape: b.shape };
    const ws = new core.SEWorkspace();
    // The single thread, checked against the float64 reference.
    const ref = testing.seReference(b.x, b.shape, testing.params64(b.params), testing.refOptions({ gate: 'sigmoid' }));
    const f1 = core.seForward(x, b.params, undefined, { workspace: ws });
    const y1 = f1.y.data.slice();
    const g1 = grads(core.seBackward(dy, f1.cache, { workspace: ws }));
    const e1 = relErr(y1, ref.y);
    json.checks.push({ case: b.key, system: 'one thread', yVsFloat64: e1 });
    if (!(e1 <= 1e-5)) throw new Error(`one thread on ${b.key}: y differs from the float64 reference by ${e1}`);
    await tfjs({ op: 'case', shape: b.shape, R: b.R, x: b.x, dy: b.dy, w1: b.params.w1, b1: b.params.b1, w2: b.params.w2, b2: b.params.b2 });
    const tOut = await tfjs({ op: 'outputs', pass: 'fb' });
    const eT = Math.max(relErr(tOut.y, y1), ...GRADS.map((k) => relErr(tOut[k], g1[k])));
    json.checks.push({ case: b.key, system: 'tfjs-wasm', vsOneThread: eT });
    if (!(eT <= 1e-4)) throw new Error(`tfjs-wasm on ${b.key} differs from the single thread by ${eT}`);

    let pool = null;
    const pws = new core.SEWorkspace();
    if (threads) {
      pool = new threads.SEThreads();
      await pool.ready();
      const fp = await pool.seForwardAsync(x, b.params, undefined, { workspace: pws });
      const yp = fp.y.data.slice();
      const gp = grads(await pool.seBackwardAsync(dy, fp.cache, { workspace: pws }));
      const ok = same(yp, y1) && GRADS.every((k) => same(gp[k], g1[k]));
      json.checks.push({ case: b.key, system: 'SEThreads', bitIdentical: ok });
      if (!ok) throw new Error(`SEThreads on ${b.key}: results not bit-identical to the single thread`);
    }

    /** @param {'fwd' | 'fb'} pass */
    const systems = (pass) => {
      const one = {
        run: () => {
          const f = core.seForward(x, b.params, undefined, { workspace: ws });
          if (pass === 'fb') core.seBackward(dy, f.cache, { workspace: ws });
        },
      };
      const tf = { slice: (ms, k) => tfjs({ op: 'batch', pass, k, ms }), run: () => {} };
      const p = pool && {
        async: true,
        run: async () => {
          const f = await pool.seForwardAsync(x, b.params, undefined, { workspace: pws });
          if (pass === 'fb') await pool.seBackwardAsync(dy, f.cache, { workspace: pws });
        },
      };
      return { one, tf, p };
    };
    for (const pass of ['fwd', 'fb']) {
      const s = systems(pass);
      const pairs = [
        ['one thread', s.one, 'tfjs-wasm', s.tf],
        ...(s.p ? [['one thread', s.one, 'SEThreads', s.p], ['tfjs-wasm', s.tf, 'SEThreads', s.p]] : []),
      ];
      for (const [an, a, bn, bs] of pairs) {
        const t = await timePaired({ inst: a, checkMs: 0 }, { inst: bs, checkMs: 0 }, cfg);
        const st = pairStats(t);
        const judged = bn === 'SEThreads' && an === 'one thread' && b.key === TARGET.key && pass === TARGET.pass;
        const mark = judged ? (st.ratio <= TARGET.max ? ` ✓ (≤ ${TARGET.max})` : ` ✗ (≤ ${TARGET.max})`) : '';
        rows.push([b.key, pass === 'fwd' ? 'forward' : 'forward + backward', `${bn} / ${an}`, `${fmt(st.ratio)}${mark}`, `${fmt(st.p25)}–${fmt(st.p75)}`, `${fmt(st.min)}–${fmt(st.max)}`, String(st.pairs), fmtMs(st.aMs), fmtMs(st.bMs)]);
        json.results.push({ case: b.key, pass, a: an, b: bn, stats: st, target: judged ? TARGET.max : null, met: judged ? st.ratio <= TARGET.max : null });
        console.log(`${b.key} ${pass} ${bn} / ${an}: ${fmt(st.ratio)} (${st.pairs} pairs)`);
      }
    }
    pool?.close();
    await tfjs({ op: 'dispose' });
  }
  const head = ['case', 'pass', 'pair (B / A)', 'ratio', 'p25–p75', 'min–max', 'pairs', 'A ms', 'B ms'];
  log(`| ${head.join(' | ')} |`);
  log(`| ${head.map((_, i) => (i < 3 ? '---' : '---:')).join(' | ')} |`);
  for (const r of rows) log(`| ${r.join(' | ')} |`);
  if (!threads) log(`\nThe issue's target (SEThreads async forward + backward / one thread ≤ ${TARGET.max} on (${TARGET.key})): not measured, ${threadsNote}.`);
  log(`\nAll ${json.checks.length} checks pass.`);
  window.__benchResult = { markdown: lines.join('\n'), json };
}

main().catch((e) => {
  log(`\nFAILED: ${e && e.stack ? e.stack : e}`);
  window.__benchError = String(e && e.stack ? e.stack : e);
});
