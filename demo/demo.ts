/**
 * `npm run demo`: runs an SE block forward and backward on a built-in default input, prints the
 * output statistics, a gradient check (analytic vs float64 central differences) and the time per call.
 */
import { createSEParams, seBackward, seForward, type SEParams } from '../src/index.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { kinkMargin, params64, refOptions, relativeError, seReference, seReferenceGradients } from '../src/testing/index.js';
import { trainingSvg } from './svg.js';
import { DEFAULT_TRAIN_CONFIG, trainStudent } from './train.js';

/** Deterministic pseudo-random float32 values in [-1, 1). */
function pseudoRandom(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

function stats(a: ArrayLike<number>): string {
  let sum = 0;
  let sq = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    sum += v;
    sq += v * v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / a.length;
  const std = Math.sqrt(Math.max(0, sq / a.length - mean * mean));
  const f = (v: number) => v.toExponential(3).padStart(10);
  return `mean ${f(mean)}  std ${f(std)}  min ${f(min)}  max ${f(max)}`;
}

function medianMs(run: () => void, minTimeMs: number): { median: number; runs: number } {
  run(); // warm-up (JIT)
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 5 || performance.now() - start < minTimeMs) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: times[times.length >> 1], runs: times.length };
}

function gradientCheck(params: SEParams): void {
  const shape = [2, params.channels, 7, 7];
  const size = shape.reduce((a, b) => a * b, 1);
  const x = pseudoRandom(size, 7);
  const dy = pseudoRandom(size, 8);
  const o = refOptions();
  const margin = kinkMargin(seReference(x, shape, params64(params), o), o);
  const { cache } = seForward({ data: x, shape }, params);
  const g = seBackward({ data: dy, shape }, cache);
  const num = seReferenceGradients(x, shape, params, o, Float64Array.from(dy));
  const rows: [string, ArrayLike<number>, ArrayLike<number>][] = [
    ['dx', g.dx.data, num.dx],
    ['dW1', g.dw1.data, num.dw1],
    ['db1', g.db1!.data, num.db1!],
    ['dW2', g.dw2.data, num.dw2],
    ['db2', g.db2!.data, num.db2!],
  ];
  console.log(`\ngradient check on x [${shape.join(', ')}] (analytic float32 vs float64 central differences, eps 1e-6;`);
  console.log(`  error = max |analytic - numeric| / max |numeric|; nearest relu kink ${margin.toExponential(1)} away)`);
  let worst = 0;
  for (const [name, a, n] of rows) {
    const e = relativeError(a, n);
    worst = Math.max(worst, e);
    console.log(`  ${name.padEnd(4)} ${e.toExponential(2)}`);
  }
  const bound = 2e-5;
  console.log(`  max relative error ${worst.toExponential(2)} (bound ${bound}): ${worst <= bound ? 'PASS' : 'FAIL'}`);
  if (worst > bound) process.exitCode = 1;
}

function main(): void {
  const shape = [8, 64, 56, 56];
  const [N, C, H, W] = shape;
  const params = createSEParams({ channels: C, seed: 1, reduction: 16 });
  // Biases start at 0 under kaiming init; give them small values so the check exercises them.
  params.b1!.set(pseudoRandom(params.hidden, 3).map((v) => 0.1 * v));
  params.b2!.set(pseudoRandom(C, 4).map((v) => 0.1 * v));
  const x = { data: pseudoRandom(N * C * H * W, 1), shape };
  const dy = { data: pseudoRandom(N * C * H * W, 2), shape };

  console.log('se-kernels demo: Squeeze-and-Excitation block (avg squeeze, ReLU, sigmoid gate), reduction 16');
  console.log(`input x [${shape.join(', ')}] channels-first, pseudo-random in [-1, 1); hidden width ${params.hidden}`);
  const { y, cache } = seForward(x, params);
  const g = seBackward(dy, cache);
  console.log(`\nforward`);
  console.log(`  y        ${stats(y.data)}`);
  console.log(`  gate s   ${stats(cache.excitations().data)}`);
  console.log(`backward (dy pseudo-random)`);
  console.log(`  dx       ${stats(g.dx.data)}`);
  console.log(`  dW1      ${stats(g.dw1.data)}`);
  console.log(`  dW2      ${stats(g.dw2.data)}`);

  gradientCheck(params);

  const fwd = medianMs(() => seForward(x, params), 1000);
  const both = medianMs(() => seBackward(dy, seForward(x, params).cache), 1000);
  const mb = (N * C * H * W * 4) / 1e6;
  console.log(`\ntime per call on x [${shape.join(', ')}] (${mb.toFixed(1)} MB), median of ${fwd.runs} / ${both.runs} runs, Node ${process.version}`);
  console.log(`  forward            ${fwd.median.toFixed(2)} ms`);
  console.log(`  forward + backward ${both.median.toFixed(2)} ms`);

  training();
}

function training(): void {
  const c = DEFAULT_TRAIN_CONFIG;
  console.log(`\ntraining: a student SE block (C ${c.channels}, hidden ${c.hidden}) imitates a random teacher`);
  console.log(`  the library's SGD on the tape (the block as one fused op), lr ${c.learningRate}, batches of x [${c.batch}, ${c.channels}, ${c.spatial.join(', ')}], MSE loss`);
  const r = trainStudent(c);
  for (const [step, loss] of r.history) console.log(`  step ${String(step).padStart(4)}  loss ${loss.toExponential(3)}`);
  const drop = r.firstLoss / r.lastLoss;
  console.log(`  loss dropped ${drop.toFixed(0)}x ${drop >= 100 ? '(>= 100x)' : '(LESS than 100x)'}`);
  const worst = Math.max(...r.teacherExcitation.map((t, i) => Math.abs(t - r.studentExcitation[i])));
  console.log(`  largest per-channel excitation gap, learned vs teacher: ${worst.toExponential(2)}`);
  // Its own folder: the MNIST example writes build/mnist/, and neither run removes the other's files.
  mkdirSync('build/demo', { recursive: true });
  const file = 'build/demo/se-training.svg';
  writeFileSync(file, trainingSvg(r));
  console.log(`  wrote ${file} (loss curve; learned vs teacher per-channel excitations)`);
  if (drop < 100) process.exitCode = 1;
}

main();
