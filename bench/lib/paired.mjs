// @ts-check
/**
 * Paired timing: two systems' calls alternate on one case (A B, B A, A B, ...), and a ratio is the
 * median of the per-pair ratios B / A.
 *
 * Why: on this shared machine one system's median moves by up to 2x between rounds of one run
 * (other load, frequency), so a ratio of two separately measured medians swings more than the gaps
 * it is meant to show. Two calls made back to back see nearly the same machine; their ratio
 * cancels most of that drift, and the order within a pair alternates (AB, then BA) so that a drift
 * within the pair, or a cost one call leaves to the next (caches, garbage, a thread waking up),
 * falls on A and B alike.
 *
 * A fast call is timed as a batch of k back-to-back calls (k chosen from the warm-up so that a
 * batch lasts at least batchMs), one batch per system and pair; a full GC (node --expose-gc)
 * precedes every batch, so neither system pays for the other's garbage.
 */
import { runFor } from './measure.mjs';

/**
 * @typedef {object} PairConfig
 * @property {number} warmupMs  warm-up per system and pairing (the output check's call counts), at least one call after it
 * @property {number} batchMs   a timed sample lasts at least this long: k calls of a fast system
 * @property {number} budgetMs  wall time of both systems' timed batches per pairing (at least minPairs pairs)
 * @property {number} minPairs
 * @property {number} maxPairs
 */

/** @type {Record<'quick' | 'full', PairConfig>} */
export const PAIR_MODES = {
  quick: { warmupMs: 30, batchMs: 1, budgetMs: 200, minPairs: 5, maxPairs: 100 },
  full: { warmupMs: 300, batchMs: 4, budgetMs: 4000, minPairs: 21, maxPairs: 400 },
};

/**
 * One paired measurement.
 * @typedef {object} PairedTimes
 * @property {number[]} a   ms per call of A, per pair
 * @property {number[]} b   ms per call of B, per pair
 * @property {number} ka    calls per batch of A
 * @property {number} kb    calls per batch of B
 */

/**
 * Mean ms per call over one batch of k calls.
 * @param {import('../systems/types.mjs').Instance} inst
 * @param {number} k
 */
async function batch(inst, k) {
  const s = await runFor(inst, 0, k, true);
  let t = 0;
  for (const v of s) t += v;
  return t / s.length;
}

/**
 * Warms A and B up (alternately), then times them in pairs, the order within a pair alternating.
 * @param {{ inst: import('../systems/types.mjs').Instance, checkMs: number }} a
 * @param {{ inst: import('../systems/types.mjs').Instance, checkMs: number }} b
 * @param {PairConfig} cfg
 * @returns {Promise<PairedTimes>}
 */
export async function timePaired(a, b, cfg) {
  // Warm-up, alternating, so that both systems are warm when the pairs start; the last warm-up
  // call of each gives its batch size.
  const wa = await runFor(a.inst, Math.max(0, cfg.warmupMs - a.checkMs), 1, true);
  const wb = await runFor(b.inst, Math.max(0, cfg.warmupMs - b.checkMs), 1, true);
  const wa2 = await runFor(a.inst, 0, 1, true);
  const wb2 = await runFor(b.inst, 0, 1, true);
  const callA = Math.min(wa[wa.length - 1], wa2[0]);
  const callB = Math.min(wb[wb.length - 1], wb2[0]);
  const ka = Math.max(1, Math.ceil(cfg.batchMs / Math.max(callA, 1e-3)));
  const kb = Math.max(1, Math.ceil(cfg.batchMs / Math.max(callB, 1e-3)));
  /** @type {number[]} */
  const ta = [];
  /** @type {number[]} */
  const tb = [];
  let spent = 0;
  for (let i = 0; i < cfg.maxPairs && (i < cfg.minPairs || spent < cfg.budgetMs); i++) {
    let x, y;
    if (i % 2 === 0) {
      x = await batch(a.inst, ka);
      y = await batch(b.inst, kb);
    } else {
      y = await batch(b.inst, kb);
      x = await batch(a.inst, ka);
    }
    ta.push(x);
    tb.push(y);
    spent += x * ka + y * kb;
  }
  return { a: ta, b: tb, ka, kb };
}

/**
 * @param {number[]} sorted ascending
 * @param {number} q in [0, 1]
 */
export function quantile(sorted, q) {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * A distribution-free 95 % confidence interval for the median of n samples: the k-th smallest and
 * the k-th largest, k the largest with P(Binomial(n, 1/2) < k) <= 2.5 %. Null below 6 samples
 * (no such interval exists).
 * @param {number[]} sorted ascending
 * @returns {[number, number] | null}
 */
export function medianInterval(sorted) {
  const n = sorted.length;
  let pmf = 2 ** -n; // P(X = 0)
  let cdf = 0; // P(X < k)
  let k = 0;
  while (k < n) {
    if (cdf + pmf > 0.025) break;
    cdf += pmf;
    pmf = (pmf * (n - k)) / (k + 1);
    k++;
  }
  if (k === 0) return null;
  return [sorted[k - 1], sorted[n - k]];
}

/**
 * @typedef {object} PairStats
 * @property {number} pairs
 * @property {number} ratio     median of the per-pair ratios B / A
 * @property {number} p25
 * @property {number} p75
 * @property {number} min
 * @property {number} max
 * @property {[number, number] | null} ci   95 % interval of that median (null: too few pairs)
 * @property {number} aMs       median ms per call of A over the pairs (context only)
 * @property {number} bMs
 */

/**
 * @param {PairedTimes} t
 * @returns {PairStats}
 */
export function pairStats(t) {
  const r = t.a.map((x, i) => t.b[i] / x).sort((p, q) => p - q);
  const med = (/** @type {number[]} */ v) => quantile([...v].sort((p, q) => p - q), 0.5);
  return {
    pairs: r.length,
    ratio: quantile(r, 0.5),
    p25: quantile(r, 0.25),
    p75: quantile(r, 0.75),
    min: r[0],
    max: r[r.length - 1],
    ci: medianInterval(r),
    aMs: med(t.a),
    bMs: med(t.b),
  };
}
