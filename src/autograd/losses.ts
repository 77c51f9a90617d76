/**
 * Losses on the tape. {@link softmaxCrossEntropy}: the classification loss a network ending in SE
 * blocks and a linear layer is trained with (PyTorch's `F.cross_entropy` on class indices).
 */
import { SEOptionError, SEShapeError, SETypeError, describeValue } from '../errors.js';
import { formatShape } from '../tensor.js';
import { Variable } from './tape.js';

/** Options of {@link softmaxCrossEntropy}. */
export interface SoftmaxCrossEntropyOptions {
  /** `'mean'` over the batch (default, PyTorch's default) or `'sum'`. */
  reduction?: 'mean' | 'sum';
}

/** Reads `labels` once (its length, then each entry once) into an Int32Array, checking each is a class index below `classes`. */
function readLabels(fn: string, labels: unknown, rows: number, classes: number): Int32Array {
  const isList = Array.isArray(labels) || (ArrayBuffer.isView(labels) && !(labels instanceof DataView));
  if (!isList) {
    throw new SETypeError(`${fn}: labels must be an array or typed array of class indices but got ${describeValue(labels)}`);
  }
  const source = labels as ArrayLike<unknown>;
  const n: unknown = source.length;
  if (n !== rows) {
    throw new SEShapeError(`${fn}: labels has length ${describeValue(n)} but logits has ${rows} rows (one label per row)`);
  }
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const v: unknown = source[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= classes) {
      throw new SEShapeError(`${fn}: labels[${i}] must be a class index, an integer in [0, ${classes - 1}], but is ${describeValue(v)}`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * Softmax cross-entropy of `logits` `[B, K]` against class indices, as PyTorch's
 * `F.cross_entropy(logits, labels)`: `loss_i = logsumexp(logits[i, :]) - logits[i, labels[i]]`,
 * averaged over the B rows (or summed with `reduction: 'sum'`); a scalar (shape `[]`).
 * Computed stably in float64 (the row maximum is subtracted before exponentiating, so large
 * logits do not overflow). The gradient is `(softmax(logits) - onehot(labels)) / B` (without the
 * 1/B for `'sum'`). NaN in a row makes that row's loss NaN (and so the result).
 * Saves: the softmax probabilities `[B, K]` (float32) and a copy of the labels (Int32Array).
 * @param logits a Variable `[B, K]`, the unnormalised class scores
 * @param labels B class indices, each an integer in `[0, K)` (any array or typed array; read once, copied)
 * @param options `reduction`
 * @returns the loss, a scalar Variable
 */
export function softmaxCrossEntropy(logits: Variable, labels: ArrayLike<number>, options?: SoftmaxCrossEntropyOptions): Variable {
  const fn = 'softmaxCrossEntropy';
  if (!(logits instanceof Variable)) throw new SETypeError(`${fn}: logits must be a Variable but got ${describeValue(logits)}`);
  const shape = logits.shape;
  if (shape.length !== 2) throw new SEShapeError(`${fn}: logits must have shape [batch, classes] but has shape ${formatShape(shape)}`);
  const [B, K] = shape;
  let reduction: unknown = 'mean';
  if (options !== undefined) {
    if (options === null || typeof options !== 'object') throw new SETypeError(`${fn}: options must be an object like { reduction: 'mean' } but got ${describeValue(options)}`);
    const r: unknown = options.reduction;
    if (r !== undefined) reduction = r;
  }
  if (reduction !== 'mean' && reduction !== 'sum') {
    throw new SEOptionError(`${fn}: options.reduction must be 'mean' or 'sum' but is ${describeValue(reduction)}`);
  }
  const lab = readLabels(fn, labels, B, K);
  const x = logits.data;
  const probs = new Float32Array(B * K);
  let total = 0;
  for (let i = 0; i < B; i++) {
    const row = i * K;
    let m = x[row];
    for (let k = 1; k < K; k++) m = Math.max(m, x[row + k]);
    let z = 0;
    for (let k = 0; k < K; k++) z += Math.exp(x[row + k] - m);
    for (let k = 0; k < K; k++) probs[row + k] = Math.exp(x[row + k] - m) / z;
    total += m + Math.log(z) - x[row + lab[i]];
  }
  const scale = reduction === 'mean' ? 1 / B : 1;
  const out = new Float32Array([total * scale]);
  const saved = [probs, lab] as const;
  return logits.tape.record(fn, [logits], out, [], saved, (dy, [p, y]) => {
    const g = dy[0] * scale;
    const dx = new Float32Array(B * K);
    for (let i = 0; i < B; i++) {
      const row = i * K;
      const target = y[i];
      for (let k = 0; k < K; k++) dx[row + k] = (k === target ? p[row + k] - 1 : p[row + k]) * g;
    }
    return [dx];
  });
}
