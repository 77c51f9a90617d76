// @ts-check
/**
 * Timing: warm-up, then per-call samples collected in interleaved rounds. Within a case, each
 * round gives every system a slice of its time budget, the systems' order rotating from round to
 * round, so that drift (other load on the machine, thermal state) is spread over all systems alike.
 * A full GC (when node runs with --expose-gc) precedes every slice, so that one system's garbage
 * is not collected on another's clock; the garbage a system makes itself stays in its own samples.
 *
 * The statistic reported is the median of the per-round medians, with the range (min-max) of the
 * per-round medians as its spread: a round where the machine was busy moves one round's median,
 * not the result, and the range shows how much the rounds disagreed.
 */

/**
 * @typedef {object} ModeConfig
 * @property {number} budgetMs       timed wall time per system and case (summed over the rounds)
 * @property {number} rounds         interleaved rounds per case
 * @property {number} sliceCalls     calls per system and round at least, whatever the budget
 * @property {number} slowRounds     rounds for a system whose one call is longer than its slice
 *                                   (budgetMs / rounds): it makes one call in each of the first slowRounds rounds
 * @property {number} warmupMs       warm-up per system and case (the output check's call included),
 *                                   at least one call after the check's
 */

/** @type {Record<'quick' | 'full', ModeConfig>} */
export const MODES = {
  quick: { budgetMs: 180, rounds: 3, sliceCalls: 1, slowRounds: 3, warmupMs: 40 },
  full: { budgetMs: 2400, rounds: 6, sliceCalls: 2, slowRounds: 3, warmupMs: 400 },
};

const now = () => performance.now();
let gc = /** @type {(() => void) | undefined} */ (globalThis.gc);
export let hasGc = typeof gc === 'function';

/**
 * Turns the GC before each timed slice off (paired mode's --no-gc): the calls of a system then run
 * back to back as in a network's steady state. With the GC, both CPUs can sit idle for a moment
 * before a slice (V8's GC helper threads finish, the main thread waits for them), and a thread pool's
 * next call then pays for waking a worker that the OS may place on the caller's CPU.
 */
export function disableGc() {
  gc = undefined;
  hasGc = false;
}

/** A full garbage collection, when node runs with --expose-gc. */
export function collectGarbage() {
  if (gc) gc();
}

/**
 * Runs an instance until both the time and the call count are reached; returns per-call times (ms).
 * An instance hosted in a worker (lib/isolate.mjs) runs this same loop there, through its slice().
 * @param {import('../systems/types.mjs').Instance} inst
 * @param {number} ms
 * @param {number} minCalls
 * @param {boolean} record
 * @returns {Promise<number[]>}
 */
export async function runFor(inst, ms, minCalls, record) {
  if (gc) gc();
  if (inst.slice) return inst.slice(ms, minCalls, record);
  if (inst.activate) await inst.activate();
  const samples = [];
  const start = now();
  if (inst.async) {
    while (samples.length < minCalls || now() - start < ms) {
      const t = now();
      await inst.run();
      samples.push(now() - t);
    }
  } else {
    while (samples.length < minCalls || now() - start < ms) {
      const t = now();
      inst.run();
      samples.push(now() - t);
    }
  }
  return record ? samples : [];
}

/**
 * @typedef {object} Entry
 * @property {string} id
 * @property {import('../systems/types.mjs').Instance} inst
 * @property {number} checkMs  the output check's call (the first warm-up call)
 * @property {number | null} [maxRounds]  time it in at most this many rounds (of one call)
 */

/**
 * Warms up then times a set of instances of one case in interleaved rounds.
 * @param {Entry[]} entries
 * @param {ModeConfig} mode
 * @returns {Promise<Map<string, number[][]>>} per id, the per-call times (ms) of each round it took part in
 */
export async function timeInterleaved(entries, mode) {
  const sliceMs = mode.budgetMs / mode.rounds;
  // Warm-up: at least one call after the check's (that first call is cold: compilation, first
  // touches of fresh buffers, the output copies), and warmupMs in all; the last warm-up call says
  // whether the system is slow. A system with a round cap, or whose check call took more than
  // four slices, is slow anyway: its check call is its warm-up.
  /** @type {Map<string, number>} */
  const callMs = new Map();
  for (const { id, inst, checkMs, maxRounds } of entries) {
    if (maxRounds || checkMs > 4 * sliceMs) {
      callMs.set(id, checkMs);
      continue;
    }
    const w = await runFor(inst, Math.max(0, mode.warmupMs - checkMs), 1, true);
    callMs.set(id, w[w.length - 1]);
  }
  /** @type {Map<string, number[][]>} */
  const rounds = new Map(entries.map((e) => [e.id, []]));
  const plan = new Map(
    entries.map((e) => {
      const r = /** @type {number} */ (callMs.get(e.id)) > sliceMs ? Math.min(mode.slowRounds, mode.rounds) : mode.rounds;
      return [e.id, e.maxRounds ? Math.min(r, e.maxRounds) : r];
    }),
  );
  for (let round = 0; round < mode.rounds; round++) {
    for (let k = 0; k < entries.length; k++) {
      const { id, inst } = entries[(k + round) % entries.length];
      const mine = /** @type {number[][]} */ (rounds.get(id));
      if (mine.length >= /** @type {number} */ (plan.get(id))) continue;
      const slow = /** @type {number} */ (plan.get(id)) < mode.rounds;
      mine.push(await runFor(inst, slow ? 0 : sliceMs, slow ? 1 : mode.sliceCalls, true));
    }
  }
  return rounds;
}

/**
 * @typedef {object} Stats
 * @property {number} n        calls timed
 * @property {number} rounds   rounds they were timed in
 * @property {number} median   median of the per-round medians
 * @property {number} lo       smallest per-round median
 * @property {number} hi       largest per-round median
 * @property {number[]} roundMedians
 * @property {number} p25      over all calls
 * @property {number} p75      over all calls
 * @property {number} min      fastest call
 * @property {number} totalMs
 */

/**
 * @param {number[]} sorted ascending
 * @param {number} q in [0, 1]
 */
function quantile(sorted, q) {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** @param {number[]} v */
export function median(v) {
  return quantile([...v].sort((a, b) => a - b), 0.5);
}

/**
 * @param {number[][]} rounds per-call times in ms, per round
 * @returns {Stats}
 */
export function stats(rounds) {
  const all = rounds.flat().sort((a, b) => a - b);
  const roundMedians = rounds.map(median);
  return {
    n: all.length,
    rounds: rounds.length,
    median: median(roundMedians),
    lo: Math.min(...roundMedians),
    hi: Math.max(...roundMedians),
    roundMedians,
    p25: quantile(all, 0.25),
    p75: quantile(all, 0.75),
    min: all[0],
    totalMs: all.reduce((a, b) => a + b, 0),
  };
}
