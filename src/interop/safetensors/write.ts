/** Writing a safetensors file: each tensor checked and planned (./view.ts, ./dtypes.ts), then laid out as the reference does. */
import { SEOptionError, SEShapeError, SETypeError, describeValue, quoted, shapeText } from '../../errors.js';
import { typedArrayName } from '../../intrinsics.js';
import { ALL_DTYPES, DTYPES, SAFETENSORS_WRITE_DTYPES, bytesOf, copyElements, defaultDtype, firstNonBool, isDtype, type DtypeInfo } from './dtypes.js';
import { SAFETENSORS_MAX_HEADER_BYTES, isPlainObject, setOwn } from './header.js';
import { checkView, denseElementBytes } from './view.js';
import type { SafetensorsDtype, SafetensorsWriteTensor } from './types.js';

// The platform's UTF-8 encoder (see header.ts for its decoder).
declare const TextEncoder: new () => { encode(input: string): Uint8Array };

/** `tensors["name"]` for error messages (long names cut). */
function tensorLabel(name: string): string {
  return `tensors[${quoted(name, 80)}]`;
}

/**
 * `v` with a `Map` copied into a fresh object of own properties (its keys must be strings), so a
 * Map is written as the entries it holds, never as an empty object. Other values are returned as
 * they are, for the caller's own check.
 */
function mapAsObject<T>(fn: string, what: string, v: unknown): unknown {
  if (!(v instanceof Map)) return v;
  const out: Record<string, T> = {};
  for (const [key, value] of v as Map<unknown, T>) {
    if (typeof key !== 'string') throw new SETypeError(`${fn}: ${what} is a Map whose keys must be strings but one is ${describeValue(key)}`);
    setOwn(out, key, value);
  }
  return out;
}

/** Orders strings by Unicode code point (the order of their UTF-8 bytes, as the reference sorts names). */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) ?? 0;
    const y = b.codePointAt(i) ?? 0;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** One tensor checked and ready to write. */
interface WritePlan {
  name: string;
  dtype: SafetensorsDtype;
  /** The shape written in the header. */
  shape: number[];
  /** Its data in the file, in bytes. */
  byteLength: number;
  /** Writes the data at `out[p]`. */
  write(out: Uint8Array, p: number): void;
}

/** The dtype a tensor is written as: its `dtype`, or its array's default; checked writable and able to come from the array `kind`. */
function writeDtype(fn: string, label: string, kind: string, natural: { dtype: SafetensorsDtype; scijs: string }, dtypeRaw: unknown, data: unknown): SafetensorsDtype {
  let dtype: SafetensorsDtype;
  if (dtypeRaw === undefined || dtypeRaw === null || dtypeRaw === natural.scijs) {
    dtype = natural.dtype;
  } else if (!isDtype(dtypeRaw)) {
    throw new SEOptionError(`${fn}: ${label}.dtype must be one of ${SAFETENSORS_WRITE_DTYPES.join(', ')} but is ${describeValue(dtypeRaw)}`);
  } else {
    dtype = dtypeRaw;
  }
  if (!SAFETENSORS_WRITE_DTYPES.includes(dtype)) {
    throw new SEOptionError(
      `${fn}: ${label}.dtype ${dtype} cannot be written (8-bit float rounding differs between libraries); ` +
        `writable dtypes are ${SAFETENSORS_WRITE_DTYPES.join(', ')}`,
    );
  }
  const d = DTYPES[dtype];
  const fromFloats = d.family === 'float' || d.family === 'complex';
  if (fromFloats ? kind !== 'Float32Array' && kind !== 'Float64Array' : kind !== d.array) {
    const needs = fromFloats ? 'a Float32Array or Float64Array' : `${d.array.startsWith('I') ? 'an' : 'a'} ${d.array}`;
    throw new SETypeError(`${fn}: ${label}.dtype is ${dtype}, which needs ${needs}, but ${label}.data is ${describeValue(data)}`);
  }
  return dtype;
}

/** Plans a sub-byte tensor, written from its raw bytes as they are. */
function planPacked(fn: string, label: string, name: string, dtype: SafetensorsDtype, src: Uint8Array, t: Record<string, unknown>): WritePlan {
  if ((t.stride !== undefined && t.stride !== null) || (t.offset !== undefined && t.offset !== null)) {
    throw new SEOptionError(`${fn}: ${label} has dtype ${dtype}, written from raw bytes: give data and shape only, without stride or offset`);
  }
  const { shape, count } = checkView(fn, label, Infinity, t.shape, undefined, undefined);
  const bits = DTYPES[dtype].bits;
  const need = (count * bits) / 8;
  if (need !== src.length) {
    throw new SEShapeError(
      `${fn}: ${label} has dtype ${dtype} (${bits} bits per element) and shape ${shapeText(shape)}, which needs ` +
        `${Number.isInteger(need) ? need : `${need} (not a whole number of)`} bytes, but ${label}.data has ${src.length} bytes`,
    );
  }
  const raw = src.slice();
  return { name, dtype, shape, byteLength: raw.length, write: (out, p) => out.set(raw, p) };
}

