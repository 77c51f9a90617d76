/**
 * Batch normalisation over `[N, C, H, W]` (PyTorch's `nn.BatchNorm2d`: per channel, batch
 * statistics in training with running averages kept for evaluation, biased variance to normalise,
 * unbiased variance in the running average, momentum 0.1, eps 1e-5), with an optional fused ReLU,
 * as user code on the tape. SE networks put it after every convolution (the paper's SE-ResNets
 * do); here it lets a small network train in a couple of epochs.
 */
import { Parameter, SEShapeError, SETypeError, Tape, Variable } from '../../src/core.js';

/**
 * Training-mode forward: per channel c, `mean` and `invstd = 1 / sqrt(var + eps)` over the N * P
 * values, `xhat = (x - mean) * invstd`, `out = gamma * xhat + beta` (then `max(0, .)` with `relu`).
 * @param out receives `N * C * P` values
 * @param xhat receives the normalised input (saved for backward)
 * @param mean receives the C batch means
 * @param variance receives the C biased batch variances
 * @param x the input `[N, C, P]`
 * @param gamma scale `[C]`
 * @param beta shift `[C]`
 * @param N batch
 * @param C channels
 * @param P positions per channel
 * @param eps added to the variance
 * @param relu apply a ReLU
 * @returns out
 */
export function batchNormTrainForward(
  out: Float32Array,
  xhat: Float32Array,
  mean: Float64Array,
  variance: Float64Array,
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  N: number,
  C: number,
  P: number,
  eps: number,
  relu: boolean,
): Float32Array {
  const count = N * P;
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let n = 0; n < N; n++) {
      const e = (n * C + c + 1) * P;
      for (let i = e - P; i < e; i++) sum += x[i];
    }
    const m = sum / count;
    let sq = 0;
    for (let n = 0; n < N; n++) {
      const e = (n * C + c + 1) * P;
      for (let i = e - P; i < e; i++) {
        const d = x[i] - m;
        sq += d * d;
      }
    }
    const v = sq / count;
    mean[c] = m;
    variance[c] = v;
    normalizeChannel(out, xhat, x, c, m, 1 / Math.sqrt(v + eps), gamma[c], beta[c], N, C, P, relu);
  }
  return out;
}

/** `xhat = (x - m) * invstd` and `out = g * xhat + b` (ReLU'd) for channel c. */
function normalizeChannel(
  out: Float32Array,
  xhat: Float32Array | null,
  x: Float32Array,
  c: number,
  m: number,
  invstd: number,
  g: number,
  b: number,
  N: number,
  C: number,
  P: number,
  relu: boolean,
): void {
  for (let n = 0; n < N; n++) {
    const e = (n * C + c + 1) * P;
    for (let i = e - P; i < e; i++) {
      const h = (x[i] - m) * invstd;
      if (xhat !== null) xhat[i] = h;
      const y = g * h + b;
      // `y <= 0`, not `y > 0`, so NaN passes the ReLU.
      out[i] = relu && y <= 0 ? 0 : y;
    }
  }
}

/**
 * Evaluation-mode forward: `out = gamma * (x - runningMean) / sqrt(runningVar + eps) + beta` (ReLU'd).
 * With `xhat`, also writes the normalised input there.
 * @returns out
 */
export function batchNormEvalForward(
  out: Float32Array,
  xhat: Float32Array | null,
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  runningMean: Float32Array,
  runningVar: Float32Array,
  N: number,
  C: number,
  P: number,
  eps: number,
  relu: boolean,
): Float32Array {
  for (let c = 0; c < C; c++) normalizeChannel(out, xhat, x, c, runningMean[c], 1 / Math.sqrt(runningVar[c] + eps), gamma[c], beta[c], N, C, P, relu);
  return out;
}

/**
 * Backward. With `y` (the forward's output, for a fused ReLU) dy is first masked by `y > 0`. Then
 * `dbeta = sum dy`, `dgamma = sum dy * xhat`, and `dx = gamma * invstd * (dy - dbeta / NP - xhat * dgamma / NP)`
 * in training mode (the batch statistics depend on x) or `gamma * invstd * dy` in evaluation mode.
 * Any of dx, dgamma, dbeta may be null; the others are overwritten.
 */
export function batchNormBackward(
  dx: Float32Array | null,
  dgamma: Float32Array | null,
  dbeta: Float32Array | null,
  dy: Float32Array,
  y: Float32Array | null,
  xhat: Float32Array,
  gamma: Float32Array,
  invstd: Float64Array,
  N: number,
  C: number,
  P: number,
  training: boolean,
): void {
  const count = N * P;
  for (let c = 0; c < C; c++) {
    let sdy = 0;
    let sdyh = 0;
    for (let n = 0; n < N; n++) {
      const e = (n * C + c + 1) * P;
      for (let i = e - P; i < e; i++) {
        const d = y !== null && !(y[i] > 0) ? 0 : dy[i];
        sdy += d;
        sdyh += d * xhat[i];
      }
    }
    if (dbeta !== null) dbeta[c] = sdy;
    if (dgamma !== null) dgamma[c] = sdyh;
    if (dx === null) continue;
    const k = gamma[c] * invstd[c];
    const mdy = training ? sdy / count : 0;
    const mdyh = training ? sdyh / count : 0;
    for (let n = 0; n < N; n++) {
      const e = (n * C + c + 1) * P;
      for (let i = e - P; i < e; i++) {
        const d = y !== null && !(y[i] > 0) ? 0 : dy[i];
        dx[i] = k * (d - mdy - xhat[i] * mdyh);
      }
    }
  }
}

