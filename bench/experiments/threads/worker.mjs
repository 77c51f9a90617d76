import { workerData } from 'node:worker_threads';
const core = await import('../../../dist/esm/core.js');
const { N, C, S, H, W, from } = workerData;
const xs = new Float32Array(workerData.xs), ys = new Float32Array(workerData.ys), ctl = new Int32Array(workerData.ctl);
const p = workerData.params;
const params = { channels: p.channels, hidden: p.hidden, w1: p.w1, b1: p.b1, w2: p.w2, b2: p.b2 };
const per = C * S;
const x = { data: xs.subarray(from * per, N * per), shape: [N - from, C, H, W] };
const buf = { workspace: new core.SEWorkspace(), y: ys.subarray(from * per, N * per) };
let seen = 0;
for (;;) {
  Atomics.wait(ctl, 0, seen);
  seen = Atomics.load(ctl, 0);
  if (Atomics.load(ctl, 2) === 1) break;
  core.seForward(x, params, undefined, buf);
  Atomics.store(ctl, 1, seen); Atomics.notify(ctl, 1);
}
