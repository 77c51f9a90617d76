/**
 * Tensors at the public boundary: the `FloatTensor` view type every public call accepts,
 * its validation, and the strided-to-dense copy used when a view is not contiguous.
 */
import { SEShapeError, SETypeError, describeValue } from './errors.js';

/**
 * A strided view of float32 data; any scijs ndarray satisfies it.
 * Element `(i0, i1, ...)` lives at `offset + i0 * stride[0] + i1 * stride[1] + ...`.
 */
export interface FloatTensor {
  /** The backing buffer. Only Float32Array is accepted. */
  data: Float32Array;
  /** Sizes of each axis; every entry a positive integer. */
  shape: readonly number[];
  /** Step in `data` per unit of each axis; row-major (C order) when absent. */
  stride?: readonly number[];
  /** Index in `data` of the first element; 0 when absent. */
  offset?: number;
}

/** A dense row-major tensor as returned by the `se-kernels/core` entry: plain data, no classes. */
export interface PlainTensor {
  data: Float32Array;
  shape: number[];
  stride: number[];
  offset: number;
}

/** A validated view: shape, strides and offset resolved, plus whether it is dense row-major. */
export interface CheckedTensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
  readonly offset: number;
  /** Number of elements (product of the shape). */
  readonly size: number;
  /** True when the view is row-major contiguous, so element i is `data[offset + i]`. */
  readonly contiguous: boolean;
}

/** Row-major strides of `shape`. */
export function rowMajorStrides(shape: readonly number[]): number[] {
  const stride = new Array<number>(shape.length);
  let step = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    stride[k] = step;
    step *= shape[k];
  }
  return stride;
}

/** Product of the entries of `shape` (1 for a scalar shape `[]`). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (let k = 0; k < shape.length; k++) n *= shape[k];
  return n;
}

/** `[2, 3, 4]` for error messages. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function isIntArrayLike(v: unknown): v is readonly number[] {
  return Array.isArray(v);
}

/** True for a Float32Array, including one from another realm (an iframe, a vm context). */
export function isFloat32Array(v: unknown): v is Float32Array {
  return v instanceof Float32Array || (ArrayBuffer.isView(v) && (v as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'Float32Array');
}

const EMPTY = new Float32Array(0);

/**
 * A validated view whose fields are overwritten by each {@link inspectTensor} call that reuses it,
 * so a workspace can validate its inputs without allocating (its arrays are replaced only when
 * the rank changes).
 */
export class TensorView implements CheckedTensor {
  data: Float32Array = EMPTY;
  shape: number[] = [];
  stride: number[] = [];
  offset = 0;
  size = 0;
  contiguous = true;
}

/**
 * Checks that `t` is a well-formed FloatTensor of rank within `[minRank, maxRank]` whose every
 * addressed element lies inside `t.data`, and resolves its strides and offset into `into`.
 * Throws SETypeError / SEShapeError naming `fn` and `name` otherwise (before writing `into`).
 */
export function inspectTensor(into: TensorView, fn: string, name: string, t: unknown, minRank = 0, maxRank = 8): TensorView {
  if (t === null || typeof t !== 'object') {
    throw new SETypeError(`${fn}: ${name} must be a tensor {data, shape, stride?, offset?} but got ${describeValue(t)}`);
  }
  const view = t as { data?: unknown; shape?: unknown; stride?: unknown; offset?: unknown };
  const data = view.data;
  if (!isFloat32Array(data)) {
    throw new SETypeError(`${fn}: ${name}.data must be a Float32Array but got ${describeValue(data)}`);
  }
  const shape = view.shape;
  if (!isIntArrayLike(shape)) {
    throw new SETypeError(`${fn}: ${name}.shape must be an array of integers but got ${describeValue(shape)}`);
  }
  const rank = shape.length;
  if (rank < minRank || rank > maxRank) {
    const expected = minRank === maxRank ? `${minRank}` : `${minRank} to ${maxRank}`;
    throw new SEShapeError(`${fn}: ${name} must have rank ${expected} but has shape ${formatShape(shape)} (rank ${rank})`);
  }
  let size = 1;
  for (let k = 0; k < rank; k++) {
    const d = shape[k];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d <= 0) {
      throw new SEShapeError(`${fn}: ${name}.shape[${k}] must be a positive integer but is ${describeValue(d)}`);
    }
    size *= d;
  }
  if (!Number.isSafeInteger(size)) {
    throw new SEShapeError(`${fn}: ${name} with shape ${formatShape(shape)} has ${size} elements, more than can be counted exactly`);
  }
  const given = view.stride;
  const hasStride = given !== undefined && given !== null;
  if (hasStride) {
    if (!isIntArrayLike(given) || given.length !== rank) {
      throw new SEShapeError(`${fn}: ${name}.stride must be an array of ${rank} integers but got ${describeValue(given)}`);
    }
    for (let k = 0; k < rank; k++) {
      if (typeof given[k] !== 'number' || !Number.isSafeInteger(given[k])) {
        throw new SEShapeError(`${fn}: ${name}.stride[${k}] must be an integer but is ${describeValue(given[k])}`);
      }
    }
  }
  let offset = 0;
  if (view.offset !== undefined && view.offset !== null) {
    const o = view.offset;
    if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0) {
      throw new SEShapeError(`${fn}: ${name}.offset must be a non-negative integer but is ${describeValue(o)}`);
    }
    offset = o;
  }
  // Reach of the view and whether it is row-major contiguous, without building arrays.
  let lo = offset;
  let hi = offset;
  let contiguous = true;
  let dense = 1;
  for (let k = rank - 1; k >= 0; k--) {
    const st = hasStride ? given[k] : dense;
    const reach = st * (shape[k] - 1);
    if (reach < 0) lo += reach;
    else hi += reach;
    if (shape[k] !== 1 && st !== dense) contiguous = false;
    dense *= shape[k];
  }
  if (lo < 0 || hi >= data.length) {
    const stride = hasStride ? given : rowMajorStrides(shape);
    throw new SEShapeError(
      `${fn}: ${name} with shape ${formatShape(shape)}, stride ${formatShape(stride)} and offset ${offset} ` +
        `addresses data[${lo}..${hi}] but ${name}.data has length ${data.length}`,
    );
  }
  if (into.shape.length !== rank) {
    into.shape = new Array<number>(rank);
    into.stride = new Array<number>(rank);
  }
  dense = 1;
  for (let k = rank - 1; k >= 0; k--) {
    into.shape[k] = shape[k];
    into.stride[k] = hasStride ? given[k] : dense;
    dense *= shape[k];
  }
  into.data = data;
  into.offset = offset;
  into.size = size;
  into.contiguous = contiguous;
  return into;
}

