/**
 * The views the writer takes (`{ data, shape, stride?, offset? }` over any typed array, dims may be
 * 0): their check, through tensor.ts's `viewSpan` like every view of the library, and their
 * row-major bytes.
 */
import { isNonNegativeInt } from '../../arguments.js';
import { SEShapeError, SETypeError, describeValue, shapeText } from '../../errors.js';
import { rowMajorStrides, viewSpan } from '../../tensor.js';

/** A checked view. */
export interface CheckedView {
  shape: number[];
  stride: number[];
  offset: number;
  /** The element count. */
  count: number;
  /** Whether the view is dense row-major (an empty view counts as dense). */
  contiguous: boolean;
}

/** The row-major element bytes (native order) of a checked view: a subarray when contiguous, else a gathered copy. */
export function denseElementBytes(src: Uint8Array, size: number, shape: readonly number[], stride: readonly number[], offset: number, contiguous: boolean): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (contiguous) return src.subarray(offset * size, (offset + count) * size);
  const out = new Uint8Array(count * size);
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let pos = offset;
  for (let i = 0; i < count; i++) {
    const from = pos * size;
    for (let b = 0; b < size; b++) out[i * size + b] = src[from + b];
    for (let ax = rank - 1; ax >= 0; ax--) {
      index[ax]++;
      pos += stride[ax];
      if (index[ax] < shape[ax]) break;
      pos -= stride[ax] * shape[ax];
      index[ax] = 0;
    }
  }
  return out;
}

/** The strides of a view over `shape`: given (one safe integer per dim), or row-major when absent. */
function readStride(fn: string, label: string, shape: number[], strideRaw: unknown): number[] {
  if (strideRaw === undefined || strideRaw === null) return rowMajorStrides(shape);
  const rank = shape.length;
  if (!Array.isArray(strideRaw) || strideRaw.length !== rank) {
    throw new SEShapeError(`${fn}: ${label}.stride must be an array of ${rank} integers but got ${describeValue(strideRaw)}`);
  }
  const stride: number[] = [];
  for (let k = 0; k < rank; k++) {
    const s: unknown = strideRaw[k];
    if (typeof s !== 'number' || !Number.isSafeInteger(s)) throw new SEShapeError(`${fn}: ${label}.stride[${k}] must be an integer but is ${describeValue(s)}`);
    stride.push(s);
  }
  return stride;
}

/** Checks a view `{shape, stride?, offset?}` over `length` elements; dims may be 0. */
export function checkView(
  fn: string,
  label: string,
  length: number,
  shapeRaw: unknown,
  strideRaw: unknown,
  offsetRaw: unknown,
): CheckedView {
  if (!Array.isArray(shapeRaw)) {
    throw new SETypeError(`${fn}: ${label}.shape must be an array of non-negative integers but got ${describeValue(shapeRaw)}`);
  }
  const shape: number[] = [];
  let count = 1;
  for (let k = 0; k < shapeRaw.length; k++) {
    const d: unknown = shapeRaw[k];
    if (!isNonNegativeInt(d)) throw new SEShapeError(`${fn}: ${label}.shape[${k}] must be a non-negative integer but is ${describeValue(d)}`);
    shape.push(d);
    count *= d;
  }
  if (!Number.isSafeInteger(count)) {
    throw new SEShapeError(`${fn}: ${label} with shape ${shapeText(shape)} has ${count} elements, more than can be counted exactly`);
  }
  const stride = readStride(fn, label, shape, strideRaw);
  let offset = 0;
  if (offsetRaw !== undefined && offsetRaw !== null) {
    if (!isNonNegativeInt(offsetRaw)) throw new SEShapeError(`${fn}: ${label}.offset must be a non-negative integer but is ${describeValue(offsetRaw)}`);
    offset = offsetRaw;
  }
  const { lo, hi, contiguous } = viewSpan(shape, stride, offset, { lo: 0, hi: 0, contiguous: true });
  if (count > 0 && (lo < 0 || hi >= length)) {
    throw new SEShapeError(
      `${fn}: ${label} with shape ${shapeText(shape)}, stride ${shapeText(stride)} and offset ${offset} ` +
        `addresses data[${lo}..${hi}] but ${label}.data has length ${length}`,
    );
  }
  return { shape, stride, offset, count, contiguous: contiguous || count === 0 };
}