/** The shape written in the header: the view's, without C64's trailing dim of 2 (real, imaginary). */
function headerShape(fn: string, label: string, d: DtypeInfo, shape: number[]): number[] {
  if (d.family !== 'complex') return shape;
  if (shape.length === 0 || shape[shape.length - 1] !== 2) {
    throw new SEShapeError(`${fn}: ${label} has dtype C64, which needs a last dim of 2 (real, imaginary), but has shape ${shapeText(shape)}`);
  }
  return shape.slice(0, -1);
}

/** Checks one tensor argument of writeSafetensors (each property read once) and plans how to write it. */
function planTensor(fn: string, name: string, t: unknown): WritePlan {
  const label = tensorLabel(name);
  if (t === null || typeof t !== 'object') {
    throw new SETypeError(`${fn}: ${label} must be a tensor {data, shape, stride?, offset?, dtype?} but got ${describeValue(t)}`);
  }
  const { data, shape: shapeRaw, stride: strideRaw, offset: offsetRaw, dtype: dtypeRaw } = t as Record<string, unknown>;
  const kind = typedArrayName(data);
  const natural = kind === undefined ? undefined : defaultDtype(kind);
  if (kind === undefined || natural === undefined) {
    throw new SETypeError(
      `${fn}: ${label}.data must be a Float32Array, Float64Array, BigInt64Array, BigUint64Array, Int32Array, Uint32Array, ` +
        `Int16Array, Uint16Array, Int8Array or Uint8Array but got ${describeValue(data)}`,
    );
  }
  const dtype = writeDtype(fn, label, kind, natural, dtypeRaw, data);
  const d = DTYPES[dtype];
  const size = DTYPES[natural.dtype].bits / 8;
  const src = bytesOf(data as ArrayBufferView, size);
  if (d.family === 'packed') return planPacked(fn, label, name, dtype, src, { shape: shapeRaw, stride: strideRaw, offset: offsetRaw });
  const view = checkView(fn, label, src.length / size, shapeRaw, strideRaw, offsetRaw);
  const shape = headerShape(fn, label, d, view.shape);
  let dense = denseElementBytes(src, size, view.shape, view.stride, view.offset, view.contiguous);
  if (dtype === 'BOOL') {
    // Checked on a copy of our own, so that a getter of a later tensor cannot change what was checked.
    if (view.contiguous) dense = dense.slice();
    const i = firstNonBool(dense);
    if (i >= 0) throw new SETypeError(`${fn}: ${label} has dtype BOOL but its element ${i} (row-major) is ${dense[i]}; BOOL elements are 0 or 1`);
  }
  const n = view.count;
  const byteLength = (n * d.bits) / 8 / (d.family === 'complex' ? 2 : 1);
  if (d.array === kind) return { name, dtype, shape, byteLength, write: (out, p) => copyElements(out, p, dense, 0, dense.length, size) };
  // A float conversion: F32/C64 <- float64, F64 <- float32, F16/BF16 <- either.
  const values = kind === 'Float32Array' ? new Float32Array(dense.buffer, dense.byteOffset, n) : new Float64Array(dense.buffer, dense.byteOffset, n);
  const encode = d.encode;
  if (encode === undefined) throw new SETypeError(`${fn}: ${label}.dtype ${dtype} cannot be written from ${kind}`); // unreachable: writeDtype checked
  return { name, dtype, shape, byteLength, write: (out, p) => encode(values, out, p) };
}

