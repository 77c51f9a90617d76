/**
 * The tape's checks of what it is given and what backward functions return, kept out of tape.ts so
 * that `Tape.record` and `Tape.backward` read as what they do. Every list argument is read once
 * into a copy (see src/arguments.ts for the read-once rule); messages name the function, the op,
 * its record number and the argument.
 */
import { SEShapeError, SEStateError, SETypeError, describeThrown, describeValue } from '../errors.js';
import { float32Length, isRealFloat32Array, plainFloat32Array, typedArrayName, viewBuffer, viewByteOffset } from '../intrinsics.js';
import { checkTensor, formatShape, gatherDense, viewSpan, type CheckedTensor, type FloatTensor } from '../tensor.js';
import type { Parameter } from './parameter.js';
import { FROZEN_SHAPES, frozenShape, type Variable } from './variable.js';

/** Highest rank of a variable, as everywhere in the library. */
export const MAX_RANK = 8;
/**
 * Most entries read from a list argument (inputs, saved arrays, returned gradients): far more than
 * any op has, and a bound on the work a Proxy claiming a huge length can cause.
 */
export const MAX_LIST = 1 << 20;

/** A typed array an op may save for its backward: Float32Array values, integer indices, and so on. */
export type SavedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/**
 * The backward of one recorded op: given the gradient of its output, the arrays it saved (in the
 * order given to {@link Tape.record}), and which inputs need a gradient, returns an array with one
 * entry per input: a Float32Array of that input's size where `needs[k]` is true (zeros if the
 * output does not depend on it; null is an error there), anything (conventionally null) where
 * `needs[k]` is false (ignored). Entries past the last input must be null or undefined. The tape
 * copies what it keeps, so a backward may return `dy` itself; it must not modify `dy` or the saved
 * arrays. It is called as a plain function (`this` is undefined). What it throws is wrapped, see
 * {@link Tape}.
 */
export type BackwardFn<S extends readonly SavedArray[] = readonly Float32Array[]> = (
  dy: Float32Array,
  saved: S,
  needs: readonly boolean[],
) => readonly (Float32Array | null)[];

/** One recorded op. @internal */
export interface TapeRecord {
  readonly op: string;
  /** The record's own copy of the inputs. */
  readonly inputs: readonly Variable[];
  /** `inputs[k].requiresGrad`, for the backward (the tape itself asks the variables, whose flags cannot change). */
  readonly needs: readonly boolean[];
  readonly output: Variable;
  /** The record's own copy of the saved list (the arrays themselves are the op's). */
  readonly saved: readonly SavedArray[];
  /** The op's backward (method syntax: it was checked against the saved list's own type when recorded). */
  run(dy: Float32Array, saved: readonly SavedArray[], needs: readonly boolean[]): unknown;
}

/**
 * Whether two real Float32Arrays (ones the caller validated or made) share any byte of memory,
 * read through the engine's own getters (see src/intrinsics.ts), not the arrays' properties.
 */
export function sharesMemory(a: Float32Array, b: Float32Array): boolean {
  const aBytes = float32Length(a) * 4;
  const bBytes = float32Length(b) * 4;
  if (aBytes <= 0 || bBytes <= 0 || viewBuffer(a) !== viewBuffer(b)) return false;
  const aStart = viewByteOffset(a);
  const bStart = viewByteOffset(b);
  return aStart < bStart + bBytes && bStart < aStart + aBytes;
}

/**
 * A parameter's gradient buffer as it is now (read once): a Float32Array of the data's length that
 * shares no memory with the data (a backward adding into it would change the values), else an
 * SEStateError (SETypeError for a wrong type) naming the parameter. `when` says at which call.
 */
export function parameterGradient(fn: string, p: Parameter, data: Float32Array, name: string, when: string): Float32Array {
  const grad: unknown = p.grad;
  const n = float32Length(data);
  if (!isRealFloat32Array(grad)) throw new SETypeError(`${fn}: parameter ${describeValue(name)} has grad ${describeValue(grad)} ${when}; expected a Float32Array(${n})`);
  const length = float32Length(grad);
  if (length !== n) {
    throw new SEShapeError(`${fn}: parameter ${describeValue(name)} has a grad of length ${length} ${when} but its data has ${n} elements`);
  }
  if (sharesMemory(grad, data)) {
    throw new SEStateError(`${fn}: parameter ${describeValue(name)} has a grad that shares memory with its own data ${when}; a backward would add the gradient into the values. Give it its own array`);
  }
  return grad;
}

