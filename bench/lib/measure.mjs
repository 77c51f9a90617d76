// @ts-check
/**
 * Timing: warm-up, then per-call samples collected in rounds. Within a shape, each round gives
 * every system a slice of its time budget, the systems' order rotating from round to round, so
 * that drift (other load on the machine, thermal state) is spread over all systems alike.
 * A full GC (when node runs with --expose-gc) precedes every slice, so that one system's garbage
 * is not collected on another's clock; the garbage a system makes itself stays in its own
 * samples, and medians with p25-p75 keep the odd collection from dominating.
 */

/**
 * @typedef {object} ModeConfig
 * @property {number} budgetMs     timed wall time per system and shape (summed over the rounds)
 * @property {number} rounds       slices per system and shape
 * @property {number} minSamples   calls per system and shape at least, whatever the budget
 * @property {number} warmupMs     warm-up time per system and shape at least...
 * @property {number} warmupCalls  ...and at least this many calls
 */

/** @type {Record<'quick' | 'full', ModeConfig>} */
export const MODES = {
  quick: { budgetMs: 200, rounds: 3, minSamples: 3, warmupMs: 40, warmupCalls: 1 },
  full: { budgetMs: 3000, rounds: 6, minSamples: 12, warmupMs: 500, warmupCalls: 4 },
};

const now = () => performance.now();
const gc = /** @type {(() => void) | undefined} */ (globalThis.gc);
export const hasGc = typeof gc === 'function';

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
 * Warms up then times a set of instances of one shape, interleaved.
 * Each instance has already made one call (the output check); that call counts towards its
 * warm-up, which then goes on until warmupMs (check call included) and warmupCalls are reached.
 * @param {{ id: string, inst: import('../systems/types.mjs').Instance, checkMs: number }[]} entries
 * @param {ModeConfig} mode
 * @returns {Promise<Map<string, number[]>>} per-call times in ms, per id
 */
export async function timeInterleaved(entries, mode) {
  for (const { inst, checkMs } of entries) {
    await runFor(inst, Math.max(0, mode.warmupMs - checkMs), Math.max(0, mode.warmupCalls - 1), false);
  }
  /** @type {Map<string, number[]>} */
  const samples = new Map(entries.map((e) => [e.id, []]));
  const sliceMs = mode.budgetMs / mode.rounds;
  const sliceCalls = Math.ceil(mode.minSamples / mode.rounds);
  for (let round = 0; round < mode.rounds; round++) {
    for (let k = 0; k < entries.length; k++) {
      const { id, inst } = entries[(k + round) % entries.length];
      const got = await runFor(inst, sliceMs, sliceCalls, true);
      /** @type {number[]} */ (samples.get(id)).push(...got);
    }
  }
  return samples;
}

/**
 * @typedef {object} Stats
 * @property {number} n
 * @property {number} median
 * @property {number} p25
 * @property {number} p75
 * @property {number} min
 * @property {number} max
 * @property {number} mean
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

/**
 * @param {number[]} samples per-call times in ms
 * @returns {Stats}
 */
export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const total = s.reduce((a, b) => a + b, 0);
  return {
    n: s.length,
    median: quantile(s, 0.5),
    p25: quantile(s, 0.25),
    p75: quantile(s, 0.75),
    min: s[0],
    max: s[s.length - 1],
    mean: total / s.length,
    totalMs: total,
  };
}
