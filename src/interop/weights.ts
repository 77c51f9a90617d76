/**
 * SE block weights as other frameworks name and lay them out: finding the SE blocks of a state dict
 * (e.g. from {@link readSafetensors}), loading one into {@link SEParams}, and saving SEParams under a
 * framework's names.
 *
 * SEParams use PyTorch's layout (`w1 [R, C]`, `w2 [C, R]`, row-major). PyTorch conventions store
 * the same bytes (a 1x1 conv weight `[R, C, 1, 1]` equals a Linear weight `[R, C]`); Keras stores
 * conv kernels `[kh, kw, in, out]`, the transpose, which is transposed on the way in and out.
 */
import { SEOptionError, SEShapeError, SETypeError, describeValue } from '../errors.js';
import { checkSEParams, type SEParams } from '../params.js';
import { checkTensor, formatShape, gatherDense, isFloat32Array, plainTensor, type CheckedTensor, type FloatTensor, type PlainTensor } from '../tensor.js';
import type { SafetensorsEntry, SafetensorsWriteTensor } from './safetensors/index.js';

/**
 * A state dict as the functions here take it: tensors by name, FloatTensors, anything
 * {@link readSafetensors} returns or {@link writeSafetensors} takes (integer entries such as
 * BatchNorm's `num_batches_tracked` are fine where they are not SE weights; SE weights are float32).
 */
/** A state dict: tensors by name (what `readSafetensors` returns, or FloatTensors of your own), as an object or a `Map`. */
export type StateDict =
  | Readonly<Record<string, FloatTensor | SafetensorsEntry | SafetensorsWriteTensor>>
  | ReadonlyMap<string, FloatTensor | SafetensorsEntry | SafetensorsWriteTensor>;

/** A state dict's entries as an object (a `Map` is copied into one, each name an own property), read once. */
type StateRecord = Readonly<Record<string, FloatTensor | SafetensorsEntry | SafetensorsWriteTensor>>;

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
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
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

const KEYS: Readonly<Record<SEWeightConvention, SEWeightKeys>> = {
  seattention: { w1: 'fc.0.weight', b1: 'fc.0.bias', w2: 'fc.2.weight', b2: 'fc.2.bias' },
  timm: { w1: 'fc1.weight', b1: 'fc1.bias', w2: 'fc2.weight', b2: 'fc2.bias' },
  torchvision: { w1: 'fc1.weight', b1: 'fc1.bias', w2: 'fc2.weight', b2: 'fc2.bias' },
  'timm-efficientnet': { w1: 'conv_reduce.weight', b1: 'conv_reduce.bias', w2: 'conv_expand.weight', b2: 'conv_expand.bias' },
  keras: { w1: 'se_reduce/kernel', b1: 'se_reduce/bias', w2: 'se_expand/kernel', b2: 'se_expand/bias' },
};

/** Conventions with distinct key sets, for detection (`torchvision` shares `timm`'s). */
const DETECTED: readonly SEWeightConvention[] = ['seattention', 'timm', 'timm-efficientnet', 'keras'];

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

/** Options of {@link loadSEParams}. */
export interface LoadSEParamsOptions {
  /** Prepended verbatim to every key: `'layer1.0.se.'` (timm), `'features.3.block.2.'`, `'block2a_'` (Keras). */
  prefix?: string;
  /** The naming convention; detected from the keys present when absent. */
  convention?: SEWeightConvention;
  /** When given, the block must have this many channels (C). */
  channels?: number;
  /** When given, the block must have this hidden width (R). */
  hidden?: number;
  /** When given, the block must have a bias (true) or none (false). */
  bias?: boolean;
}

/** Options of {@link saveSEParams}. */
export interface SaveSEParamsOptions {
  /** Prepended verbatim to every key written. */
  prefix?: string;
}

function checkConvention(fn: string, name: string, v: unknown): asserts v is SEWeightConvention {
  if (typeof v !== 'string' || !(SE_WEIGHT_CONVENTIONS as readonly string[]).includes(v)) {
    throw new SEOptionError(
      `${fn}: ${name} must be one of ${SE_WEIGHT_CONVENTIONS.map((c) => `'${c}'`).join(', ')} but is ${describeValue(v)}`,
    );
  }
}

function checkPrefix(fn: string, v: unknown): asserts v is string {
  if (typeof v !== 'string') throw new SEOptionError(`${fn}: prefix must be a string but is ${describeValue(v)}`);
}

