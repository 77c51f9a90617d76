// What an idle moment before a call costs the thread pool: SEThreads({ threads: 2 }) forward against
// the single-thread workspace call, x on a SharedArrayBuffer, paired (calls alternate AB, BA; the
// ratio is the median of the per-pair ratios), with one of these before every timed call:
//   none   calls back to back                  busy   the caller spins 8 ms (the worker idles)
//   sleep  the caller sleeps 8 ms (both idle)  gc     a full GC (needs --expose-gc)
// Run from the repository root after `npm run build`:
//   node --expose-gc bench/experiments/threads/idle.mjs [N,C,H,W] [none|busy|sleep|gc ...]
const core = await import('../../../dist/esm/core.js');
const { SEThreads } = await import('../../../dist/esm/threads/index.js');
const [N, C, H, W] = (process.argv[2] ?? '8,64,56,56').split(',').map(Number);
const modes = process.argv.slice(3).length ? process.argv.slice(3) : ['none', 'busy', 'sleep', 'gc'];
const size = N * C * H * W;
const xs = new Float32Array(new SharedArrayBuffer(size * 4));
for (let i = 0; i < size; i++) xs[i] = Math.sin(i * 0.37);
const params = core.createSEParams({ channels: C, seed: 1 });
const x = { data: xs, shape: [N, C, H, W] };
const pool = new SEThreads({ threads: 2 });
await pool.ready();
const ws1 = new core.SEWorkspace();
const wsP = new core.SEWorkspace();
const one = () => core.seForward(x, params, undefined, { workspace: ws1 });
const two = () => pool.seForward(x, params, undefined, { workspace: wsP });
const nap = new Int32Array(new SharedArrayBuffer(4));
const before = {
  none: () => {},
  busy: () => {
    const end = performance.now() + 8;
    while (performance.now() < end);
  },
  sleep: () => Atomics.wait(nap, 0, 0, 8),
  gc: () => globalThis.gc?.(),
};
const median = (v) => v.slice().sort((p, q) => p - q)[v.length >> 1];
for (let i = 0; i < 50; i++) {
  one();
  two();
}
for (const mode of modes) {
  const pre = before[mode];
  const time = (f) => {
    pre();
    const t = performance.now();
    f();
    return performance.now() - t;
  };
  const r = [];
  for (let i = 0; i < 201; i++) {
    if (i % 2) {
      const a = time(one);
      r.push(time(two) / a);
    } else {
      const b = time(two);
      r.push(b / time(one));
    }
  }
  console.log(`${N},${C},${H},${W} before each call: ${mode.padEnd(5)} pool / one thread ${median(r).toFixed(3)} (201 pairs)`);
}
pool.close();