/** Options of {@link batchNorm2d}. */
export interface BatchNormOptions {
  /** Batch statistics (true) or the running averages (false). */
  training: boolean;
  /** Running mean `[C]`, updated in training mode (read in evaluation mode). */
  runningMean: Float32Array;
  /** Running variance `[C]`, updated in training mode (read in evaluation mode). */
  runningVar: Float32Array;
  /** Weight of the new batch statistic in the running averages (default 0.1). */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Apply a ReLU inside the op (default false). */
  relu?: boolean;
}

/**
 * Batch normalisation on the tape: `[N, C, H, W]` normalised per channel, scaled by gamma `[C]`
 * and shifted by beta `[C]`, optionally ReLU'd. One op. Saves: xhat, gamma, and the output with `relu`.
 * @param x the input
 * @param gamma the scale
 * @param beta the shift
 * @param options mode, running statistics, momentum, eps, relu
 */
export function batchNorm2d(x: Variable, gamma: Variable, beta: Variable, options: BatchNormOptions): Variable {
  const fn = 'batchNorm2d';
  if (!(x instanceof Variable) || !(gamma instanceof Variable) || !(beta instanceof Variable)) {
    throw new SETypeError(`${fn}: x, gamma and beta must be Variables`);
  }
  const { training, runningMean, runningVar, momentum = 0.1, eps = 1e-5, relu = false } = options;
  if (x.shape.length !== 4) throw new SEShapeError(`${fn}: x must have shape [N, C, H, W] but has shape [${x.shape.join(', ')}]`);
  const [N, C, H, W] = x.shape;
  const P = H * W;
  for (const [name, v] of [
    ['gamma', gamma.size],
    ['beta', beta.size],
    ['options.runningMean', runningMean.length],
    ['options.runningVar', runningVar.length],
  ] as const) {
    if (v !== C) throw new SEShapeError(`${fn}: ${name} has ${v} values but x has ${C} channels`);
  }
  const out = new Float32Array(x.size);
  const xhat = new Float32Array(x.size);
  const invstd = new Float64Array(C);
  if (training) {
    const mean = new Float64Array(C);
    const variance = new Float64Array(C);
    batchNormTrainForward(out, xhat, mean, variance, x.data, gamma.data, beta.data, N, C, P, eps, relu);
    const count = N * P;
    const unbiased = count > 1 ? count / (count - 1) : 1;
    for (let c = 0; c < C; c++) {
      invstd[c] = 1 / Math.sqrt(variance[c] + eps);
      runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mean[c];
      runningVar[c] = (1 - momentum) * runningVar[c] + momentum * variance[c] * unbiased;
    }
  } else {
    batchNormEvalForward(out, xhat, x.data, gamma.data, beta.data, runningMean, runningVar, N, C, P, eps, relu);
    for (let c = 0; c < C; c++) invstd[c] = 1 / Math.sqrt(runningVar[c] + eps);
  }
  const saved = relu ? [xhat, gamma.data, out] : [xhat, gamma.data];
  return x.tape.record(relu ? 'batchNorm2dRelu' : fn, [x, gamma, beta], out, x.shape, saved, (dy, [xh, g, y], needs) => {
    const dx = needs[0] ? new Float32Array(x.size) : null;
    const dgamma = needs[1] ? new Float32Array(C) : null;
    const dbeta = needs[2] ? new Float32Array(C) : null;
    batchNormBackward(dx, dgamma, dbeta, dy, y ?? null, xh, g, invstd, N, C, P, training);
    return [dx, dgamma, dbeta];
  });
}

/** A BatchNorm2d layer with a fused ReLU: gamma (ones) and beta (zeros) as Parameters, and running statistics. */
export class BatchNormRelu {
  readonly gamma: Parameter;
  readonly beta: Parameter;
  readonly runningMean: Float32Array;
  readonly runningVar: Float32Array;

  /** @param channels C @param name prefix of the parameters' names */
  constructor(channels: number, name: string) {
    this.gamma = new Parameter({ data: new Float32Array(channels).fill(1), shape: [channels] }, { name: `${name}.weight` });
    this.beta = new Parameter({ data: new Float32Array(channels), shape: [channels] }, { name: `${name}.bias` });
    this.runningMean = new Float32Array(channels);
    this.runningVar = new Float32Array(channels).fill(1);
  }

  /** On x's tape; `training` uses (and updates) batch statistics. */
  tapeForward(x: Variable, training: boolean): Variable {
    const tape: Tape = x.tape;
    return batchNorm2d(x, tape.parameter(this.gamma), tape.parameter(this.beta), {
      training,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      relu: true,
    });
  }

  /** Off the tape, evaluation mode: a fresh output array. */
  forward(x: Float32Array, shape: readonly number[]): Float32Array {
    const [N, C, H, W] = shape;
    return batchNormEvalForward(new Float32Array(x.length), null, x, this.gamma.data, this.beta.data, this.runningMean, this.runningVar, N, C, H * W, 1e-5, true);
  }
}