/** The first index where two equal-length arrays differ bit for bit (NaN payloads and -0 count), or -1. */
export function firstChange(now: Float32Array, then: Float32Array): number {
  const a = new Int32Array(now.buffer, now.byteOffset, now.length);
  const b = new Int32Array(then.buffer, then.byteOffset, then.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** A real typed array of any kind. */
function isTypedArray(v: unknown): v is SavedArray {
  return typedArrayName(v) !== undefined;
}

/** `1 gradient`, `2 inputs`. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** `shape of op "mul"`: an argument of an op, for messages (built only when a message is). */
export function ofOp(arg: string, op: string): string {
  return `${arg} of op ${describeValue(op)}`;
}

/** `the backward of op "mul" (record 3 of 5)`, for messages. */
export function backwardLabel(rec: TapeRecord, r: number, n: number): string {
  return `the backward of op ${describeValue(rec.op)} (record ${r + 1} of ${n})`;
}

/** `input 1 ("w", shape [4, 2])` for messages. */
function inputLabel(k: number, v: Variable): string {
  return `input ${k} (${describeValue(v.name)}, shape ${formatShape(v.shape)})`;
}

/** The name of an argument in messages (see {@link readArray}). */
function argLabel(arg: string | (() => string), op: string | null): string {
  const name = typeof arg === 'string' ? arg : arg();
  return op === null ? name : ofOp(name, op);
}

/**
 * Reads an array argument once: checks it is an array of at most `maxLength` entries and copies
 * them into a new array (the length and each index read exactly once). Messages call it `arg`
 * (a function is called only when a message is built), or `arg of op "name"` when `op` is given.
 * A Proxy trap or getter that throws becomes an SETypeError whose `cause` is what it threw.
 */
export function readArray(fn: string, arg: string | (() => string), op: string | null, v: unknown, maxLength: number): unknown[] {
  let array: boolean;
  try {
    array = Array.isArray(v);
  } catch {
    array = false; // a revoked Proxy
  }
  if (!array) throw new SETypeError(`${fn}: ${argLabel(arg, op)} must be an array but got ${describeValue(v)}`);
  const source = v as readonly unknown[];
  let n: unknown;
  try {
    n = source.length;
  } catch (e) {
    throw new SETypeError(`${fn}: reading ${argLabel(arg, op)} threw ${describeThrown(e)}`, { cause: e });
  }
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new SETypeError(`${fn}: ${argLabel(arg, op)} must be an array but its length is ${describeValue(n)}`);
  }
  if (n > maxLength) throw new SEShapeError(`${fn}: ${argLabel(arg, op)} must have at most ${maxLength} entries but has ${n}`);
  const copy = new Array<unknown>(n);
  try {
    for (let i = 0; i < n; i++) copy[i] = source[i];
  } catch (e) {
    throw new SETypeError(`${fn}: reading ${argLabel(arg, op)} threw ${describeThrown(e)}`, { cause: e });
  }
  return copy;
}

/** The plain Float32Array behind a checked tensor, its reach checked against the array's true length. */
function denseData(fn: string, name: string, ct: CheckedTensor): Float32Array {
  const data = plainFloat32Array(ct.data);
  if (data === null) throw new SETypeError(`${fn}: ${name}.data must be a Float32Array but got ${describeValue(ct.data)}`);
  const { lo, hi } = viewSpan(ct.shape, ct.stride, ct.offset, { lo: 0, hi: 0, contiguous: true });
  // Checked again on the true length: a subclass or an own property may report a longer `length`.
  if (lo < 0 || hi >= data.length) {
    throw new SEShapeError(`${fn}: ${name} addresses data[${lo}..${hi}] but ${name}.data has length ${data.length}`);
  }
  return data;
}

/** A dense row-major copy of a checked tensor, or its own array when that already is one. */
export function denseOf(fn: string, name: string, ct: CheckedTensor): { data: Float32Array; shared: boolean } {
  const data = denseData(fn, name, ct);
  if (ct.contiguous && ct.offset === 0 && data.length === ct.size) return { data, shared: true };
  const view: CheckedTensor = { data, shape: ct.shape, stride: ct.stride, offset: ct.offset, size: ct.size, contiguous: ct.contiguous };
  return { data: gatherDense(new Float32Array(ct.size), view), shared: false };
}

/** Whether two shapes are equal. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * An op's output for {@link Tape.record}: `data` as a plain Float32Array and `shape` frozen (a
 * variable's own shape is taken as it is), checked against each other.
 */
export function readOutput(fn: string, op: string, data: unknown, shape: unknown): { out: Float32Array; shape: readonly number[] } {
  const out = plainFloat32Array(data);
  if (out === null) throw new SETypeError(`${fn}: ${ofOp('data', op)} must be a Float32Array but got ${describeValue(data)}`);
  let outShape: readonly number[];
  let size = 1;
  if (typeof shape === 'object' && shape !== null && FROZEN_SHAPES.has(shape as readonly number[])) {
    // A variable's shape: checked when that variable was made, and frozen since.
    outShape = shape as readonly number[];
    for (let k = 0; k < outShape.length; k++) size *= outShape[k];
  } else {
    const dims = readArray(fn, 'shape', op, shape, MAX_RANK);
    for (let k = 0; k < dims.length; k++) {
      const d = dims[k];
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d <= 0) {
        throw new SEShapeError(`${fn}: ${ofOp(`shape[${k}]`, op)} must be a positive integer but is ${describeValue(d)}`);
      }
      size *= d;
    }
    const checked = dims as number[];
    if (!Number.isSafeInteger(size)) {
      throw new SEShapeError(`${fn}: ${ofOp('shape', op)} is ${formatShape(checked)}, ${size} elements, more than can be counted exactly`);
    }
    outShape = frozenShape(checked);
  }
  if (out.length !== size) {
    throw new SEShapeError(`${fn}: ${ofOp('data', op)} has length ${out.length} but shape ${formatShape(outShape)} needs ${size}`);
  }
  return { out, shape: outShape };
}

