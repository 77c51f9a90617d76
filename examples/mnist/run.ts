/**
 * One experiment: the digits split and standardised, the plain and the SE network trained for
 * every seed, and the results in the shape `build/mnist/results.json` has (the fixed
 * fields `mode`, `digits`, `plain`/`se` with `testAccuracy`, `params`, `secondsPerEpoch`, and more).
 */
import { cpus } from 'node:os';
import { loadDigits, pixelStats, standardize, stratifiedSplit, subset, type DigitSet } from './data.js';
import type { NetConfig } from './model.js';
import { trainNet, type BlockExcitation, type RunResult } from './train.js';

/** The settings of a mode. */
export interface ModeSettings {
  /** One run of each network per seed (the seed of the weights, the batch order and the shifts). */
  seeds: number[];
  epochs: number;
  batch: number;
  /** Adam's peak learning rate (a half cosine to 0 over the run). */
  lr: number;
  /** Largest random shift of a training digit, in pixels. */
  shift: number;
}

/** Digits held out for testing, and the seed of the stratified split. */
export const TEST_DIGITS = 2000;
export const SPLIT_SEED = 2017;

/** The train and test digits, standardised with the training digits' pixel mean and deviation. */
export function prepareDigits(all: DigitSet = loadDigits()): { train: DigitSet; test: DigitSet; pixel: { mean: number; std: number } } {
  const split = stratifiedSplit(all.labels, TEST_DIGITS, SPLIT_SEED);
  const raw = subset(all, split.train);
  const pixel = pixelStats(raw);
  return { train: standardize(raw, pixel.mean, pixel.std), test: standardize(subset(all, split.test), pixel.mean, pixel.std), pixel };
}

/** Both networks for every seed (plain first, then SE, per seed). */
export function runBoth(
  train: DigitSet,
  test: DigitSet,
  net: Omit<NetConfig, 'se' | 'seed'>,
  settings: ModeSettings,
  log: (line: string) => void,
): { plain: RunResult[]; se: RunResult[] } {
  const runs: { plain: RunResult[]; se: RunResult[] } = { plain: [], se: [] };
  for (const seed of settings.seeds) {
    for (const se of [false, true]) {
      const config = { net: { ...net, se, seed }, epochs: settings.epochs, batch: settings.batch, lr: settings.lr, shift: settings.shift, seed };
      runs[se ? 'se' : 'plain'].push(trainNet(train, test, config, log));
    }
  }
  return runs;
}

/** Mean and sample standard deviation (0 for one value). */
export function meanStd(v: readonly number[]): { mean: number; std: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, std };
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));

/** One network's entry of results.json. */
export function summarize(runs: RunResult[]) {
  const err = meanStd(runs.map((r) => 100 * (1 - r.testAccuracy)));
  return {
    testAccuracy: runs.map((r) => r.testAccuracy),
    params: runs[0].params.total,
    secondsPerEpoch: round(meanStd(runs.map((r) => r.secondsPerEpoch)).mean, 2),
    seParams: runs[0].params.se,
    testErrorPercent: { mean: round(err.mean, 3), std: round(err.std, 3) },
    testErrorPerEpoch: runs.map((r) => r.epochs.map((e) => round(1 - e.testAccuracy, 5))),
    trainLossPerEpoch: runs.map((r) => r.epochs.map((e) => round(e.loss, 5))),
    evalSecondsPerEpoch: round(meanStd(runs.flatMap((r) => r.epochs.map((e) => e.evalSeconds))).mean, 2),
  };
}

/** What the excitation statistics say per block, with the class specificity (between / within spread). */
export function excitationSummary(blocks: BlockExcitation[]) {
  return blocks.map((b, k) => ({
    block: k + 1,
    channels: b.channels,
    betweenClassStd: round(b.betweenClassStd, 5),
    withinClassStd: round(b.withinClassStd, 5),
    classSpecificity: round(b.betweenClassStd / b.withinClassStd, 3),
    mean: b.mean.map((v) => round(v, 4)),
    classMeans: b.classMeans.map((row) => row.map((v) => round(v, 4))),
  }));
}

/** The whole results.json object. */
export function buildResults(
  mode: 'quick' | 'full',
  digits: { train: number; test: number },
  runs: { plain: RunResult[]; se: RunResult[] },
  settings: ModeSettings,
  net: Omit<NetConfig, 'se' | 'seed'>,
  totalSeconds: number,
) {
  const plain = summarize(runs.plain);
  const se = summarize(runs.se);
  return {
    mode,
    digits,
    plain,
    se: { ...se, seShareOfParams: round(se.seParams / se.params, 4), extraParamsOverPlain: round(se.params / plain.params - 1, 4) },
    excitation: excitationSummary(runs.se[0].excitation),
    excitationSeed: runs.se[0].config.net.seed,
    settings: { ...settings, net, splitSeed: SPLIT_SEED, optimizer: 'Adam (cosine schedule)' },
    machine: { date: new Date().toISOString(), cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
    totalSeconds: round(totalSeconds, 1),
  };
}
