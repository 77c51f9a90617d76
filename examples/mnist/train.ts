/**
 * Training and evaluation: mini-batches in a seeded order, the library's Adam with a cosine
 * learning-rate schedule, a progress line per epoch, test accuracy per epoch, and, for the SE
 * network, the excitation statistics on the test digits (the paper's "role of excitation").
 */
import { Adam } from '../../src/core.js';
import { CLASSES, PIXELS, type DigitSet } from './data.js';
import { MnistNet, type NetConfig } from './model.js';
import { SplitMix } from './random.js';

/** Settings of one training run. */
export interface TrainConfig {
  net: NetConfig;
  epochs: number;
  batch: number;
  /** Adam's peak learning rate; it follows a half cosine to 0 over the run. */
  lr: number;
  /** Largest random shift (pixels, each axis) applied to training digits; 0 for none. */
  shift: number;
  /** Seed of the batch order and the shifts (the weights use `net.seed`). */
  seed: number;
}

/** One epoch's numbers. */
export interface EpochLog {
  epoch: number;
  /** Mean training loss over the epoch's batches. */
  loss: number;
  /** Accuracy on the epoch's training batches as they were seen (the model changes during the epoch). */
  trainAccuracy: number;
  testAccuracy: number;
  /** Seconds spent training (forward, backward, optimizer) in this epoch. */
  seconds: number;
  /** Seconds spent on the test evaluation after it. */
  evalSeconds: number;
}

/** The mean excitation of every channel per digit class at one SE block, and how much it varies. */
export interface BlockExcitation {
  channels: number;
  /** `classMeans[k][c]`: mean gate of channel c over the test digits of class k. */
  classMeans: number[][];
  /** Mean gate of each channel over all test digits. */
  mean: number[];
  /** Between-class spread: the standard deviation over classes of `classMeans[k][c]`, averaged over channels. */
  betweenClassStd: number;
  /** Within-class spread: the standard deviation over the digits of one class, averaged over classes and channels. */
  withinClassStd: number;
}

/** The outcome of one run. */
export interface RunResult {
  config: TrainConfig;
  params: { total: number; se: number };
  epochs: EpochLog[];
  testAccuracy: number;
  /** Mean of the epochs' training seconds. */
  secondsPerEpoch: number;
  /** Per SE block, after the last epoch, on the test digits; empty for the plain network. */
  excitation: BlockExcitation[];
  /** The training loss of every batch in the order they were trained on (all epochs). */
  batchLoss: number[];
}

/** Index of the largest of `n` values from `offset`. */
function argmax(v: Float32Array, offset: number, n: number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (v[offset + k] > v[offset + best]) best = k;
  return best;
}

/**
 * Writes digit `src` of `set`, shifted by (dx, dy) pixels with blank pixels (`set.background`)
 * shifted in, to `out` at `offset`.
 */
export function shiftedDigit(out: Float32Array, offset: number, set: DigitSet, src: number, dx: number, dy: number): void {
  const from = src * PIXELS;
  const blank = set.background;
  for (let y = 0; y < 28; y++) {
    const sy = y - dy;
    const row = offset + y * 28;
    if (sy < 0 || sy >= 28) {
      out.fill(blank, row, row + 28);
      continue;
    }
    for (let x = 0; x < 28; x++) {
      const sx = x - dx;
      out[row + x] = sx >= 0 && sx < 28 ? set.images[from + sy * 28 + sx] : blank;
    }
  }
}

/**
 * Accuracy of `net` on `set`, evaluated off the tape in chunks; with `withExcitations`, also the
 * per-class excitation statistics of each SE block.
 */
