/**
 * SE weight naming conventions: how PyTorch (SEAttention, timm, torchvision), timm's EfficientNet and
 * Keras name and lay out one SE block's tensors; the state dicts they live in; and the small
 * lookups that loading (./weights.ts) and detection (./detect.ts) share.
 */
import { hasOwn } from '../arguments.js';
import { SEOptionError, SETypeError, describeValue } from '../errors.js';
import type { FloatTensor } from '../tensor.js';
import { setOwn } from './safetensors/header.js';
import type { SafetensorsEntry, SafetensorsWriteTensor } from './safetensors/index.js';

/**
 * A state dict: tensors by name, as an object or a `Map`: FloatTensors of your own, anything
 * {@link readSafetensors} returns or {@link writeSafetensors} takes (integer entries such as
 * BatchNorm's `num_batches_tracked` are fine where they are not SE weights; SE weights are float32).
 */
export type StateDict =
  | Readonly<Record<string, FloatTensor | SafetensorsEntry | SafetensorsWriteTensor>>
  | ReadonlyMap<string, FloatTensor | SafetensorsEntry | SafetensorsWriteTensor>;

/** A state dict's entries as an object (a `Map` is copied into one, each name an own property), read once. */
export type StateRecord = Readonly<Record<string, FloatTensor | SafetensorsEntry | SafetensorsWriteTensor>>;

/**
 * `tensors` as an object of tensors by name: an object as it is, a `Map` copied into a fresh object
 * (so a Map is never taken for an empty object); anything else, or a Map with a key that is not a
 * string, is an SETypeError naming `fn`. @internal
 */
export function stateDictRecord(fn: string, tensors: unknown): StateRecord {
  if (tensors instanceof Map) {
    const out: Record<string, FloatTensor | SafetensorsEntry | SafetensorsWriteTensor> = {};
    for (const [key, value] of tensors as Map<unknown, FloatTensor | SafetensorsEntry | SafetensorsWriteTensor>) {
      if (typeof key !== 'string') throw new SETypeError(`${fn}: tensors is a Map whose keys must be tensor names (strings) but one is ${describeValue(key)}`);
      setOwn(out, key, value);
    }
    return out;
  }
  if (tensors === null || typeof tensors !== 'object' || Array.isArray(tensors) || ArrayBuffer.isView(tensors) || tensors instanceof Set) {
    throw new SETypeError(`${fn}: tensors must be an object (or a Map) of tensors by name but got ${describeValue(tensors)}`);
  }
  return tensors as StateRecord;
}

/**
 * Where a set of SE weights comes from, which fixes their names and layout:
 *
 * - `'seattention'`: the seed-style PyTorch `SEAttention` (`nn.Sequential(Linear, ReLU, Linear,
 *   Sigmoid)` named `fc`): `fc.0.weight [R, C]`, `fc.2.weight [C, R]`, no bias. Loading also
 *   accepts 1x1-conv shapes and optional `fc.0.bias [R]` / `fc.2.bias [C]`; saving never writes biases.
 * - `'timm'`: timm's `SEModule` (ResNet/SENet family): 1x1 convs `fc1.weight [R, C, 1, 1]`,
 *   `fc1.bias [R]`, `fc2.weight [C, R, 1, 1]`, `fc2.bias [C]`. 2-D `[R, C]` weights are accepted too.
 *   Its optional BatchNorm (`use_norm=True`, keys `bn.*`) is not representable and is an error.
 * - `'torchvision'`: `torchvision.ops.SqueezeExcitation`: the same names and shapes as `'timm'`
 *   (auto-detection and {@link listSEBlocks} report such weights as `'timm'`; the loaded params
 *   are identical).
 * - `'timm-efficientnet'`: timm's EfficientNet/MobileNetV3 `SqueezeExcite`: `conv_reduce.weight
 *   [R, C, 1, 1]`, `conv_reduce.bias [R]`, `conv_expand.weight [C, R, 1, 1]`, `conv_expand.bias [C]`
 *   (2-D weights accepted).
 * - `'keras'`: Keras applications (EfficientNet & co.): Conv2D layers `se_reduce` and `se_expand`
 *   with `se_reduce/kernel [1, 1, C, R]` (or `[C, R]`), `se_reduce/bias [R]`, `se_expand/kernel
 *   [1, 1, R, C]` (or `[R, C]`), `se_expand/bias [C]`; kernels are `(in, out)`, the transpose of
 *   PyTorch's. Names with TF's `:0` suffix (`se_reduce/kernel:0`) are accepted when loading.
 *
 * Biases are optional when loading in every convention: a missing bias loads as null.
 */
export type SEWeightConvention = 'seattention' | 'timm' | 'torchvision' | 'timm-efficientnet' | 'keras';

/** Every {@link SEWeightConvention}, in the order auto-detection tries them. */
export const SE_WEIGHT_CONVENTIONS: readonly SEWeightConvention[] = ['seattention', 'timm', 'torchvision', 'timm-efficientnet', 'keras'];

