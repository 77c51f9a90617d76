/**
 * `npm run example:mnist [-- --quick]`: trains the plain and the SE network on real MNIST digits
 * (8,000 train / 2,000 test, a fixed stratified split), prints a line per epoch, and writes
 * `build/mnist/results.json` and `build/mnist/mnist.svg`.
 *
 * Modes: full (default: 3 seeds per network) and `--quick` (one seed each, one epoch). For
 * experiments, settings can be overridden: `--seeds 1,2 --epochs 4 --lr 0.01 --batch 16 --shift 2`,
 * and the stages' widths too: `--stages 8p,16p,32p,64` (a width per stage, `p`: 2x2 max pooling
 * after it, `s`: stride 2).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_NET, type NetConfig, type StageConfig } from './model.js';
import { buildResults, prepareDigits, runBoth, type ModeSettings } from './run.js';
import { mnistSvg } from './svg.js';

/** The two modes' settings. */
export const MODES: Record<'quick' | 'full', ModeSettings> = {
  quick: { seeds: [1], epochs: 1, batch: 16, lr: 0.01, shift: 0 },
  full: { seeds: [1, 2, 3], epochs: 6, batch: 16, lr: 0.01, shift: 2 },
};

const NUMBER_OPTIONS = { '--epochs': 'epochs', '--batch': 'batch', '--lr': 'lr', '--shift': 'shift' } as const;

function parseStages(value: string): StageConfig[] {
  return value.split(',').map((t) => {
    const width = parseInt(t, 10);
    if (!(width > 0) || !/^\d+[ps]*$/.test(t)) throw new Error(`example:mnist: --stages takes widths like 8p,16p,32p,64 but got ${t}`);
    return { width, stride: t.includes('s') ? 2 : 1, pool: t.includes('p') };
  });
}

function parseArgs(argv: string[]): { mode: 'quick' | 'full'; settings: ModeSettings; net: Omit<NetConfig, 'se' | 'seed'> } {
  const mode = argv.includes('--quick') ? 'quick' : 'full';
  const settings = { ...MODES[mode] };
  const net = { ...DEFAULT_NET };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    if (key === '--quick') continue;
    const value = argv[++i];
    const numeric = key in NUMBER_OPTIONS ? NUMBER_OPTIONS[key as keyof typeof NUMBER_OPTIONS] : null;
    if (key === '--seeds' && value !== undefined) settings.seeds = value.split(',').map(Number);
    else if (key === '--stages' && value !== undefined) net.stages = parseStages(value);
    else if (numeric !== null && value !== undefined) settings[numeric] = Number(value);
    else throw new Error(`example:mnist: unknown argument or missing value: ${key} (known: --quick, --seeds 1,2,3, --epochs N, --batch N, --lr X, --shift N, --stages 8p,16p,32p,64)`);
  }
  if (!settings.seeds.every(Number.isSafeInteger) || !(settings.epochs >= 1) || !(settings.batch >= 1) || !(settings.lr > 0) || !(settings.shift >= 0)) {
    throw new Error(`example:mnist: bad settings ${JSON.stringify(settings)}`);
  }
  return { mode, settings, net };
}

function main(): void {
  const started = performance.now();
  const { mode, settings, net } = parseArgs(process.argv.slice(2));
  const { train, test } = prepareDigits();
  console.log(
    `MNIST (npm mnist 1.1.0): ${train.count} train / ${test.count} test digits; ${mode} mode: seeds ${settings.seeds.join(', ')}, ` +
      `${settings.epochs} epoch${settings.epochs === 1 ? '' : 's'}, batch ${settings.batch}, Adam lr ${settings.lr} (cosine), shifts up to ${settings.shift} px`,
  );
  const runs = runBoth(train, test, net, settings, (line) => console.log(line));
  const results = buildResults(mode, { train: train.count, test: test.count }, runs, settings, net, (performance.now() - started) / 1000);
  const dir = join('build', 'mnist');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(dir, 'mnist.svg'), mnistSvg(runs.plain, runs.se));
  // One seed has no spread to report; more print the sample standard deviation over the seeds.
  const pct = (s: { mean: number; std: number }) => `${s.mean.toFixed(2)}${settings.seeds.length > 1 ? ` +- ${s.std.toFixed(2)}` : ''}%`;
  const { plain, se } = results;
  console.log(`plain: test error ${pct(plain.testErrorPercent)}, ${plain.params} params, ${plain.secondsPerEpoch} s/epoch`);
  console.log(
    `SE:    test error ${pct(se.testErrorPercent)}, ${se.params} params (SE blocks ${se.seParams}, ${(100 * se.seShareOfParams).toFixed(1)}% of them, ` +
      `+${(100 * se.extraParamsOverPlain).toFixed(1)}% over plain), ${se.secondsPerEpoch} s/epoch`,
  );
  for (const b of results.excitation) {
    console.log(
      `SE block ${b.block} (${b.channels} channels): excitation spread across classes ${b.betweenClassStd.toFixed(3)}, ` +
        `within a class ${b.withinClassStd.toFixed(3)} (ratio ${b.classSpecificity.toFixed(2)})`,
    );
  }
  console.log(`wrote ${join(dir, 'results.json')} and ${join(dir, 'mnist.svg')} in ${results.totalSeconds} s`);
}

main();
