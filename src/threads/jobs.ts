/**
 * A job over the threads: how it is split ({@link planSplit}), its start and this thread's part of
 * it ({@link startJob}: copying the workers' samples into shared memory, the first share, any share
 * no worker claimed), the array sets the workers hold, and the job's arrays.
 */
import type { SEFrame } from '../fused/index.js';
import { isShared, type WorkspaceState } from '../fused/index.js';
import { ARRAY_SETS, type Job, type PoolCore } from './core.js';
import { claimed, CTL, describeJob, done, free, MAX_SHARES, nextGeneration, pending, runShare, type ArraysMessage, type JobArrays } from './protocol.js';

/**
 * How a job over N samples is split. Without copying (`cost` 0): `min(threads, N)` equal shares,
 * the first one this thread's. When this thread must copy the workers' samples into shared memory
 * (`cost`: the copy's time per sample relative to computing one), its own first share is smaller
 * (it balances copying plus its share against the workers' shares) and the rest is cut into
 * more, smaller shares, released to the workers one by one as their samples are copied. `least`:
 * the workers' first sample may not be below it (samples already copied from there on).
 */
export function planSplit(core: PoolCore, N: number, cost: number, least: number): SplitPlan {
  const T = core.workers + 1;
  if (cost === 0 && least === 0) {
    const shares = Math.min(T, N);
    const bounds: number[] = [];
    for (let k = 0; k <= shares; k++) bounds.push(Math.round((k * N) / shares));
    return { bounds, first: bounds[1], copy: false };
  }
  // This thread: copy (N - m) samples, compute m; each of T - 1 workers: compute (N - m) / (T - 1).
  const w = 1 / (T - 1);
  const share = Math.max(0, (w - cost) / (1 - cost + w));
  const first = Math.min(N - 1, Math.max(least, Math.round(N * share)));
  const chunks = Math.min(N - first, 4 * (T - 1), MAX_SHARES - 1);
  const bounds = [0];
  for (let k = 0; k <= chunks; k++) bounds.push(first + Math.round((k * (N - first)) / chunks));
  return { bounds, first, copy: true };
}

/**
 * Starts a job and does this thread's part of it: the workers claim shares; this thread copies
 * the workers' samples when they read copies (releasing each share as its samples land), runs its
 * first share and any share no worker has claimed. Waiting for the workers' shares is the
 * caller's (`waitJob`, `waitJobAsync` in wait.ts). `workerXOffset` and
 * `workerDyOffset` are where the workers find sample 0 in `arrays.x` / `arrays.dy`; this thread
 * reads x through the frame and dy from `dy` / `dyOffset`.
 */
export function startJob(
  core: PoolCore,
  kind: 0 | 1,
  f: SEFrame,
  arrays: JobArrays,
  workerXOffset: number,
  workerDyOffset: number,
  dy: Float32Array | null,
  dyOffset: number,
  plan: SplitPlan,
  copyX: SampleCopy | null,
  copyDy: SampleCopy | null,
  ws: WorkspaceState,
): Job {
  const ctl = core.ctl;
  const { bounds } = plan;
  const shares = bounds.length - 1;
  const gen = (core.gen = nextGeneration(core.gen));
  describeJob(ctl, kind, f, workerDyOffset);
  ctl[CTL.xOffset] = workerXOffset;
  ctl[CTL.shares] = shares;
  for (let k = 0; k <= shares; k++) ctl[CTL.bounds + k] = bounds[k];
  Atomics.store(ctl, CTL.state, plan.copy ? claimed(gen) : free(gen));
  for (let k = 1; k < shares; k++) Atomics.store(ctl, CTL.state + k, plan.copy ? pending(gen) : free(gen));
  postArrays(core, arrays);
  Atomics.store(ctl, CTL.gen, gen);
  Atomics.notify(ctl, CTL.gen);
  const sample = f.C * f.S;
  if (plan.copy) {
    const t0 = performance.now();
    for (let k = 1; k < shares; k++) {
      const from = bounds[k] * sample;
      const n = (bounds[k + 1] - bounds[k]) * sample;
      if (copyX !== null) copyRange(copyX.dst, from, copyX.src, copyX.srcOffset + from, n);
      if (copyDy !== null) copyRange(copyDy.dst, from, copyDy.src, copyDy.srcOffset + from, n);
      Atomics.store(ctl, CTL.state + k, free(gen));
      Atomics.add(ctl, CTL.released, 1);
      Atomics.notify(ctl, CTL.released);
    }
    const t1 = performance.now();
    runShare(ctl, f, arrays, dy, dyOffset, 0, ws.scratch);
    Atomics.store(ctl, CTL.state, done(gen));
    noteCopyCost(core, kind, t1 - t0, (f.N - bounds[1]) * ((copyX === null ? 0 : 1) + (copyDy === null ? 0 : 1)), performance.now() - t1, bounds[1]);
  }
  for (let k = 0; k < shares; k++) {
    if (Atomics.compareExchange(ctl, CTL.state + k, free(gen), claimed(gen)) !== free(gen)) continue;
    runShare(ctl, f, arrays, dy, dyOffset, k, ws.scratch);
    Atomics.store(ctl, CTL.state + k, done(gen));
  }
  return { gen, shares, deadline: Date.now() + core.timeoutMs };
}

