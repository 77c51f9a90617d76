// The best a 2-thread split can do on this machine: the batch cut in two independent halves, one on
// the main thread and one in a worker, each running the single-thread workspace calls
// (`seForward`, then `seBackward` for "fb") on its own half with x and dy on shared memory, no pool,
// no copy, no claims: only a start signal and a done signal. Paired against one thread running the
// whole batch with the same calls: calls alternate (AB, BA), the ratio is the median of the per-pair
// ratios (two halves / whole). If this bound is above a target, no pool design reaches the target.
// Run from the repository root after `npm run build`:
//   node bench/experiments/threads/bound.mjs [N,C,H,W ...] [--pairs=K]
import { Worker } from 'node:worker_threads';

const core = await import('../../../dist/esm/core.js');
const args = process.argv.slice(2);
const pairs = Number((args.find((a) => a.startsWith('--pairs=')) ?? '--pairs=101').slice(8));
const shapes = args.filter((a) => !a.startsWith('--'));
const cases = (shapes.length ? shapes : ['8,64,56,56', '32,256,14,14', '16,128,28,28', '8,512,7,7']).map((s) => s.split(',').map(Number));

function shared(n, seed) {
  const a = new Float32Array(new SharedArrayBuffer(n * 4));
  for (let i = 0; i < n; i++) a[i] = Math.sin(seed + i * 0.37);
  return a;
}

const WORKER = `
import { workerData } from 'node:worker_threads';
const core = await import(workerData.core);
const { N, C, H, W, from, mode } = workerData;
const per = C * H * W;
const xs = new Float32Array(workerData.xs), dys = new Float32Array(workerData.dys), ctl = new Int32Array(workerData.ctl);
const p = workerData.params;
const params = { channels: p.channels, hidden: p.hidden, w1: p.w1, b1: p.b1, w2: p.w2, b2: p.b2 };
const x = { data: xs.subarray(from * per, N * per), shape: [N - from, C, H, W] };
const dy = { data: dys.subarray(from * per, N * per), shape: [N - from, C, H, W] };
const ws = new core.SEWorkspace();
const yb = workerData.ys ? { y: new Float32Array(workerData.ys).subarray(from * per, N * per) } : {};
let seen = 0;
for (;;) {
  Atomics.wait(ctl, 0, seen);
  seen = Atomics.load(ctl, 0);
  if (Atomics.load(ctl, 2) === 1) break;
  const { cache } = core.seForward(x, params, undefined, { workspace: ws, ...yb });
  if (mode === 'fb') core.seBackward(dy, cache, { workspace: ws });
  Atomics.store(ctl, 1, seen); Atomics.notify(ctl, 1);
}`;

const median = (a) => a.slice().sort((p, q) => p - q)[a.length >> 1];
const quart = (a, q) => a.slice().sort((p, r) => p - r)[Math.floor(q * (a.length - 1))];

console.log(`| case | mode | two halves / whole (median of ${pairs} pairs) | p25-p75 |`);
console.log('|---|---|---:|---|');
for (const [N, C, H, W] of cases) {
  for (const mode of ['fwd', 'fb']) {
    const per = C * H * W;
    const size = N * per;
    const half = N >> 1;
    const params = core.createSEParams({ channels: C, seed: 1 });
    const xs = shared(size, 1);
    const dys = shared(size, 2);
    const ctl = new Int32Array(new SharedArrayBuffer(16));
    const ys = process.env.SE_BOUND_SHARED_Y ? shared(size, 3) : null;
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(WORKER)}`), {
      workerData: { core: new URL('../../../dist/esm/core.js', import.meta.url).href, xs: xs.buffer, dys: dys.buffer, ys: ys?.buffer, ctl: ctl.buffer, params: { ...params }, N, C, H, W, from: half, mode },
    });
    await new Promise((r) => setTimeout(r, 300));
    const wsWhole = new core.SEWorkspace();
    const wsHalf = new core.SEWorkspace();
    const whole = { data: xs, shape: [N, C, H, W] };
    const dWhole = { data: dys, shape: [N, C, H, W] };
    const mine = { data: xs.subarray(0, half * per), shape: [half, C, H, W] };
    const dMine = { data: dys.subarray(0, half * per), shape: [half, C, H, W] };
    const runWhole = () => {
      const { cache } = core.seForward(whole, params, undefined, { workspace: wsWhole, ...(ys ? { y: ys } : {}) });
      if (mode === 'fb') core.seBackward(dWhole, cache, { workspace: wsWhole });
    };
    const runHalves = () => {
      Atomics.store(ctl, 0, Atomics.load(ctl, 0) + 1);
      Atomics.notify(ctl, 0);
      const { cache } = core.seForward(mine, params, undefined, { workspace: wsHalf, ...(ys ? { y: ys.subarray(0, half * per) } : {}) });
      if (mode === 'fb') core.seBackward(dMine, cache, { workspace: wsHalf });
      while (Atomics.load(ctl, 1) !== Atomics.load(ctl, 0)) Atomics.wait(ctl, 1, Atomics.load(ctl, 1), 50);
    };
    const time = (f) => {
      const t = performance.now();
      f();
      return performance.now() - t;
    };
    for (let i = 0; i < 20; i++) {
      runWhole();
      runHalves();
    }
    const ratios = [];
    for (let i = 0; i < pairs; i++) {
      if (i % 2 === 0) {
        const a = time(runWhole);
        ratios.push(time(runHalves) / a);
      } else {
        const b = time(runHalves);
        ratios.push(b / time(runWhole));
      }
    }
    Atomics.store(ctl, 2, 1);
    Atomics.store(ctl, 0, Atomics.load(ctl, 0) + 1);
    Atomics.notify(ctl, 0);
    await worker.terminate();
    console.log(`| ${N},${C},${H},${W} | ${mode} | ${median(ratios).toFixed(3)} | ${quart(ratios, 0.25).toFixed(3)}-${quart(ratios, 0.75).toFixed(3)} |`);
  }
}
