/**
 * `npm run example:mnist [-- --quick]`: trains the plain and the SE network on real MNIST digits
 * (8,000 train / 2,000 test, a fixed stratified split), several seeds each, prints a line per
 * epoch, and writes `build/mnist/results.json` and `build/mnist/mnist.svg`.
 *
 * Modes: full (default) and `--quick` (one seed per model, fewer epochs). For experiments, any
 * setting can be overridden: `--epochs 8 --seeds 1,2,3 --lr 0.003 --batch 32 --shift 2`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { loadDigits, pixelStats, standardize, stratifiedSplit, subset } from './data.js';
import { DEFAULT_NET } from './model.js';
import { mnistSvg } from './svg.js';
import { trainNet, type RunResult, type TrainConfig } from './train.js';

/** The settings of a mode. */
export interface ModeSettings {
  seeds: number[];
  epochs: number;
  batch: number;
  lr: number;
  shift: number;
  /** Which networks to train (both by default). */
  models: ('plain' | 'se')[];
}

/** The two modes' settings. */
export const MODES: Record<'quick' | 'full', ModeSettings> = {
  quick: { seeds: [1], epochs: 2, batch: 32, lr: 0.004, shift: 0, models: ['plain', 'se'] },
  full: { seeds: [1, 2, 3], epochs: 8, batch: 32, lr: 0.004, shift: 0, models: ['plain', 'se'] },
};

/** Digits held out for testing, and the seed of the split. */
const TEST_DIGITS = 2000;
const SPLIT_SEED = 2017;

function parseArgs(argv: string[]): { mode: 'quick' | 'full'; settings: ModeSettings } {
  const mode = argv.includes('--quick') ? 'quick' : 'full';
  const settings = { ...MODES[mode] };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    const value = argv[i + 1];
    if (key === '--quick') continue;
    if (value === undefined) throw new Error(`example:mnist: ${key} needs a value`);
    if (key === '--seeds') settings.seeds = value.split(',').map(Number);
    else if (key === '--epochs') settings.epochs = Number(value);
    else if (key === '--batch') settings.batch = Number(value);
    else if (key === '--lr') settings.lr = Number(value);
    else if (key === '--shift') settings.shift = Number(value);
    else if (key === '--models') settings.models = value.split(',').filter((m): m is 'plain' | 'se' => m === 'plain' || m === 'se');
    else throw new Error(`example:mnist: unknown argument ${key} (known: --quick, --seeds, --epochs, --batch, --lr, --shift)`);
    i++;
  }
  return { mode, settings };
}

function meanStd(v: number[]): { mean: number; std: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, std };
}

function summary(runs: RunResult[]) {
  const acc = runs.map((r) => r.testAccuracy);
  const err = meanStd(acc.map((a) => 100 * (1 - a)));
  return {
    testAccuracy: acc,
    params: runs[0].params.total,
    secondsPerEpoch: Number(meanStd(runs.map((r) => r.secondsPerEpoch)).mean.toFixed(2)),
    seParams: runs[0].params.se,
    testErrorPercent: { mean: Number(err.mean.toFixed(3)), std: Number(err.std.toFixed(3)) },
    testErrorPerEpoch: runs.map((r) => r.epochs.map((e) => Number((1 - e.testAccuracy).toFixed(5)))),
    lossPerEpoch: runs.map((r) => r.epochs.map((e) => Number(e.loss.toFixed(5)))),
    evalSecondsPerEpoch: Number(meanStd(runs.flatMap((r) => r.epochs.map((e) => e.evalSeconds))).mean.toFixed(2)),
  };
}

function envNet() {
  const net = { ...DEFAULT_NET };
  if (process.env.MNIST_HIDDEN) net.reduction = process.env.MNIST_HIDDEN.split(',').map(Number) as unknown as [number, number, number];
  if (process.env.MNIST_BN) net.batchNorm = process.env.MNIST_BN === '1';
  if (process.env.MNIST_GATE_BIAS) net.gateBias = Number(process.env.MNIST_GATE_BIAS);
  if (process.env.MNIST_STAGES) {
    net.stages = process.env.MNIST_STAGES.split(',').map((t) => ({ width: parseInt(t, 10), stride: t.includes('s') ? 2 : 1, pool: t.includes('p') }));
  }
  return net;
}

function main(): void {
  const started = performance.now();
  const { mode, settings } = parseArgs(process.argv.slice(2));
  const all = loadDigits();
  const split = stratifiedSplit(all.labels, TEST_DIGITS, SPLIT_SEED);
  const raw = subset(all, split.train);
  const stats = pixelStats(raw);
  const train = standardize(raw, stats.mean, stats.std);
  const test = standardize(subset(all, split.test), stats.mean, stats.std);
  console.log(
    `MNIST (npm mnist 1.1.0): ${train.count} train / ${test.count} test digits; ${mode} mode: seeds ${settings.seeds.join(', ')}, ` +
      `${settings.epochs} epochs, batch ${settings.batch}, Adam lr ${settings.lr} (cosine), shift ${settings.shift}`,
  );
  const runs: Record<'plain' | 'se', RunResult[]> = { plain: [], se: [] };
  for (const seed of settings.seeds) {
    for (const se of settings.models.map((m) => m === 'se')) {
      const config: TrainConfig = { net: { ...envNet(), se, seed }, epochs: settings.epochs, batch: settings.batch, lr: settings.lr, shift: settings.shift, seed };
      runs[se ? 'se' : 'plain'].push(trainNet(train, test, config, (line) => console.log(line)));
    }
  }
  if (runs.plain.length === 0 || runs.se.length === 0) return;
  const plain = summary(runs.plain);
  const se = summary(runs.se);
  const seShare = se.seParams / se.params;
  const totalSeconds = (performance.now() - started) / 1000;
  const results = {
    mode,
    digits: { train: train.count, test: test.count },
    plain,
    se: { ...se, seShareOfParams: Number(seShare.toFixed(4)), extraParamsOverPlain: Number((se.params / plain.params - 1).toFixed(4)) },
    excitation: runs.se[0].excitation.map((b, k) => ({ block: k + 1, ...b })),
    settings: { ...settings, net: envNet(), splitSeed: SPLIT_SEED },
    machine: { date: new Date().toISOString(), cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
    totalSeconds: Number(totalSeconds.toFixed(1)),
  };
  const dir = join('build', 'mnist');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(dir, 'mnist.svg'), mnistSvg(runs.plain, runs.se));
  const pct = (s: { mean: number; std: number }) => `${s.mean.toFixed(2)} +- ${s.std.toFixed(2)}%`;
  console.log(`plain: test error ${pct(plain.testErrorPercent)}, ${plain.params} params, ${plain.secondsPerEpoch} s/epoch`);
  console.log(
    `SE:    test error ${pct(se.testErrorPercent)}, ${se.params} params (SE ${se.seParams}, ${(100 * seShare).toFixed(1)}% of them), ${se.secondsPerEpoch} s/epoch`,
  );
  for (const b of results.excitation) {
    console.log(`SE block ${b.block} (${b.channels} channels): excitation spread across classes ${b.betweenClassStd.toFixed(4)}, within a class ${b.withinClassStd.toFixed(4)}`);
  }
  console.log(`wrote ${join(dir, 'results.json')} and ${join(dir, 'mnist.svg')} in ${totalSeconds.toFixed(1)} s`);
}

main();
