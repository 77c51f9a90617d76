/**
 * SE block weights as other frameworks name and lay them out: loading one block of a state dict
 * (e.g. from {@link readSafetensors}) into {@link SEParams}, and saving SEParams under a framework's
 * names. The conventions themselves are in ./conventions.ts, finding blocks ({@link listSEBlocks})
 * in ./detect.ts; this module re-exports both, so it is the one import for SE weights.
 *
 * SEParams use PyTorch's layout (`w1 [R, C]`, `w2 [C, R]`, row-major). PyTorch conventions store
 * the same bytes (a 1x1 conv weight `[R, C, 1, 1]` equals a Linear weight `[R, C]`); Keras stores
 * conv kernels `[kh, kw, in, out]`, the transpose, which is transposed on the way in and out.
 */
import { isPositiveInt, optionsSnapshot, refuseUnknownOptions } from '../arguments.js';
import { SEOptionError, SEShapeError, SETypeError, describeValue } from '../errors.js';
import { checkSEParams, type SEParams } from '../params.js';
import { checkTensor, formatShape, gatherDense, plainTensor, type CheckedTensor, type PlainTensor } from '../tensor.js';
import {
  KEYS,
  checkConvention,
  checkPrefix,
  describeKeys,
  findKey,
  hasBatchNorm,
  matrixDims,
  matrixShapes,
  stateDictRecord,
  tensorKey,
  transpose,
  type SEWeightConvention,
  type StateDict,
  type StateRecord,
} from './conventions.js';
import { detectConvention } from './detect.js';

export { SE_WEIGHT_CONVENTIONS, seWeightKeys, type SEWeightConvention, type SEWeightKeys, type StateDict } from './conventions.js';
/** @internal */
export { stateDictRecord } from './conventions.js';
export { listSEBlocks, type SEBlockInfo } from './detect.js';

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

/** What {@link loadSEParams}' options ask for, checked. */
interface LoadRequest {
  prefix: string;
  /** Undefined: detect it. */
  convention: SEWeightConvention | undefined;
  channels: number | undefined;
  hidden: number | undefined;
  bias: boolean | undefined;
}

/** One block's tensors as found under a prefix, checked against each other. */
interface FoundBlock {
  C: number;
  R: number;
  w1: CheckedTensor;
  w2: CheckedTensor;
  b1: CheckedTensor | null;
  b2: CheckedTensor | null;
  /** `tensors["...weight"] with shape [...]`: where C and R came from, for messages. */
  source: string;
}

/** A fresh dense row-major copy of a checked view. */
function copyDense(t: CheckedTensor): Float32Array {
  return t.contiguous ? t.data.slice(t.offset, t.offset + t.size) : gatherDense(new Float32Array(t.size), t);
}

/** Reads {@link loadSEParams}' options from one snapshot of `opts`. */
function readLoadOptions(fn: string, opts: unknown): LoadRequest {
  const known = ['prefix', 'convention', 'channels', 'hidden', 'bias'];
  const o = optionsSnapshot(fn, opts, known, 'opts');
  refuseUnknownOptions(fn, o, known);
  const prefix = o.prefix === undefined ? '' : o.prefix;
  checkPrefix(fn, prefix);
  for (const name of ['channels', 'hidden'] as const) {
    const v = o[name];
    if (v !== undefined && !isPositiveInt(v)) throw new SEOptionError(`${fn}: opts.${name} must be a positive integer but is ${describeValue(v)}`);
  }
  const bias = o.bias;
  if (bias !== undefined && typeof bias !== 'boolean') throw new SEOptionError(`${fn}: opts.bias must be true or false but is ${describeValue(bias)}`);
  const convention = o.convention;
  if (convention !== undefined) checkConvention(fn, 'opts.convention', convention);
  return { prefix, convention, channels: o.channels as number | undefined, hidden: o.hidden as number | undefined, bias };
}

/** The key of the required weight `name` under `prefix`; SETypeError naming every key looked for when it is missing. */
function requiredKey(fn: string, tensors: StateRecord, prefix: string, name: string, convention: SEWeightConvention): string {
  const keras = convention === 'keras';
  const key = findKey(tensors, prefix, name, keras);
  if (key === null) {
    throw new SETypeError(
      `${fn}: ${tensorKey(prefix + name)}${keras ? ` (or ${tensorKey(`${prefix}${name}:0`)})` : ''} is missing; ` +
        `convention '${convention}' looks for ${describeKeys(convention, prefix)} (biases optional)`,
    );
  }
  return key;
}

/** C and R from the reducing weight: PyTorch weights are (out, in) = [R, C]; Keras kernels are (in, out) = [C, R]. */
function reducingDims(fn: string, key: string, w1: CheckedTensor, keras: boolean): [number, number] {
  const dims = matrixDims(w1.shape, keras);
  if (dims === null) {
    throw new SEShapeError(
      `${fn}: ${tensorKey(key)} has shape ${formatShape(w1.shape)} but expected ${keras ? matrixShapes('C', 'R', true) : matrixShapes('R', 'C', false)} ` +
        `(the reducing layer's weight, in ${keras ? '(in, out)' : '(out, in)'} order)`,
    );
  }
  return keras ? [dims[0], dims[1]] : [dims[1], dims[0]];
}