/** An op's saved list for {@link Tape.record}, read once: typed arrays only (the list is copied, the arrays are not). */
export function readSaved(fn: string, op: string, saved: unknown): SavedArray[] {
  const keep = readArray(fn, 'saved', op, saved, MAX_LIST);
  for (let k = 0; k < keep.length; k++) {
    if (!isTypedArray(keep[k])) {
      throw new SETypeError(`${fn}: ${ofOp(`saved[${k}]`, op)} must be a typed array (such as a Float32Array) but got ${describeValue(keep[k])}`);
    }
  }
  return keep as SavedArray[];
}

/**
 * The gradient a backward starts from, a fresh array: 1 for a one-element loss without `seed`, else
 * a copy of `seed`, which must have exactly the loss's shape.
 */
export function startGradient(fn: string, loss: Variable, seed: FloatTensor | undefined): Float32Array {
  if (seed === undefined) {
    if (loss.size !== 1) {
      throw new SEShapeError(`${fn}: loss has shape ${formatShape(loss.shape)}; without a seed it must have one element`);
    }
    const start = new Float32Array(1);
    start[0] = 1;
    return start;
  }
  const st = checkTensor(fn, 'seed', seed, 0, MAX_RANK);
  if (!sameShape(st.shape, loss.shape)) {
    throw new SEShapeError(
      `${fn}: seed has shape ${formatShape(st.shape)} but loss has shape ${formatShape(loss.shape)}; the seed must have exactly the loss's shape`,
    );
  }
  const dense = denseOf(fn, 'seed', st);
  if (!dense.shared) return dense.data;
  const start = new Float32Array(st.size);
  start.set(dense.data);
  return start;
}

/**
 * What a backward returned, read once and checked: an array with an entry per input, a
 * Float32Array of the input's size where the input needs a gradient. Returns the entries.
 */
export function checkGradients(fn: string, rec: TapeRecord, r: number, nRecords: number, result: unknown): Float32Array[] {
  const entries = gradientList(fn, rec, r, nRecords, result);
  const grads = new Array<Float32Array>(rec.inputs.length);
  for (let k = 0; k < rec.inputs.length; k++) {
    if (rec.inputs[k].requiresGrad) grads[k] = gradientOf(fn, rec, r, nRecords, k, entries[k]);
  }
  return grads;
}

/** The list a backward returned, copied: an array of at least one entry per input (entries past the last input null or undefined). */
function gradientList(fn: string, rec: TapeRecord, r: number, nRecords: number, result: unknown): unknown[] {
  const n = rec.inputs.length;
  const expected = (): string =>
    `an array of ${count(n, 'gradient')}, one per input (a Float32Array of the input's size, or null where needs[k] is false)`;
  let array: boolean;
  try {
    array = Array.isArray(result);
  } catch {
    array = false;
  }
  if (!array) {
    const hint = isRealFloat32Array(result) ? '; wrap a single gradient in an array: [gradient]' : '';
    throw new SETypeError(`${fn}: ${backwardLabel(rec, r, nRecords)} returned ${describeValue(result)}; expected ${expected()}${hint}`);
  }
  const entries = readArray(fn, () => `what ${backwardLabel(rec, r, nRecords)} returned`, null, result, MAX_LIST);
  // Entries past the last input are tolerated only when null or undefined (an op with an
  // optional input, such as linear's bias, may list a null for it when it is absent).
  let extra = false;
  for (let k = n; k < entries.length; k++) if (entries[k] !== null && entries[k] !== undefined) extra = true;
  if (entries.length < n || extra) {
    throw new SEShapeError(`${fn}: ${backwardLabel(rec, r, nRecords)} returned ${count(entries.length, 'gradient')} for ${count(n, 'input')}; expected ${expected()}`);
  }
  return entries;
}

/** The entry `g` a backward returned for input `k`, which needs a gradient: a Float32Array of the input's size. */
function gradientOf(fn: string, rec: TapeRecord, r: number, nRecords: number, k: number, g: unknown): Float32Array {
  const input = rec.inputs[k];
  const length = float32Length(g);
  if (length < 0) {
    const why = g === null || g === undefined ? ', which needs one (return zeros if the output does not depend on it)' : '';
    throw new SETypeError(
      `${fn}: ${backwardLabel(rec, r, nRecords)} returned ${describeValue(g)} as the gradient of ${inputLabel(k, input)}${why}; expected a Float32Array(${input.size})`,
    );
  }
  if (length !== input.size) {
    throw new SEShapeError(
      `${fn}: ${backwardLabel(rec, r, nRecords)} returned a Float32Array(${length}) as the gradient of ${inputLabel(k, input)}; expected a Float32Array(${input.size})`,
    );
  }
  return g as Float32Array;
}