export function evaluate(net: MnistNet, set: DigitSet, withExcitations: boolean, chunk = 500): { accuracy: number; excitation: BlockExcitation[] } {
  let right = 0;
  const blocks = withExcitations ? net.seBlocks.length : 0;
  const widths = net.seBlocks.map((b) => b.params.channels);
  // Per block: sums and sums of squares per (class, channel), and counts per class.
  const sums = widths.slice(0, blocks).map((C) => new Float64Array(CLASSES * C));
  const squares = widths.slice(0, blocks).map((C) => new Float64Array(CLASSES * C));
  const counts = new Float64Array(CLASSES);
  for (let start = 0; start < set.count; start += chunk) {
    const n = Math.min(chunk, set.count - start);
    const r = net.evaluate(set.images.subarray(start * PIXELS, (start + n) * PIXELS), n);
    for (let i = 0; i < n; i++) {
      const label = set.labels[start + i];
      if (argmax(r.logits, i * CLASSES, CLASSES) === label) right++;
      counts[label]++;
      for (let b = 0; b < blocks; b++) {
        const C = widths[b];
        const s = r.excitations[b];
        for (let c = 0; c < C; c++) {
          const v = s[i * C + c];
          sums[b][label * C + c] += v;
          squares[b][label * C + c] += v * v;
        }
      }
    }
  }
  const excitation: BlockExcitation[] = [];
  for (let b = 0; b < blocks; b++) {
    const C = widths[b];
    const classMeans: number[][] = [];
    let within = 0;
    for (let k = 0; k < CLASSES; k++) {
      const row: number[] = [];
      for (let c = 0; c < C; c++) {
        const m = sums[b][k * C + c] / counts[k];
        row.push(m);
        within += Math.sqrt(Math.max(0, squares[b][k * C + c] / counts[k] - m * m));
      }
      classMeans.push(row);
    }
    const mean: number[] = [];
    let between = 0;
    for (let c = 0; c < C; c++) {
      let m = 0;
      for (let k = 0; k < CLASSES; k++) m += classMeans[k][c];
      m /= CLASSES;
      let v = 0;
      for (let k = 0; k < CLASSES; k++) v += (classMeans[k][c] - m) ** 2;
      between += Math.sqrt(v / CLASSES);
      let all = 0;
      for (let k = 0; k < CLASSES; k++) all += sums[b][k * C + c];
      mean.push(all / set.count);
    }
    excitation.push({ channels: C, classMeans, mean, betweenClassStd: between / C, withinClassStd: within / (C * CLASSES) });
  }
  return { accuracy: right / set.count, excitation };
}

/**
 * Trains one network on `train`, evaluating on `test` after every epoch.
 * @param train the training digits
 * @param test the held-out digits
 * @param config the run's settings
 * @param log receives one progress line per epoch
 */
export function trainNet(train: DigitSet, test: DigitSet, config: TrainConfig, log: (line: string) => void = () => {}): RunResult {
  const net = new MnistNet(config.net);
  const params = net.parameterCount();
  const opt = new Adam(net.parameters(), { lr: config.lr });
  const { batch, epochs, shift } = config;
  const steps = Math.ceil(train.count / batch);
  const total = steps * epochs;
  const rng = new SplitMix(config.seed);
  const order = new Int32Array(train.count);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const images = new Float32Array(batch * PIXELS);
  const labels = new Uint8Array(batch);
  const name = config.net.se ? 'SE   ' : 'plain';
  const logs: EpochLog[] = [];
  let step = 0;
  let excitation: BlockExcitation[] = [];
  const batchLoss: number[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const t0 = performance.now();
    rng.shuffle(order);
    let lossSum = 0;
    let right = 0;
    for (let s = 0; s < steps; s++, step++) {
      const start = s * batch;
      const n = Math.min(batch, train.count - start);
      for (let i = 0; i < n; i++) {
        const src = order[start + i];
        if (shift > 0) shiftedDigit(images, i * PIXELS, train, src, rng.below(2 * shift + 1) - shift, rng.below(2 * shift + 1) - shift);
        else images.set(train.images.subarray(src * PIXELS, (src + 1) * PIXELS), i * PIXELS);
        labels[i] = train.labels[src];
      }
      const x = n === batch ? images : images.subarray(0, n * PIXELS);
      const y = n === batch ? labels : labels.subarray(0, n);
      const { tape, loss, logits } = net.tapeForward(x, y, n);
      tape.backward(loss);
      opt.lr = (config.lr * (1 + Math.cos((Math.PI * step) / total))) / 2;
      opt.step();
      opt.zeroGrad();
      lossSum += loss.data[0] * n;
      batchLoss.push(loss.data[0]);
      for (let i = 0; i < n; i++) if (argmax(logits.data, i * CLASSES, CLASSES) === y[i]) right++;
    }
    const seconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const last = epoch === epochs;
    const ev = evaluate(net, test, last && config.net.se);
    if (last) excitation = ev.excitation;
    const evalSeconds = (performance.now() - t1) / 1000;
    const entry: EpochLog = { epoch, loss: lossSum / train.count, trainAccuracy: right / train.count, testAccuracy: ev.accuracy, seconds, evalSeconds };
    logs.push(entry);
    log(
      `${name} seed ${config.net.seed} epoch ${String(epoch).padStart(2)}/${epochs}: loss ${entry.loss.toFixed(4)}, ` +
        `train acc ${(100 * entry.trainAccuracy).toFixed(2)}% (running), test acc ${(100 * entry.testAccuracy).toFixed(2)}%, ` +
        `${seconds.toFixed(1)} s (+${evalSeconds.toFixed(1)} s test)`,
    );
  }
  const secondsPerEpoch = logs.reduce((a, e) => a + e.seconds, 0) / logs.length;
  return { config, params, epochs: logs, testAccuracy: logs[logs.length - 1].testAccuracy, secondsPerEpoch, excitation, batchLoss };
}