function checkOptions(fn: string, opts: unknown, known: readonly string[]): Record<string, unknown> {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object' || Array.isArray(opts)) {
    throw new SETypeError(`${fn}: opts must be an object like { ${known.join(', ')} } but got ${describeValue(opts)}`);
  }
  const o = opts as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) throw new SEOptionError(`${fn}: unknown option '${key}'; expected one of ${known.join(', ')}`);
  }
  return o;
}

function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

function quote(key: string): string {
  return `tensors[${JSON.stringify(key)}]`;
}

/** The key present in `tensors` for `name` (Keras also tries `name:0`), or null. */
function findKey(tensors: object, prefix: string, name: string, keras: boolean): string | null {
  const key = prefix + name;
  if (hasOwn(tensors, key)) return key;
  if (keras && hasOwn(tensors, `${key}:0`)) return `${key}:0`;
  return null;
}

/** The keys a convention looks for (weights and biases), for error messages; `[:0]` marks an optional suffix. */
function describeKeys(convention: SEWeightConvention, prefix: string): string {
  const k = KEYS[convention];
  const suffix = convention === 'keras' ? '[:0]' : '';
  return [k.w1, k.b1, k.w2, k.b2].map((n) => `'${prefix}${n}${suffix}'`).join(', ');
}

/** Prefixes under which `tensors` holds a reducing weight of some convention, for a "did you mean" hint. */
function candidatePrefixes(tensors: object): string[] {
  const found = new Set<string>();
  for (const key of Object.keys(tensors)) {
    for (const c of DETECTED) {
      const name = KEYS[c].w1;
      for (const full of c === 'keras' ? [name, `${name}:0`] : [name]) {
        if (key.endsWith(full)) found.add(key.slice(0, key.length - full.length));
      }
    }
  }
  return [...found].sort();
}

function detectConvention(fn: string, tensors: StateRecord, prefix: string): SEWeightConvention {
  const matches = DETECTED.filter((c) => {
    const k = KEYS[c];
    const keras = c === 'keras';
    return [k.w1, k.b1, k.w2, k.b2].some((n) => findKey(tensors, prefix, n, keras) !== null);
  });
  if (matches.length === 1) return matches[0];
  // Keys of several conventions: the one that forms a whole block (as listSEBlocks sees it) wins, if only one does.
  const whole = matches.filter((c) => seBlockAt(fn, tensors, prefix, c) !== null);
  if (whole.length === 1) return whole[0];
  if (matches.length > 1) {
    throw new SEOptionError(
      `${fn}: tensors hold keys of several conventions under prefix '${prefix}' (${matches.join(', ')}); ` +
        `pass opts.convention to choose one`,
    );
  }
  const candidates = candidatePrefixes(tensors);
  const hint =
    candidates.length === 0
      ? ''
      : `. SE weights exist under ${candidates.slice(0, 5).map((p) => `prefix '${p}'`).join(', ')}` +
        `${candidates.length > 5 ? ` and ${candidates.length - 5} more` : ''}; pass it as opts.prefix`;
  throw new SETypeError(
    `${fn}: no SE weights found under prefix '${prefix}'; looked for ` +
      DETECTED.map((c) => `${c === 'timm' ? 'timm/torchvision' : c}: ${describeKeys(c, prefix)}`).join('; ') +
      ` ([:0]: with or without that suffix)${hint}`,
  );
}

/** A matrix weight's (rows, cols) in the convention's own order, or null when the shape is not one it accepts. */
function matrixDims(shape: readonly number[], keras: boolean): [number, number] | null {
  if (shape.length === 2) return [shape[0], shape[1]];
  if (shape.length !== 4) return null;
  if (keras) return shape[0] === 1 && shape[1] === 1 ? [shape[2], shape[3]] : null;
  return shape[2] === 1 && shape[3] === 1 ? [shape[0], shape[1]] : null;
}

function matrixShapes(rows: number | string, cols: number | string, keras: boolean): string {
  return keras ? `[1, 1, ${rows}, ${cols}] or [${rows}, ${cols}]` : `[${rows}, ${cols}, 1, 1] or [${rows}, ${cols}]`;
}

/** A fresh dense row-major copy of a checked view. */
function copyDense(t: CheckedTensor): Float32Array {
  return t.contiguous ? t.data.slice(t.offset, t.offset + t.size) : gatherDense(new Float32Array(t.size), t);
}

