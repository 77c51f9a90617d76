// Prototype: is a 2-thread split of the SE forward worth it on this machine? (not part of the library)
import { Worker } from 'node:worker_threads';
const core = await import('../../../dist/esm/core.js');
const [N, C, H, W] = (process.argv[2] ?? '8,64,56,56').split(',').map(Number);
const S = H * W, per = C * S, size = N * per;
const params = core.createSEParams({ channels: C, seed: 1 });
const xs = new Float32Array(new SharedArrayBuffer(size * 4)); for (let i = 0; i < size; i++) xs[i] = Math.sin(i);
const ys = new Float32Array(new SharedArrayBuffer(size * 4));
const ctl = new Int32Array(new SharedArrayBuffer(16));
const half = N >> 1;
const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: { xs: xs.buffer, ys: ys.buffer, ctl: ctl.buffer, params: { ...params }, N, C, S, H, W, from: half } });
await new Promise((r) => setTimeout(r, 300));
const ws = new core.SEWorkspace();
const mainHalf = { data: xs.subarray(0, half * per), shape: [half, C, H, W] };
const yMain = ys.subarray(0, half * per);
const bufMain = { workspace: ws, y: yMain };
const single = new core.SEWorkspace();
const full = { data: xs, shape: [N, C, H, W] };
const yFull = new Float32Array(size);
const runSingle = () => core.seForward(full, params, undefined, { workspace: single, y: yFull });
const runDual = () => {
  Atomics.store(ctl, 0, Atomics.load(ctl, 0) + 1); Atomics.notify(ctl, 0);
  core.seForward(mainHalf, params, undefined, bufMain);
  while (Atomics.load(ctl, 1) !== Atomics.load(ctl, 0)) Atomics.wait(ctl, 1, Atomics.load(ctl, 1), 50);
};
for (let i = 0; i < 30; i++) { runSingle(); runDual(); }
const med = (f) => { const t = []; const t0 = performance.now(); while (performance.now() - t0 < 2000) { const a = performance.now(); f(); t.push(performance.now() - a); } t.sort((a, b) => a - b); return t[t.length >> 1]; };
for (let r = 0; r < 3; r++) console.log(process.argv[2] ?? '8,64,56,56', 'single', med(runSingle).toFixed(3), 'dual', med(runDual).toFixed(3));
let same = true; runSingle(); runDual(); for (let i = 0; i < size; i++) if (ys[i] !== yFull[i]) { same = false; break; }
console.log('bit-identical', same);
Atomics.store(ctl, 2, 1); Atomics.store(ctl, 0, Atomics.load(ctl, 0) + 1); Atomics.notify(ctl, 0);
await worker.terminate();
