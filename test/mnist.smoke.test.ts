/**
 * The MNIST example end to end on a few hundred real digits (a CI smoke test, not the full run):
 * the split, a few training steps of the plain and the SE network (the loss falls), the excitation
 * statistics, results.json's shape, the SE parameter budget, and the picture.
 */
import { CLASSES, loadDigits, stratifiedSplit, subset, type DigitSet } from '../examples/mnist/data.js';
import { DEFAULT_NET, MnistNet } from '../examples/mnist/model.js';
import { buildResults, prepareDigits, SPLIT_SEED, TEST_DIGITS } from '../examples/mnist/run.js';
import { runsFromResults } from '../examples/mnist/redraw.js';
import { mnistSvg } from '../examples/mnist/svg.js';
import { shiftedDigit, trainNet } from '../examples/mnist/train.js';

const all = loadDigits();

/** Every `step`-th digit of a set (the sets are in class order, so this keeps every class). */
function everyNth(set: DigitSet, step: number): DigitSet {
  return subset(set, Int32Array.from({ length: Math.floor(set.count / step) }, (_, i) => i * step));
}

test('the split: 10,000 digits, 2,000 held out, stratified by class, disjoint, reproducible', () => {
  expect(all.count).toBe(10000);
  const { train, test } = stratifiedSplit(all.labels, TEST_DIGITS, SPLIT_SEED);
  expect(test.length).toBe(2000);
  expect(train.length).toBe(8000);
  const seen = new Uint8Array(all.count);
  for (const i of [...train, ...test]) seen[i]++;
  expect(seen.every((v) => v === 1)).toBe(true);
  for (let d = 0; d < CLASSES; d++) {
    const inClass = all.labels.filter((l) => l === d).length;
    const held = Array.from(test).filter((i) => all.labels[i] === d).length;
    expect(Math.abs(held - inClass * 0.2)).toBeLessThan(1);
  }
  expect(Array.from(stratifiedSplit(all.labels, TEST_DIGITS, SPLIT_SEED).test)).toEqual(Array.from(test));
  expect(Array.from(stratifiedSplit(all.labels, TEST_DIGITS, SPLIT_SEED + 1).test)).not.toEqual(Array.from(test));
});

test('shifted training digits: pixels move by (dx, dy), blank (background) pixels come in', () => {
  const images = Float32Array.from({ length: 2 * 784 }, (_, i) => i % 784);
  const set: DigitSet = { images, labels: new Uint8Array(2), count: 2, background: -0.5 };
  const out = new Float32Array(784 + 3).fill(7);
  shiftedDigit(out, 3, set, 1, 2, -1);
  expect(Array.from(out.subarray(0, 3))).toEqual([7, 7, 7]);
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++) {
      const sx = x - 2;
      const sy = y + 1;
      const expected = sx >= 0 && sy < 28 ? sy * 28 + sx : -0.5;
      expect(out[3 + y * 28 + x]).toBe(expected);
    }
});