/** The transpose of the row-major `rows x cols` matrix `src`, as a new `cols x rows` array. */
function transpose(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c];
  }
  return out;
}

/**
 * Loads one SE block's weights from a state dict (e.g. the result of `readSafetensors`, or any
 * record of FloatTensors), checking every shape and copying into fresh Float32Arrays (the result
 * never aliases `tensors`, and `tensors` is not modified). Keys other than the block's are ignored,
 * whatever their dtype. When keys of several conventions sit under the prefix, the one convention
 * whose keys form a whole block (see {@link listSEBlocks}) is used; if more than one does, pass
 * `convention`.
 * @param dict tensors by name (an object or a Map), e.g. a whole model's state dict
 * @param opts `prefix` prepended to every key (`'layer1.0.se.'`, `'block2a_'`); `convention` to skip
 *   auto-detection (see {@link SEWeightConvention}); `channels`, `hidden`, `bias`: what the block
 *   must have, so an {@link SEBlockInfo} from {@link listSEBlocks} can be passed as `opts` as it is
 * @returns the block's params, in SEParams' PyTorch layout
 * @throws SETypeError naming every key looked for when none match, a missing weight, or a weight
 *   that is not float32 (e.g. an I64 entry); SEShapeError naming the key and the expected vs
 *   received shape, or a block that is not the `channels`/`hidden`/`bias` asked for; SEOptionError
 *   for bad options or keys of several conventions under one prefix
 * @example loadSEParams(readSafetensors(bytes), { prefix: 'layer1.0.se.' })
 */