/**
 * Updates the running average of the copy's cost (see INITIAL_COPY_COST) from one job: `copyMs`
 * for `copied` sample-arrays, `computeMs` for this thread's `own` samples.
 */
function noteCopyCost(core: PoolCore, kind: 0 | 1, copyMs: number, copied: number, computeMs: number, own: number): void {
  if (copied <= 0 || own <= 0 || !(computeMs > 0)) return;
  const measured = Math.min(1, Math.max(0.02, copyMs / copied / (computeMs / own)));
  const c = core.copyCost;
  c[kind] = 0.7 * c[kind] + 0.3 * measured;
}

/** Points the workers at the job's arrays: a set they hold already, else a new set sent to them. */
function postArrays(core: PoolCore, arrays: JobArrays): void {
  const sets = core.posted;
  let version = 0;
  for (let i = 0; i < sets.length && version === 0; i++) {
    if (sameArrays(sets[i].arrays, arrays)) {
      version = sets[i].version;
      if (i > 0) sets.unshift(sets.splice(i, 1)[0]);
    }
  }
  if (version === 0) {
    version = ++core.version;
    sets.unshift({ version, arrays });
    if (sets.length > ARRAY_SETS) sets.pop();
    // The versions still held go with it: a worker keeps exactly those.
    const message: ArraysMessage = { version, arrays, live: sets.map((t) => t.version) };
    for (const p of core.ports) p.postMessage(message);
  }
  Atomics.store(core.ctl, CTL.arrays, version);
}

/** How a job is split: share k is samples [bounds[k], bounds[k + 1]); the workers' first sample; whether they read copies. */
export interface SplitPlan {
  bounds: number[];
  first: number;
  copy: boolean;
}

/** A copy of samples into shared memory: element e of the batch is src[srcOffset + e] -> dst[e]. */
export interface SampleCopy {
  src: Float32Array;
  srcOffset: number;
  dst: Float32Array;
}

/** dst[d + i] = src[s + i] for i < n (TypedArray.prototype.set between views: a memory copy). */
function copyRange(dst: Float32Array, d: number, src: Float32Array, s: number, n: number): void {
  dst.set(src.subarray(s, s + n), d);
}

/** The arrays of a job: the frame's saved arrays with x, y and the backward's. */
export function jobArrays(
  f: SEFrame,
  x: Float32Array,
  y: Float32Array,
  dy: Float32Array | null,
  dx: Float32Array | null,
  dG: Float32Array | null,
  dA: Float32Array | null,
): JobArrays {
  return { x, y, z: f.z, a: f.aSaved, h: f.h, g: f.gSaved, s: f.s, argmax: f.argmax, w1: f.w1, b1: f.b1, w2: f.w2, b2: f.b2, dy, dx, dG, dA };
}

function sameArrays(p: JobArrays, q: JobArrays): boolean {
  return (
    p.x === q.x && p.y === q.y && p.z === q.z && p.a === q.a && p.h === q.h && p.g === q.g && p.s === q.s && p.argmax === q.argmax &&
    p.w1 === q.w1 && p.b1 === q.b1 && p.w2 === q.w2 && p.b2 === q.b2 && p.dy === q.dy && p.dx === q.dx && p.dG === q.dG && p.dA === q.dA
  );
}

/** True when every array of a cache that a backward's workers read, but x, is on shared memory. */
export function cacheIsShared(f: SEFrame): boolean {
  return (
    isShared(f.z) && isShared(f.aSaved) && isShared(f.h) && isShared(f.gSaved) && isShared(f.s) && isShared(f.w1) && isShared(f.w2) &&
    (f.argmax === null || isShared(f.argmax)) && (f.b1 === null || isShared(f.b1)) && (f.b2 === null || isShared(f.b2))
  );
}