/**
 * Writes tensors as a safetensors file, laid out as the reference implementation lays it out: the
 * JSON header (with `__metadata__` first when given) padded with spaces to a multiple of 8 bytes,
 * then each tensor's data, dense row-major little-endian, ordered by decreasing dtype alignment
 * (U64, I64, F64, C64, F32, ...) and then by name, so that every tensor starts aligned to its
 * element size. For F32 tensors and a metadata map of at most one key the bytes are exactly the
 * reference's.
 *
 * Each tensor is a view (any strides: a transposed scijs ndarray is written densely) with an
 * optional `dtype` (see {@link SafetensorsWriteTensor}); without one, the array's type decides:
 * - Float32Array or Float64Array data may be written as F32, F64, F16 or BF16, each rounded once to
 *   nearest with ties to even (overflow to ±Infinity, subnormals kept, -0 kept, every NaN written as
 *   the positive quiet NaN), or as C64 from a last dim of 2 (real, imaginary);
 * - integer typed arrays as their own dtype (BigInt64Array as I64, ...), a Uint8Array of 0s and 1s
 *   as BOOL, raw bytes as F4/F6 (see {@link SafetensorsPackedEntry}).
 * The 8-bit float dtypes are refused. Everything {@link readSafetensors} returns writes back, and
 * reads back identical (F16/BF16: the rounded values).
 * @param tensorsArg the tensors by name, an object or a Map; `__metadata__` is reserved and cannot be a name
 * @param metadataArg an optional string-to-string map (an object or a Map) stored as `__metadata__`
 * @returns the file's bytes
 * @throws SETypeError for a value that is not a tensor, an unsupported array, a dtype the array
 *   cannot hold, a BOOL element other than 0 or 1; SEShapeError for views that do not fit their
 *   data; SEOptionError for an unknown or unwritable dtype, or the name `__metadata__`
 */
export function writeSafetensors(
  tensorsArg: Readonly<Record<string, SafetensorsWriteTensor>> | ReadonlyMap<string, SafetensorsWriteTensor>,
  metadataArg?: Readonly<Record<string, string>> | ReadonlyMap<string, string>,
): Uint8Array {
  const fn = 'writeSafetensors';
  const tensors = mapAsObject<SafetensorsWriteTensor>(fn, 'tensors', tensorsArg);
  const metadata = mapAsObject<string>(fn, 'metadata', metadataArg);
  if (!isPlainObject(tensors) || tensors instanceof Set || ArrayBuffer.isView(tensors)) {
    throw new SETypeError(`${fn}: tensors must be an object of tensors by name but got ${describeValue(tensors)}`);
  }
  const names = Object.keys(tensors);
  if (names.includes('__metadata__')) {
    throw new SEOptionError(`${fn}: tensors["__metadata__"]: that name is reserved for the metadata map; pass metadata as the second argument`);
  }
  const parts = metadata === undefined || metadata === null ? [] : [metadataJson(fn, metadata)];
  const plans = names.map((name) => planTensor(fn, name, (tensors as Record<string, unknown>)[name]));
  plans.sort((a, b) => ALL_DTYPES.indexOf(b.dtype) - ALL_DTYPES.indexOf(a.dtype) || compareCodePoints(a.name, b.name));
  return layOut(fn, parts, plans);
}

/** The `"__metadata__":{...}` member of the header, keys in code point order. */
function metadataJson(fn: string, metadata: unknown): string {
  if (!isPlainObject(metadata)) {
    throw new SETypeError(`${fn}: metadata must be an object of strings but got ${describeValue(metadata)}`);
  }
  const entries: string[] = [];
  for (const key of Object.keys(metadata).sort(compareCodePoints)) {
    const value: unknown = metadata[key];
    if (typeof value !== 'string') {
      throw new SETypeError(`${fn}: metadata[${quoted(key, 80)}] must be a string but is ${describeValue(value)}`);
    }
    entries.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
  }
  return `"__metadata__":{${entries.join(',')}}`;
}

/** The file: the header (`parts` then one member per plan, in order), padded with spaces to 8 bytes, then each plan's data. */
function layOut(fn: string, parts: string[], plans: readonly WritePlan[]): Uint8Array {
  let dataLength = 0;
  for (const plan of plans) {
    parts.push(
      `${JSON.stringify(plan.name)}:{"dtype":"${plan.dtype}","shape":[${plan.shape.join(',')}],` +
        `"data_offsets":[${dataLength},${dataLength + plan.byteLength}]}`,
    );
    dataLength += plan.byteLength;
  }
  // Built by hand rather than with JSON.stringify of an object, which would move integer-like names first.
  const header = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(header.length / 8) * 8;
  if (headerLength > SAFETENSORS_MAX_HEADER_BYTES) {
    throw new SEShapeError(`${fn}: the header would be ${headerLength} bytes, more than the ${SAFETENSORS_MAX_HEADER_BYTES} a reader accepts`);
  }
  let out: Uint8Array;
  try {
    out = new Uint8Array(8 + headerLength + dataLength);
  } catch {
    throw new SEShapeError(`${fn}: the file would be ${8 + headerLength + dataLength} bytes, more than this engine can allocate in one array`);
  }
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength, true);
  view.setUint32(4, 0, true);
  out.set(header, 8);
  out.fill(0x20, 8 + header.length, 8 + headerLength);
  let p = 8 + headerLength;
  for (const plan of plans) {
    plan.write(out, p);
    p += plan.byteLength;
  }
  return out;
}