export function loadSEParams(dict: StateDict, opts?: LoadSEParamsOptions): SEParams {
  const fn = 'loadSEParams';
  const tensors = stateDictRecord(fn, dict);
  const o = checkOptions(fn, opts, ['prefix', 'convention', 'channels', 'hidden', 'bias']);
  const { prefix: prefixOpt, convention: conventionOpt, channels: wantChannels, hidden: wantHidden, bias: wantBias } = o;
  const prefix = prefixOpt === undefined ? '' : prefixOpt;
  checkPrefix(fn, prefix);
  for (const [name, v] of [['channels', wantChannels], ['hidden', wantHidden]] as const) {
    if (v !== undefined && !(typeof v === 'number' && Number.isSafeInteger(v) && v > 0)) {
      throw new SEOptionError(`${fn}: opts.${name} must be a positive integer but is ${describeValue(v)}`);
    }
  }
  if (wantBias !== undefined && typeof wantBias !== 'boolean') {
    throw new SEOptionError(`${fn}: opts.bias must be true or false but is ${describeValue(wantBias)}`);
  }
  let convention: SEWeightConvention;
  if (conventionOpt === undefined) {
    convention = detectConvention(fn, tensors, prefix);
  } else {
    checkConvention(fn, 'opts.convention', conventionOpt);
    convention = conventionOpt;
  }
  const keras = convention === 'keras';
  const names = KEYS[convention];
  const required = (name: string): string => {
    const key = findKey(tensors, prefix, name, keras);
    if (key === null) {
      throw new SETypeError(
        `${fn}: ${quote(prefix + name)}${keras ? ` (or ${quote(`${prefix}${name}:0`)})` : ''} is missing; ` +
          `convention '${convention}' looks for ${describeKeys(convention, prefix)} (biases optional)`,
      );
    }
    return key;
  };
  const hasNorm = hasOwn(tensors, `${prefix}bn.weight`) || hasOwn(tensors, `${prefix}bn.running_mean`);
  if ((convention === 'timm' || convention === 'torchvision') && hasNorm) {
    throw new SEOptionError(
      `${fn}: ${quote(`${prefix}bn.weight`)} is present: this SEModule has a BatchNorm after fc1 (use_norm=True), which SEParams cannot represent`,
    );
  }

  const w1Key = required(names.w1);
  const w2Key = required(names.w2);
  const b1Key = findKey(tensors, prefix, names.b1, keras);
  const b2Key = findKey(tensors, prefix, names.b2, keras);
  const w1t = checkTensor(fn, quote(w1Key), tensors[w1Key]);
  const w2t = checkTensor(fn, quote(w2Key), tensors[w2Key]);
  // PyTorch weights are (out, in) = [R, C]; Keras kernels are (in, out) = [C, R].
  const dims1 = matrixDims(w1t.shape, keras);
  if (dims1 === null) {
    throw new SEShapeError(
      `${fn}: ${quote(w1Key)} has shape ${formatShape(w1t.shape)} but expected ${keras ? matrixShapes('C', 'R', true) : matrixShapes('R', 'C', false)} ` +
        `(the reducing layer's weight, in ${keras ? '(in, out)' : '(out, in)'} order)`,
    );
  }
  const [R, C] = keras ? [dims1[1], dims1[0]] : dims1;
  const dims2 = matrixDims(w2t.shape, keras);
  const expected2 = keras ? [R, C] : [C, R];
  if (dims2 === null || dims2[0] !== expected2[0] || dims2[1] !== expected2[1]) {
    throw new SEShapeError(
      `${fn}: ${quote(w2Key)} has shape ${formatShape(w2t.shape)} but expected ${matrixShapes(expected2[0], expected2[1], keras)} ` +
        `(C = ${C} and R = ${R} from ${quote(w1Key)} with shape ${formatShape(w1t.shape)})`,
    );
  }
  const bias = (key: string | null, size: number, what: string): CheckedTensor | null => {
    if (key === null) return null;
    const t = checkTensor(fn, quote(key), tensors[key]);
    if (t.shape.length !== 1 || t.shape[0] !== size) {
      throw new SEShapeError(
        `${fn}: ${quote(key)} has shape ${formatShape(t.shape)} but expected [${size}] (${what} from ${quote(w1Key)} with shape ${formatShape(w1t.shape)})`,
      );
    }
    return t;
  };
  const b1t = bias(b1Key, R, `R = ${R}`);
  const b2t = bias(b2Key, C, `C = ${C}`);
  const source = `${quote(w1Key)} with shape ${formatShape(w1t.shape)}`;
  if (wantChannels !== undefined && wantChannels !== C) {
    throw new SEShapeError(`${fn}: opts.channels is ${wantChannels} but the block has C = ${C} (from ${source})`);
  }
  if (wantHidden !== undefined && wantHidden !== R) {
    throw new SEShapeError(`${fn}: opts.hidden is ${wantHidden} but the block has R = ${R} (from ${source})`);
  }
  const hasBias = b1t !== null || b2t !== null;
  if (wantBias !== undefined && wantBias !== hasBias) {
    throw new SEShapeError(`${fn}: opts.bias is ${wantBias} but the block under prefix '${prefix}' has ${hasBias ? 'a bias' : 'no bias'}`);
  }

  const w1 = keras ? transpose(copyDense(w1t), C, R) : copyDense(w1t);
  const w2 = keras ? transpose(copyDense(w2t), R, C) : copyDense(w2t);
  const params: SEParams = {
    channels: C,
    hidden: R,
    w1,
    b1: b1t === null ? null : copyDense(b1t),
    w2,
    b2: b2t === null ? null : copyDense(b2t),
  };
  return checkSEParams(fn, params);
}

/** One SE block found in a state dict by {@link listSEBlocks}. */
export interface SEBlockInfo {
  /** Prepended to the convention's key names, e.g. `'features.4.block.2.'`: pass it to `loadSEParams` as `prefix`. */
  prefix: string;
  /** The naming convention (`'timm'` for `fc1`/`fc2` keys, torchvision's `SqueezeExcitation` included). */
  convention: SEWeightConvention;
  /** C, the block's input (and output) channels. */
  channels: number;
  /** R, the reduced width of its hidden layer. */
  hidden: number;
  /** True when the block has a bias (the frameworks' SE layers have both `b1` and `b2` or neither). */
  bias: boolean;
}

/** The prefix before `suffix` at the end of `key`, when it is empty or ends in one of `separators`; else null. */
function prefixBefore(key: string, suffix: string, separators: string): string | null {
  if (!key.endsWith(suffix)) return null;
  const prefix = key.slice(0, key.length - suffix.length);
  return prefix === '' || separators.includes(prefix[prefix.length - 1]) ? prefix : null;
}

/**
 * The tensor under `key` checked as a FloatTensor of rank 1, 2 or 4 with positive dims, or null when it
 * is something else (another dtype, a zero-sized tensor, not a tensor): then it is not an SE weight.
 * Each field of the caller's object is read once.
 */
