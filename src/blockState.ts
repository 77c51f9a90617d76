/**
 * How `SEBlock.loadStateDict` reads a state dict: the tensors a block of given weights has under a
 * convention, each with its shape there, matched against the dict's keys as torch's
 * `load_state_dict` does, and every present one read and checked before the block writes anything.
 */
import { SEShapeError, SETypeError } from './errors.js';
import { seWeightKeys, transpose, type SEWeightConvention, type StateRecord } from './interop/conventions.js';
import type { SEParams } from './params.js';
import { checkTensor, formatShape, gatherDense } from './tensor.js';

/** One tensor a block has under a convention. */
interface WantedTensor {
  key: string;
  /** The block's own array it loads into. */
  target: Float32Array;
  /** Its shape under the convention. */
  shape: number[];
  /** Keras kernels are the transpose of the block's layout: `[rows, cols]` of the stored matrix. */
  transpose: [number, number] | null;
}

/** What a state dict loads into a block: the values for each target (read and checked), and the keys that did not match. */
export interface BlockStateLoad {
  loads: { values: Float32Array; target: Float32Array }[];
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** The tensors of the block `p` under `convention`, in the order w1, b1, w2, b2 (biases when present). */
function wantedTensors(p: SEParams, convention: SEWeightConvention): WantedTensor[] {
  const C = p.channels;
  const R = p.hidden;
  const names = seWeightKeys(convention, '');
  const conv = convention !== 'seattention' && convention !== 'keras';
  const keras = convention === 'keras';
  const wanted: WantedTensor[] = [
    { key: names.w1, target: p.w1, shape: keras ? [1, 1, C, R] : conv ? [R, C, 1, 1] : [R, C], transpose: keras ? [C, R] : null },
    { key: names.w2, target: p.w2, shape: keras ? [1, 1, R, C] : conv ? [C, R, 1, 1] : [C, R], transpose: keras ? [R, C] : null },
  ];
  if (p.b1 !== null) wanted.splice(1, 0, { key: names.b1, target: p.b1, shape: [R], transpose: null });
  if (p.b2 !== null) wanted.push({ key: names.b2, target: p.b2, shape: [C], transpose: null });
  return wanted;
}

/** `"a", "b" and 3 more`, for messages. */
function keyList(keys: readonly string[]): string {
  const shown = keys.slice(0, 8).map((k) => JSON.stringify(k.length > 80 ? `${k.slice(0, 80)}...` : k));
  return keys.length > 8 ? `${shown.join(', ')} and ${keys.length - 8} more` : shown.join(', ');
}

/**
 * Reads `tensors` for the block `p`: with `strict`, a missing or unexpected key is an SETypeError
 * listing them; a present tensor of the wrong shape is an SEShapeError in both modes. Writes nothing.
 */
export function readBlockStateDict(fn: string, p: SEParams, tensors: StateRecord, convention: SEWeightConvention, strict: boolean): BlockStateLoad {
  const wanted = wantedTensors(p, convention);
  const keys = Object.keys(tensors);
  const missingKeys = wanted.filter((w) => !keys.includes(w.key)).map((w) => w.key);
  const unexpectedKeys = keys.filter((k) => !wanted.some((w) => w.key === k));
  if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
    const parts: string[] = [];
    if (missingKeys.length > 0) parts.push(`missing key(s) ${keyList(missingKeys)}`);
    if (unexpectedKeys.length > 0) parts.push(`unexpected key(s) ${keyList(unexpectedKeys)}`);
    throw new SETypeError(
      `${fn}: error(s) in loading the state dict (convention '${convention}', C = ${p.channels}, R = ${p.hidden}, ${p.b1 === null ? 'no biases' : 'biases'}): ` +
        `${parts.join('; ')}; pass { strict: false } to load the keys that match`,
    );
  }
  const loads: BlockStateLoad['loads'] = [];
  for (const w of wanted) {
    if (!keys.includes(w.key)) continue;
    const t = checkTensor(fn, `sd[${JSON.stringify(w.key)}]`, tensors[w.key]);
    if (t.shape.length !== w.shape.length || t.shape.some((d, k) => d !== w.shape[k])) {
      throw new SEShapeError(`${fn}: sd[${JSON.stringify(w.key)}] has shape ${formatShape(t.shape)} but this block needs ${formatShape(w.shape)}`);
    }
    const dense = gatherDense(new Float32Array(t.size), t);
    loads.push({ values: w.transpose === null ? dense : transpose(dense, w.transpose[0], w.transpose[1]), target: w.target });
  }
  return { loads, missingKeys, unexpectedKeys };
}
