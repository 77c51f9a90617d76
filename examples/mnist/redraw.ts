/**
 * Redraws the example's picture from a results.json (`buildResults`' shape) without training:
 * `npm run build:scripts && node build/js/examples/mnist/redraw.js docs/mnist/results.json docs/mnist/mnist.svg`.
 * It rebuilds from the file what the picture uses (per seed: the test error per epoch, the final
 * accuracy, the parameter counts; the excitation statistics of the first SE seed), so a change to
 * the picture's drawing can be applied to the committed full run without repeating it. A file has
 * no per-batch losses, so a one-epoch results.json redraws with an empty loss panel.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { NetConfig } from './model.js';
import type { buildResults } from './run.js';
import { mnistSvg } from './svg.js';
import type { RunResult } from './train.js';

/** What `buildResults` returns, as read back from its JSON. */
export type Results = ReturnType<typeof buildResults>;

/**
 * The runs of both networks as far as results.json records them (enough for {@link mnistSvg}).
 * @param results a parsed results.json
 */
export function runsFromResults(results: Results): { plain: RunResult[]; se: RunResult[] } {
  const { settings } = results;
  const runs = (entry: Results['plain'], se: boolean): RunResult[] =>
    settings.seeds.map((seed, k) => {
      const net: NetConfig = { ...settings.net, se, seed };
      const errors = entry.testErrorPerEpoch[k];
      return {
        config: { net, epochs: settings.epochs, batch: settings.batch, lr: settings.lr, shift: settings.shift, seed },
        params: { total: entry.params, se: entry.seParams },
        epochs: errors.map((err, e) => ({
          epoch: e + 1,
          loss: entry.trainLossPerEpoch[k][e],
          trainAccuracy: Number.NaN, // not recorded in results.json
          testAccuracy: 1 - err,
          seconds: entry.secondsPerEpoch,
          evalSeconds: entry.evalSecondsPerEpoch,
        })),
        testAccuracy: entry.testAccuracy[k],
        secondsPerEpoch: entry.secondsPerEpoch,
        excitation: se && seed === results.excitationSeed ? results.excitation : [],
        batchLoss: [],
      };
    });
  const se = runs(results.se, true);
  // mnistSvg draws the excitation maps of the first SE run: put the recorded seed's first.
  se.sort((a, b) => Number(b.excitation.length > 0) - Number(a.excitation.length > 0));
  return { plain: runs(results.plain, false), se };
}

function main(): void {
  const [from, to] = process.argv.slice(2);
  if (from === undefined || to === undefined) throw new Error('redraw: usage: node build/js/examples/mnist/redraw.js <results.json> <out.svg>');
  const { plain, se } = runsFromResults(JSON.parse(readFileSync(from, 'utf8')) as Results);
  writeFileSync(to, mnistSvg(plain, se));
  console.log(`redrew ${to} from ${from}`);
}

// Only as a script: the smoke test imports runsFromResults.
if (process.argv[1]?.endsWith('redraw.js')) main();