function seTensorAt(fn: string, tensors: StateRecord, key: string): CheckedTensor | null {
  const t: unknown = tensors[key];
  if (t === null || typeof t !== 'object') return null;
  const { data, shape, stride, offset } = t as { data?: unknown; shape?: unknown; stride?: unknown; offset?: unknown };
  if (!isFloat32Array(data) || !Array.isArray(shape)) return null;
  const dims: unknown[] = shape.slice();
  if ((dims.length !== 1 && dims.length !== 2 && dims.length !== 4) || !dims.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d > 0)) {
    return null;
  }
  return checkTensor(fn, quote(key), { data, shape: dims, stride, offset });
}

/** Orders prefixes so that digit runs compare as numbers: `features.2.` before `features.10.`. */
function compareNatural(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    const digits = /^\d/.test(x) && /^\d/.test(y);
    if (digits) {
      const nx = x.replace(/^0+/, '');
      const ny = y.replace(/^0+/, '');
      if (nx.length !== ny.length) return nx.length - ny.length;
      if (nx !== ny) return nx < ny ? -1 : 1;
    } else {
      return x < y ? -1 : 1;
    }
  }
  if (pa.length !== pb.length) return pa.length - pb.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The SE block of `convention` under `prefix`, when its tensors are there and their shapes agree
 * (see {@link listSEBlocks}), else null.
 */
function seBlockAt(fn: string, tensors: StateRecord, prefix: string, convention: SEWeightConvention): SEBlockInfo | null {
  const keras = convention === 'keras';
  const names = KEYS[convention];
  const w1Key = findKey(tensors, prefix, names.w1, keras);
  const w2Key = findKey(tensors, prefix, names.w2, keras);
  if (w1Key === null || w2Key === null) return null;
  if ((convention === 'timm' || convention === 'torchvision') && (hasOwn(tensors, `${prefix}bn.weight`) || hasOwn(tensors, `${prefix}bn.running_mean`))) return null;
  const w1 = seTensorAt(fn, tensors, w1Key);
  const w2 = seTensorAt(fn, tensors, w2Key);
  if (w1 === null || w2 === null) return null;
  const dims1 = matrixDims(w1.shape, keras);
  const dims2 = matrixDims(w2.shape, keras);
  if (dims1 === null || dims2 === null) return null;
  const [R, C] = keras ? [dims1[1], dims1[0]] : dims1;
  const [rows2, cols2] = keras ? [dims2[1], dims2[0]] : dims2;
  if (rows2 !== C || cols2 !== R || R > C) return null;
  // A bias: absent (false), fitting (true), or present and wrong (null: not a block).
  const bias = (name: string, size: number): boolean | null => {
    const key = findKey(tensors, prefix, name, keras);
    if (key === null) return false;
    const b = seTensorAt(fn, tensors, key);
    return b !== null && b.shape.length === 1 && b.shape[0] === size ? true : null;
  };
  const b1 = bias(names.b1, R);
  const b2 = bias(names.b2, C);
  if (b1 === null || b2 === null) return null;
  return { prefix, convention, channels: C, hidden: R, bias: b1 || b2 };
}

/**
 * Finds every SE block in a state dict, e.g. a whole model's `readSafetensors` result, whatever else
 * it holds (convolutions, BatchNorm statistics, I64 `num_batches_tracked`, other dtypes).
 *
 * A block is found by its names and confirmed by its shapes: a reducing weight (`fc.0.weight`,
 * `fc1.weight`, `conv_reduce.weight`, `se_reduce/kernel[:0]`) under some prefix that is empty or
 * ends with `.` (Keras: `_` or `/`), the matching expanding weight under the same prefix, both
 * float32 tensors in the convention's layout (`w1 [R, C]` or `[R, C, 1, 1]`, `w2 [C, R]` or
 * `[C, R, 1, 1]`; Keras transposed), biases, where present, `[R]` and `[C]`, and `R <= C` (an SE
 * layer reduces; this keeps out transformer MLPs, `fc1 [4D, D]`, `fc2 [D, 4D]`). A timm `SEModule`
 * with a BatchNorm is not listed (see {@link loadSEParams}). Names and shapes are all it looks at:
 * a plain two-layer bottleneck named like an SE block and shaped like one is listed too.
 *
 * `loadSEParams(tensors, block)` loads each block found (`{ prefix: block.prefix }` alone does too,
 * unless two conventions have blocks under one prefix).
 * @param dict tensors by name, an object or a Map (not modified)
 * @returns the blocks, ordered by prefix with digit runs compared as numbers (`features.2.` before
 *   `features.10.`, so a model's blocks come in layer order whatever order its file lists them in),
 *   then by convention in {@link SE_WEIGHT_CONVENTIONS} order
 * @throws SETypeError when `tensors` is not an object; the errors of `loadSEParams` for a float32
 *   tensor under an SE name whose view does not fit its data
 * @example
 * const tensors = readSafetensors(bytes);
 * const blocks = listSEBlocks(tensors).map((block) => loadSEParams(tensors, block));
 */
