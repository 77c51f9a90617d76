/**
 * Tensors at the public boundary: the `FloatTensor` view type every public call accepts,
 * its validation, and the strided-to-dense copy used when a view is not contiguous.
 */
import { SEShapeError, SETypeError, describeValue } from './errors.js';
import { isDetachedBuffer, isRealFloat32Array, plainFloat32Array, typedArrayBuffer, typedArrayLength } from './intrinsics.js';

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

const EMPTY = new Float32Array(0);

/** True for a real Float32Array (any realm, any subclass): a Proxy around one, or an imitation, is not. */
export const isFloat32Array = isRealFloat32Array;

/**
 * `a` itself when it is a plain Float32Array of this realm, else a plain Float32Array over the same
 * memory (for a subclass, one from another realm, or one with an own `length`): the kernels then
 * see one kind of array only.
 */
export function plainFloat32(a: Float32Array): Float32Array {
  return plainFloat32Array(a) ?? a;
}

/**
 * A read-once snapshot of a FloatTensor argument. {@link TensorSnapshot.read} reads each field of
 * the caller's object exactly once (`data`, `shape` and each entry, `stride` and each entry,
 * `offset`), copies them into arrays of its own and checks the copy; {@link TensorSnapshot.checkData}
 * then checks the data array's live length, and is meant to run after every user-visible read of
 * the call, so no getter or Proxy can change what was checked before it is used. A snapshot is
 * reused by a workspace call after call (its arrays are replaced only when the rank changes).
 */
export class TensorSnapshot implements CheckedTensor {
  data: Float32Array = EMPTY;
  shape: number[] = [];
  stride: number[] = [];
  offset = 0;
  size = 0;
  contiguous = true;
  /** First and last element index the view addresses. */
  lo = 0;
  hi = 0;

  /**
   * Reads `t` (a tensor `{data, shape, stride?, offset?}` of rank `[minRank, maxRank]`) once and
   * checks everything but the data's length. Throws SETypeError / SEShapeError naming `fn` and `name`.
   */
  read(fn: string, name: string, t: unknown, minRank = 0, maxRank = 8): this {
    if (t === null || typeof t !== 'object') {
      throw new SETypeError(`${fn}: ${name} must be a tensor {data, shape, stride?, offset?} but got ${describeValue(t)}`);
    }
    const view = t as { data?: unknown; shape?: unknown; stride?: unknown; offset?: unknown };
    const data = view.data;
    const shape = view.shape;
    const stride = view.stride;
    const offset = view.offset;
    if (!isFloat32Array(data)) {
      throw new SETypeError(`${fn}: ${name}.data must be a Float32Array but got ${describeValue(data)}`);
    }
    if (!Array.isArray(shape)) {
      throw new SETypeError(`${fn}: ${name}.shape must be an array of integers but got ${describeValue(shape)}`);
    }
    const rank: unknown = shape.length;
    if (typeof rank !== 'number' || rank < minRank || rank > maxRank) {
      const expected = minRank === maxRank ? `${minRank}` : `${minRank} to ${maxRank}`;
      throw new SEShapeError(`${fn}: ${name} must have rank ${expected} but has shape ${describeValue(shape)} (rank ${describeValue(rank)})`);
    }
    if (this.shape.length !== rank) {
      this.shape = new Array<number>(rank);
      this.stride = new Array<number>(rank);
    }
    const own = this.shape;
    let size = 1;
    for (let k = 0; k < rank; k++) {
      const d: unknown = shape[k];
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d <= 0) {
        throw new SEShapeError(`${fn}: ${name}.shape[${k}] must be a positive integer but is ${describeValue(d)}`);
      }
      own[k] = d;
      size *= d;
    }
    if (!Number.isSafeInteger(size)) {
      throw new SEShapeError(`${fn}: ${name} with shape ${formatShape(own)} has ${size} elements, more than can be counted exactly`);
    }
    const hasStride = stride !== undefined && stride !== null;
    if (hasStride) {
      const strideRank: unknown = Array.isArray(stride) ? stride.length : undefined;
      if (strideRank !== rank) {
        throw new SEShapeError(`${fn}: ${name}.stride must be an array of ${rank} integers but got ${describeValue(stride)}`);
      }
      for (let k = 0; k < rank; k++) {
        const st: unknown = (stride as readonly unknown[])[k];
        if (typeof st !== 'number' || !Number.isSafeInteger(st)) {
          throw new SEShapeError(`${fn}: ${name}.stride[${k}] must be an integer but is ${describeValue(st)}`);
        }
        this.stride[k] = st;
      }
    }
    let start = 0;
    if (offset !== undefined && offset !== null) {
      if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
        throw new SEShapeError(`${fn}: ${name}.offset must be a non-negative integer but is ${describeValue(offset)}`);
      }
      start = offset;
    }
    if (!hasStride) {
      for (let k = rank - 1, dense = 1; k >= 0; k--) {
        this.stride[k] = dense;
        dense *= own[k];
      }
    }
    viewSpan(own, this.stride, start, this);
    this.data = data;
    this.offset = start;
    this.size = size;
    return this;
  }

  /**
   * Checks that every element the view addresses lies inside its data, by the data's live length,
   * and swaps a subclass or other-realm array for a plain Float32Array over the same memory.
   */
  checkData(fn: string, name: string): this {
    const length = typedArrayLength(this.data);
    if (this.lo < 0 || this.hi >= length) {
      const detached = detachedHint(this.data, length);
      throw new SEShapeError(
        `${fn}: ${name} with shape ${formatShape(this.shape)}, stride ${formatShape(this.stride)} and offset ${this.offset} ` +
          `addresses data[${this.lo}..${this.hi}] but ${name}.data has length ${length}${detached}`,
      );
    }
    this.data = plainFloat32(this.data);
    return this;
  }
}

/** The elements a strided view reaches, `[lo, hi]`, and whether it is row-major contiguous. */
export interface ViewSpan {
  lo: number;
  hi: number;
  contiguous: boolean;
}

/**
 * Fills `into` with the span of the view `offset + sum_k i_k * stride[k]` over `shape`: the
 * lowest and highest element it addresses (a negative stride reaches below the offset), and
 * whether it is dense row-major (axes of size 1 may have any stride). Returns `into`.
 */
export function viewSpan(shape: readonly number[], stride: readonly number[], offset: number, into: ViewSpan): ViewSpan {
  let lo = offset;
  let hi = offset;
  let contiguous = true;
  let dense = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    const reach = stride[k] * (shape[k] - 1);
    if (reach < 0) lo += reach;
    else hi += reach;
    if (shape[k] !== 1 && stride[k] !== dense) contiguous = false;
    dense *= shape[k];
  }
  into.lo = lo;
  into.hi = hi;
  into.contiguous = contiguous;
  return into;
}

/** ' (its buffer is detached: ...)' when `a`, of live length `length`, lost its buffer to a transfer, else ''. */
export function detachedHint(a: ArrayBufferView, length: number): string {
  return length === 0 && isDetachedBuffer(typedArrayBuffer(a)) ? ' (its buffer is detached: transferred to another thread or context)' : '';
}

/** Reads and checks a tensor argument into a snapshot of its own (see {@link TensorSnapshot}). */
export function checkTensor(fn: string, name: string, t: unknown, minRank = 0, maxRank = 8): CheckedTensor {
  return new TensorSnapshot().read(fn, name, t, minRank, maxRank).checkData(fn, name);
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