/** The four tensor names of one convention. */
export interface SEWeightKeys {
  /** The reducing layer's weight (`w1`). */
  w1: string;
  /** The reducing layer's bias (`b1`). */
  b1: string;
  /** The expanding layer's weight (`w2`). */
  w2: string;
  /** The expanding layer's bias (`b2`). */
  b2: string;
}

export const KEYS: Readonly<Record<SEWeightConvention, SEWeightKeys>> = {
  seattention: { w1: 'fc.0.weight', b1: 'fc.0.bias', w2: 'fc.2.weight', b2: 'fc.2.bias' },
  timm: { w1: 'fc1.weight', b1: 'fc1.bias', w2: 'fc2.weight', b2: 'fc2.bias' },
  torchvision: { w1: 'fc1.weight', b1: 'fc1.bias', w2: 'fc2.weight', b2: 'fc2.bias' },
  'timm-efficientnet': { w1: 'conv_reduce.weight', b1: 'conv_reduce.bias', w2: 'conv_expand.weight', b2: 'conv_expand.bias' },
  keras: { w1: 'se_reduce/kernel', b1: 'se_reduce/bias', w2: 'se_expand/kernel', b2: 'se_expand/bias' },
};

/** Conventions with distinct key sets, for detection (`torchvision` shares `timm`'s). */
export const DETECTED: readonly SEWeightConvention[] = ['seattention', 'timm', 'timm-efficientnet', 'keras'];

/**
 * The four key names of `convention`, with `prefix` prepended (e.g. `seWeightKeys('timm', 'layer1.0.se.')`
 * gives `layer1.0.se.fc1.weight`, ...). Keras keys are given without the `:0` suffix.
 * @param convention the naming convention
 * @param prefix prepended verbatim to every name (default `''`)
 */
export function seWeightKeys(convention: SEWeightConvention, prefix = ''): SEWeightKeys {
  const fn = 'seWeightKeys';
  checkConvention(fn, 'convention', convention);
  checkPrefix(fn, prefix);
  const k = KEYS[convention];
  return { w1: prefix + k.w1, b1: prefix + k.b1, w2: prefix + k.w2, b2: prefix + k.b2 };
}

/** Throws SEOptionError unless `v` (the argument `name`) is an {@link SEWeightConvention}. */
export function checkConvention(fn: string, name: string, v: unknown): asserts v is SEWeightConvention {
  if (typeof v !== 'string' || !(SE_WEIGHT_CONVENTIONS as readonly string[]).includes(v)) {
    throw new SEOptionError(
      `${fn}: ${name} must be one of ${SE_WEIGHT_CONVENTIONS.map((c) => `'${c}'`).join(', ')} but is ${describeValue(v)}`,
    );
  }
}

/** Throws SEOptionError unless the prefix `v` is a string. */
export function checkPrefix(fn: string, v: unknown): asserts v is string {
  if (typeof v !== 'string') throw new SEOptionError(`${fn}: prefix must be a string but is ${describeValue(v)}`);
}

/** `tensors["key"]` for messages. */
export function tensorKey(key: string): string {
  return `tensors[${JSON.stringify(key)}]`;
}

/** The key present in `tensors` for `name` (Keras also tries `name:0`), or null. */
export function findKey(tensors: object, prefix: string, name: string, keras: boolean): string | null {
  const key = prefix + name;
  if (hasOwn(tensors, key)) return key;
  if (keras && hasOwn(tensors, `${key}:0`)) return `${key}:0`;
  return null;
}

/** The keys a convention looks for (weights and biases), for error messages; `[:0]` marks an optional suffix. */
export function describeKeys(convention: SEWeightConvention, prefix: string): string {
  const k = KEYS[convention];
  const suffix = convention === 'keras' ? '[:0]' : '';
  return [k.w1, k.b1, k.w2, k.b2].map((n) => `'${prefix}${n}${suffix}'`).join(', ');
}

/** Whether a timm `SEModule` with a BatchNorm (`use_norm=True`, which SEParams cannot represent) sits under `prefix`. */
export function hasBatchNorm(tensors: object, prefix: string): boolean {
  return hasOwn(tensors, `${prefix}bn.weight`) || hasOwn(tensors, `${prefix}bn.running_mean`);
}

/** A matrix weight's (rows, cols) in the convention's own order, or null when the shape is not one it accepts. */
export function matrixDims(shape: readonly number[], keras: boolean): [number, number] | null {
  if (shape.length === 2) return [shape[0], shape[1]];
  if (shape.length !== 4) return null;
  if (keras) return shape[0] === 1 && shape[1] === 1 ? [shape[2], shape[3]] : null;
  return shape[2] === 1 && shape[3] === 1 ? [shape[0], shape[1]] : null;
}

/** The shapes a matrix weight may have, for messages. */
export function matrixShapes(rows: number | string, cols: number | string, keras: boolean): string {
  return keras ? `[1, 1, ${rows}, ${cols}] or [${rows}, ${cols}]` : `[${rows}, ${cols}, 1, 1] or [${rows}, ${cols}]`;
}

/** The transpose of the row-major `rows x cols` matrix `src`, as a new `cols x rows` array. */
export function transpose(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c];
  }
  return out;
}
