#!/usr/bin/env node
// Quick paired A/B of se-kernels/threads (built package) against the single-thread workspace
// calls: for each case the pool's call and the single-thread call alternate (A B A B ...), and the
// ratio is the median of the per-pair ratios (pool / one thread). x (and dy) in ordinary memory
// and on a SharedArrayBuffer. Indicative only on a shared machine; `npm run bench` is the bench.
// Usage: node scripts/threads-ab.mjs [pairs=9] [filter...]
import * as core from '../dist/esm/core.js';
import { SEThreads } from '../dist/esm/threads/index.js';

const args = process.argv.slice(2);
const PAIRS = Number(args[0] ?? 9);
const filter = args.slice(1);
const R16 = (C) => Math.max(1, Math.floor(C / 16));
const block = (N, C, H, R, seed) => {
  const size = N * C * H * H;
  const x = new Float32Array(size);
  const dy = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    x[i] = Math.sin(i * 0.37 + seed) + ((i / (H * H)) % 3) * 0.3;
    dy[i] = Math.cos(i * 0.11 + seed);
  }
  const params = core.createSEParams({ channels: C, hidden: R, seed });
  return { shape: [N, C, H, H], x, dy, params };
};
const cases = [
  ['8,64,56,56', [[8, 64, 56, R16(64)]]],
  ['32,256,14,14', [[32, 256, 14, R16(256)]]],
  ['16,128,28,28', [[16, 128, 28, R16(128)]]],
  ['1,64,32,32', [[1, 64, 32, R16(64)]]],
  ['seresnet50-n8', [...Array(3).fill([8, 256, 56, 16]), ...Array(4).fill([8, 512, 28, 32]), ...Array(6).fill([8, 1024, 14, 64]), ...Array(3).fill([8, 2048, 7, 128])]],
].filter(([k]) => filter.length === 0 || filter.some((f) => k.includes(f)));

const pool = new SEThreads();
await pool.ready();
const median = (v) => v.slice().sort((a, b) => a - b)[v.length >> 1];
console.log(`threads ${pool.threads}, pairs ${PAIRS}`);
for (const [name, spec] of cases) {
  for (const shared of [false, true]) {
    const blocks = spec.map(([N, C, H, R], i) => {
      const b = block(N, C, H, R, i + 1);
      if (shared) {
        const sx = new Float32Array(new SharedArrayBuffer(b.x.length * 4));
        sx.set(b.x);
        const sd = new Float32Array(new SharedArrayBuffer(b.dy.length * 4));
        sd.set(b.dy);
        b.x = sx;
        b.dy = sd;
      }
      return { ...b, wsPool: new core.SEWorkspace(), wsOne: new core.SEWorkspace() };
    });
    const run = (bwd, threaded) => {
      const caches = [];
      for (const b of blocks) {
        const x = { data: b.x, shape: b.shape };
        const r = threaded ? pool.seForward(x, b.params, undefined, { workspace: b.wsPool }) : core.seForward(x, b.params, undefined, { workspace: b.wsOne });
        caches.push(r.cache);
      }
      if (bwd) {
        for (let i = blocks.length - 1; i >= 0; i--) {
          const b = blocks[i];
          const dy = { data: b.dy, shape: b.shape };
          if (threaded) pool.seBackward(dy, caches[i], { workspace: b.wsPool });
          else core.seBackward(dy, caches[i], { workspace: b.wsOne });
        }
      }
    };
    const line = [];
    for (const bwd of [false, true]) {
      for (let i = 0; i < 3; i++) {
        run(bwd, true);
        run(bwd, false);
      }
      const ratios = [];
      const ta = [];
      const tb = [];
      for (let i = 0; i < PAIRS; i++) {
        let t = performance.now();
        run(bwd, true);
        const a = performance.now() - t;
        t = performance.now();
        run(bwd, false);
        const b = performance.now() - t;
        ratios.push(a / b);
        ta.push(a);
        tb.push(b);
      }
      line.push(`${bwd ? 'fwd+bwd' : 'fwd'} ${median(ratios).toFixed(2)} (${median(ta).toFixed(2)} vs ${median(tb).toFixed(2)} ms)`);
    }
    console.log(`${name.padEnd(14)} x ${shared ? 'shared ' : 'ordinary'}: ${line.join('; ')}`);
  }
}
pool.close();