/** Checks the expanding weight `[C, R]` (Keras `[R, C]`) against C and R from `source`. */
function checkExpanding(fn: string, key: string, w2: CheckedTensor, C: number, R: number, keras: boolean, source: string): void {
  const dims = matrixDims(w2.shape, keras);
  const expected = keras ? [R, C] : [C, R];
  if (dims === null || dims[0] !== expected[0] || dims[1] !== expected[1]) {
    throw new SEShapeError(
      `${fn}: ${tensorKey(key)} has shape ${formatShape(w2.shape)} but expected ${matrixShapes(expected[0], expected[1], keras)} ` +
        `(C = ${C} and R = ${R} from ${source})`,
    );
  }
}

/** The bias under `key` (null when absent), checked to be `[size]`. */
function biasAt(fn: string, tensors: StateRecord, key: string | null, size: number, what: string, source: string): CheckedTensor | null {
  if (key === null) return null;
  const t = checkTensor(fn, tensorKey(key), tensors[key]);
  if (t.shape.length !== 1 || t.shape[0] !== size) {
    throw new SEShapeError(`${fn}: ${tensorKey(key)} has shape ${formatShape(t.shape)} but expected [${size}] (${what} from ${source})`);
  }
  return t;
}

/** The block of `convention` under `prefix`: its tensors found, read and checked against each other. */
function findBlock(fn: string, tensors: StateRecord, prefix: string, convention: SEWeightConvention): FoundBlock {
  const keras = convention === 'keras';
  const names = KEYS[convention];
  if ((convention === 'timm' || convention === 'torchvision') && hasBatchNorm(tensors, prefix)) {
    throw new SEOptionError(
      `${fn}: ${tensorKey(`${prefix}bn.weight`)} is present: this SEModule has a BatchNorm after fc1 (use_norm=True), which SEParams cannot represent`,
    );
  }
  const w1Key = requiredKey(fn, tensors, prefix, names.w1, convention);
  const w2Key = requiredKey(fn, tensors, prefix, names.w2, convention);
  const b1Key = findKey(tensors, prefix, names.b1, keras);
  const b2Key = findKey(tensors, prefix, names.b2, keras);
  const w1 = checkTensor(fn, tensorKey(w1Key), tensors[w1Key]);
  const w2 = checkTensor(fn, tensorKey(w2Key), tensors[w2Key]);
  const [C, R] = reducingDims(fn, w1Key, w1, keras);
  const source = `${tensorKey(w1Key)} with shape ${formatShape(w1.shape)}`;
  checkExpanding(fn, w2Key, w2, C, R, keras, source);
  const b1 = biasAt(fn, tensors, b1Key, R, `R = ${R}`, source);
  const b2 = biasAt(fn, tensors, b2Key, C, `C = ${C}`, source);
  return { C, R, w1, w2, b1, b2, source };
}

/** Checks the block against what the options ask for (`channels`, `hidden`, `bias`). */
function checkRequest(fn: string, want: LoadRequest, block: FoundBlock): void {
  const { C, R, source } = block;
  if (want.channels !== undefined && want.channels !== C) {
    throw new SEShapeError(`${fn}: opts.channels is ${want.channels} but the block has C = ${C} (from ${source})`);
  }
  if (want.hidden !== undefined && want.hidden !== R) {
    throw new SEShapeError(`${fn}: opts.hidden is ${want.hidden} but the block has R = ${R} (from ${source})`);
  }
  const hasBias = block.b1 !== null || block.b2 !== null;
  if (want.bias !== undefined && want.bias !== hasBias) {
    throw new SEShapeError(`${fn}: opts.bias is ${want.bias} but the block under prefix '${want.prefix}' has ${hasBias ? 'a bias' : 'no bias'}`);
  }
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
  const want = readLoadOptions(fn, opts);
  const convention = want.convention ?? detectConvention(fn, tensors, want.prefix);
  const keras = convention === 'keras';
  const block = findBlock(fn, tensors, want.prefix, convention);
  checkRequest(fn, want, block);
  const { C, R } = block;
  // Copies in SEParams' PyTorch layout: Keras kernels transposed.
  const params: SEParams = {
    channels: C,
    hidden: R,
    w1: keras ? transpose(copyDense(block.w1), C, R) : copyDense(block.w1),
    b1: block.b1 === null ? null : copyDense(block.b1),
    w2: keras ? transpose(copyDense(block.w2), R, C) : copyDense(block.w2),
    b2: block.b2 === null ? null : copyDense(block.b2),
  };
  return checkSEParams(fn, params);
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
  const o = optionsSnapshot(fn, opts, ['prefix'], 'opts');
  refuseUnknownOptions(fn, o, ['prefix']);
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
