/**
 * Finding SE blocks in a state dict: {@link listSEBlocks}, and the convention detection that
 * {@link loadSEParams} falls back on when no convention is given.
 */
import { isPositiveInt } from '../arguments.js';
import { SEOptionError, SETypeError } from '../errors.js';
import { checkTensor, isFloat32Array, type CheckedTensor } from '../tensor.js';
import {
  DETECTED,
  KEYS,
  describeKeys,
  findKey,
  hasBatchNorm,
  matrixDims,
  stateDictRecord,
  tensorKey,
  type SEWeightConvention,
  type StateDict,
  type StateRecord,
} from './conventions.js';

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
  if ((dims.length !== 1 && dims.length !== 2 && dims.length !== 4) || !dims.every(isPositiveInt)) {
    return null;
  }
  return checkTensor(fn, tensorKey(key), { data, shape: dims, stride, offset });
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
  if ((convention === 'timm' || convention === 'torchvision') && hasBatchNorm(tensors, prefix)) return null;
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

/**
 * The convention of the SE weights under `prefix`, from the keys present: the one convention with
 * keys there, or the one whose keys form a whole block; SEOptionError when several do, SETypeError
 * naming every key looked for (and where SE weights do exist) when none.
 */
export function detectConvention(fn: string, tensors: StateRecord, prefix: string): SEWeightConvention {
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