/** {@link inspectTensor} into a fresh view: a validated tensor of its own. */
export function checkTensor(fn: string, name: string, t: unknown, minRank = 0, maxRank = 8): CheckedTensor {
  return inspectTensor(new TensorView(), fn, name, t, minRank, maxRank);
}

const odometer = new Int32Array(8);

/**
 * Copies the elements of a strided view into `out` in row-major order and returns `out`.
 * `out` must hold at least `t.size` elements and must not share memory with `t.data`.
 */
export function gatherDense(out: Float32Array, t: CheckedTensor): Float32Array {
  const { data, shape, stride, offset } = t;
  const rank = shape.length;
  if (rank === 0) {
    out[0] = data[offset];
    return out;
  }
  const last = rank - 1;
  const n = shape[last];
  const step = stride[last];
  odometer.fill(0);
  let base = offset;
  let o = 0;
  for (;;) {
    for (let i = 0, p = base; i < n; i++, p += step) out[o++] = data[p];
    // Odometer increment over the leading axes.
    let k = last - 1;
    while (k >= 0) {
      odometer[k]++;
      base += stride[k];
      if (odometer[k] < shape[k]) break;
      base -= stride[k] * shape[k];
      odometer[k] = 0;
      k--;
    }
    if (k < 0) return out;
  }
}

/** Wraps a dense row-major buffer as a PlainTensor. */
export function plainTensor(data: Float32Array, shape: readonly number[]): PlainTensor {
  return { data, shape: shape.slice(), stride: rowMajorStrides(shape), offset: 0 };
}

/**
 * `new Float32Array(n)`, but an engine refusal (too large for a typed array, out of memory)
 * becomes an SEShapeError naming the function and what was being allocated.
 */
export function allocFloat32(fn: string, what: string, n: number): Float32Array {
  try {
    return new Float32Array(n);
  } catch (e) {
    throw new SEShapeError(
      `${fn}: cannot allocate ${what} of ${n} float32 values (${(n * 4) / 2 ** 30} GiB): ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

const bitsF32 = new Float32Array(1);
const bitsU32 = new Uint32Array(bitsF32.buffer);

/**
 * A cheap fingerprint of `length` values of `a` from `offset`: a 32-bit FNV-1a hash of the bit
 * patterns at up to 64 evenly spaced positions plus the last one, kept to 30 bits. Used to detect buffers changed
 * between `seForward` and `seBackward`; it catches whole-buffer changes (an optimizer step, a
 * reused input buffer), not every single-element edit.
 */
export function sampleFingerprint(a: Float32Array, offset: number, length: number): number {
  let h = (0x811c9dc5 ^ length) >>> 0;
  const step = length <= 64 ? 1 : Math.floor(length / 64);
  for (let i = 0; i < length; i += step) {
    bitsF32[0] = a[offset + i];
    h = Math.imul(h ^ bitsU32[0], 0x01000193);
  }
  if (length > 0) {
    bitsF32[0] = a[offset + length - 1];
    h = Math.imul(h ^ bitsU32[0], 0x01000193);
  }
  // 30 bits: a small integer V8 keeps unboxed, so storing it allocates nothing.
  return h & 0x3fffffff;
}