export function listSEBlocks(dict: StateDict): SEBlockInfo[] {
  const fn = 'listSEBlocks';
  const tensors = stateDictRecord(fn, dict);
  const seen = new Set<string>();
  const candidates: { prefix: string; convention: SEWeightConvention }[] = [];
  for (const key of Object.keys(tensors)) {
    for (const convention of DETECTED) {
      const keras = convention === 'keras';
      const w1 = KEYS[convention].w1;
      for (const suffix of keras ? [w1, `${w1}:0`] : [w1]) {
        const prefix = prefixBefore(key, suffix, keras ? '_/' : '.');
        if (prefix === null || seen.has(`${convention}\u0000${prefix}`)) continue;
        seen.add(`${convention}\u0000${prefix}`);
        candidates.push({ prefix, convention });
      }
    }
  }
  const found: SEBlockInfo[] = [];
  for (const { prefix, convention } of candidates) {
    const block = seBlockAt(fn, tensors, prefix, convention);
    if (block !== null) found.push(block);
  }
  return found.sort((a, b) => compareNatural(a.prefix, b.prefix) || DETECTED.indexOf(a.convention) - DETECTED.indexOf(b.convention));
}

/**
 * Saves SE params under a framework's names and layout, as fresh dense tensors ready for
 * `writeSafetensors`. PyTorch 1x1-conv conventions (`timm`, `torchvision`, `timm-efficientnet`)
 * write 4-D weights `[R, C, 1, 1]` / `[C, R, 1, 1]`; `seattention` writes Linear weights `[R, C]` /
 * `[C, R]`; `keras` writes transposed kernels `[1, 1, C, R]` / `[1, 1, R, C]` (names without `:0`).
 * Null biases are omitted.
 * @param params the block's weights (not modified, never aliased by the result)
 * @param convention the names and layout to write (see {@link SEWeightConvention})
 * @param opts `prefix` prepended verbatim to every key
 * @throws SEOptionError for `seattention` with biases, which that module does not have
 */
export function saveSEParams(params: SEParams, convention: SEWeightConvention, opts?: SaveSEParamsOptions): Record<string, PlainTensor> {
  const fn = 'saveSEParams';
  checkSEParams(fn, params);
  checkConvention(fn, 'convention', convention);
  const o = checkOptions(fn, opts, ['prefix']);
  const prefix = o.prefix === undefined ? '' : o.prefix;
  checkPrefix(fn, prefix);
  const { channels: C, hidden: R, w1, b1, w2, b2 } = params;
  if (convention === 'seattention' && (b1 !== null || b2 !== null)) {
    throw new SEOptionError(
      `${fn}: convention 'seattention' has no biases (SEAttention's Linear layers use bias=False) but params.b1 is ` +
        `${describeValue(b1)} and params.b2 is ${describeValue(b2)}; create the params with bias: false, or save as 'timm', 'torchvision' or 'timm-efficientnet'`,
    );
  }
  const names = KEYS[convention];
  const out: Record<string, PlainTensor> = {};
  if (convention === 'keras') {
    out[prefix + names.w1] = plainTensor(transpose(w1, R, C), [1, 1, C, R]);
    if (b1 !== null) out[prefix + names.b1] = plainTensor(b1.slice(), [R]);
    out[prefix + names.w2] = plainTensor(transpose(w2, C, R), [1, 1, R, C]);
    if (b2 !== null) out[prefix + names.b2] = plainTensor(b2.slice(), [C]);
    return out;
  }
  const conv = convention !== 'seattention';
  out[prefix + names.w1] = plainTensor(w1.slice(), conv ? [R, C, 1, 1] : [R, C]);
  if (b1 !== null) out[prefix + names.b1] = plainTensor(b1.slice(), [R]);
  out[prefix + names.w2] = plainTensor(w2.slice(), conv ? [C, R, 1, 1] : [C, R]);
  if (b2 !== null) out[prefix + names.b2] = plainTensor(b2.slice(), [C]);
  return out;
}