test('a few steps on a few hundred digits: the loss falls, excitations per class and block are computed, results.json has the issue shape', () => {
  const { train, test } = prepareDigits(all);
  const smallTrain = everyNth(train, 50); // 160 digits
  const smallTest = everyNth(test, 20); // 100 digits
  const settings = { seeds: [1], epochs: 2, batch: 16, lr: 0.01, shift: 1 };
  const run = (se: boolean, epochs: number) =>
    trainNet(smallTrain, smallTest, { net: { ...DEFAULT_NET, se, seed: 1 }, epochs, batch: settings.batch, lr: settings.lr, shift: settings.shift, seed: 1 });
  const se = run(true, 2);
  const plain = run(false, 2);
  for (const r of [se, plain]) {
    expect(r.epochs).toHaveLength(2);
    expect(r.epochs[1].loss).toBeLessThan(r.epochs[0].loss);
    expect(r.epochs[0].loss).toBeLessThan(Math.log(10) + 0.5);
  }

  // One statistics entry per SE block, with every class mean a gate value.
  expect(plain.excitation).toHaveLength(0);
  expect(se.excitation.map((b) => b.channels)).toEqual(DEFAULT_NET.stages.map((s) => s.width));
  for (const b of se.excitation) {
    expect(b.classMeans).toHaveLength(CLASSES);
    for (const row of b.classMeans) {
      expect(row).toHaveLength(b.channels);
      for (const v of row) expect(v > 0 && v < 1).toBe(true);
    }
    expect(b.mean).toHaveLength(b.channels);
    expect(Number.isFinite(b.betweenClassStd) && b.betweenClassStd > 0).toBe(true);
    expect(Number.isFinite(b.withinClassStd) && b.withinClassStd > 0).toBe(true);
  }

  const results = buildResults('quick', { train: smallTrain.count, test: smallTest.count }, { plain: [plain], se: [se] }, settings, DEFAULT_NET, 1);
  expect(results.mode).toBe('quick');
  expect(results.digits).toEqual({ train: 160, test: 100 });
  for (const entry of [results.plain, results.se]) {
    expect(entry.testAccuracy).toHaveLength(1);
    expect(entry.testAccuracy[0] >= 0 && entry.testAccuracy[0] <= 1).toBe(true);
    expect(Number.isInteger(entry.params)).toBe(true);
    expect(entry.secondsPerEpoch).toBeGreaterThan(0);
  }
  expect(JSON.parse(JSON.stringify(results)).excitation).toHaveLength(4);

  const svg = mnistSvg([plain], [se]);
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  // Two heatmaps per block, a cell per class and channel.
  const cells = 2 * CLASSES * DEFAULT_NET.stages.reduce((a, s) => a + s.width, 0);
  expect(svg.match(/<rect x="[\d.]+" y="[\d.]+" width="\d+" height="12" fill="rgb/g)).toHaveLength(cells);
  expect(svg.match(/<path d="M[\d.]+,[\d.]+( L[\d.]+,[\d.]+)+"/g)).toHaveLength(2);
  expect(svg).toContain('>test error (%, log scale)</text>');
  expect(svg).toContain('>epoch</text>');
  expect(svg).toContain('final test error');

  // One epoch (npm run example:mnist -- --quick): the training loss of every batch instead of a
  // test-error curve of one point: per network a thin per-batch line and a thick running mean.
  const oneEpoch = (r: typeof se) => ({ ...r, epochs: r.epochs.slice(0, 1), batchLoss: r.batchLoss.slice(0, r.batchLoss.length / 2) });
  expect(se.batchLoss).toHaveLength(2 * Math.ceil(smallTrain.count / settings.batch));
  expect(se.batchLoss.every((v) => v > 0 && Number.isFinite(v))).toBe(true);
  const quick = mnistSvg([oneEpoch(plain)], [oneEpoch(se)]);
  expect(quick).toContain('>training loss (cross-entropy, log scale)</text>');
  expect(quick).toContain('>training batch (16 digits each)</text>');
  expect(quick.match(/<path d="M[\d.]+,[\d.]+( L[\d.]+,[\d.]+)+"[^>]*stroke-width="0.8"/g)).toHaveLength(2);
  expect(quick.match(/<path d="M[\d.]+,[\d.]+( L[\d.]+,[\d.]+)+"[^>]*stroke-width="2.5"/g)).toHaveLength(2);
  expect(quick).not.toContain('+-'); // one seed: no spread

  // The picture redrawn from results.json alone (how docs/mnist/mnist.svg follows drawing changes).
  const back = runsFromResults(JSON.parse(JSON.stringify(results)));
  expect(back.se[0].excitation).toEqual(results.excitation);
  for (const [a, b] of [[back.plain[0], plain], [back.se[0], se]] as const) {
    expect(a.epochs.map((e) => e.testAccuracy).map((v, e) => Math.abs(v - b.epochs[e].testAccuracy) < 1e-5)).toEqual([true, true]);
    expect(a.testAccuracy).toBe(b.testAccuracy);
    expect(a.params).toEqual(b.params);
  }
  const redrawn = mnistSvg(back.plain, back.se);
  expect(redrawn).toContain('>test error (%, log scale)</text>');
  expect(redrawn.match(/<rect x="[\d.]+" y="[\d.]+" width="\d+" height="12" fill="rgb/g)).toHaveLength(cells);
});

test('SE adds at most 5% parameters to the example network, and nothing else changes', () => {
  const plain = new MnistNet({ ...DEFAULT_NET, se: false, seed: 1 }).parameterCount();
  const se = new MnistNet({ ...DEFAULT_NET, se: true, seed: 1 }).parameterCount();
  expect(plain.se).toBe(0);
  expect(se.total - plain.total).toBe(se.se);
  expect(se.se / plain.total).toBeLessThanOrEqual(0.05);
});
