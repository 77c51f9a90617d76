/**
 * The dtypes of the safetensors format as one table: per dtype its size, what it is called in torch,
 * the typed array its elements live in, how a file's bytes decode into what {@link readSafetensors}
 * returns, and how the writer encodes float values into it. Reading and writing are driven by this
 * table; adding a dtype is one entry here (plus its name in {@link SafetensorsDtype}).
 */
import { typedArrayBuffer, typedArrayByteOffset, typedArrayLength } from '../../intrinsics.js';
import { hasOwn } from '../../arguments.js';
import { BF16_FORMAT, F16_FORMAT, decodeBF16, decodeF16, decodeF8, encodeFloat16Bits, type Float8Dtype, type MiniFloat } from './minifloat.js';
import type { SafetensorsDtype } from './types.js';

/** What a decoded tensor holds: float32 values (F8 to F64, C64's pairs), an integer typed array, or raw bytes. */
export type DecodedData = Float32Array | BigInt64Array | BigUint64Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

/** One dtype of the format. */
export interface DtypeInfo {
  /** Bits per element (4 and 6 for the packed floats). */
  bits: number;
  /**
   * What reading makes of it: `float` a FloatTensor of float32s; `complex` float32 (real, imaginary)
   * pairs with a trailing dim of 2; `integer` its typed array; `packed` the raw bytes, undecoded
   * (the format does not say how sub-byte elements are packed).
   */
  family: 'float' | 'complex' | 'integer' | 'packed';
  /** torch's name of the dtype (`torch.<name>`), or null where torch has none. */
  torch: string | null;
  /**
   * The typed array (its engine name) whose elements are this dtype's, byte for byte in native
   * order: what the writer copies without converting (F16/BF16 live in Uint16Array, whose
   * elements no caller's data is, so they are always converted).
   */
  array: string;
  /** The scijs ndarray `dtype` name, on the dtype that `array` is stored as by default. */
  scijs?: string;
  /** Decodes `n` elements from the tensor's bytes (little-endian) into a fresh array. */
  read(bytes: Uint8Array, n: number): DecodedData;
  /** Float dtypes the writer converts into: writes `values` (row-major; C64: pairs) at `out[p]`. */
  encode?(values: Float32Array | Float64Array, out: Uint8Array, p: number): void;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Copies `byteLength` bytes of whole elements of `size` bytes between little-endian file bytes and
 * native-order typed-array bytes (the same as a plain copy on little-endian platforms; each element's
 * bytes reversed on big-endian ones, in either direction).
 */
export function copyElements(dst: Uint8Array, dstStart: number, src: Uint8Array, srcStart: number, byteLength: number, size: number): void {
  if (LITTLE_ENDIAN || size === 1) {
    dst.set(src.subarray(srcStart, srcStart + byteLength), dstStart);
    return;
  }
  for (let p = 0; p < byteLength; p += size) {
    for (let k = 0; k < size; k++) dst[dstStart + p + k] = src[srcStart + p + size - 1 - k];
  }
}

/**
 * The bytes of a typed array whose elements have `elementSize` bytes, as a plain Uint8Array over the
 * same memory, by its internal slots (a subclass or a Node Buffer cannot redirect them).
 */
export function bytesOf(a: ArrayBufferView, elementSize: number): Uint8Array {
  return new Uint8Array(typedArrayBuffer(a) ?? new ArrayBuffer(0), typedArrayByteOffset(a), typedArrayLength(a) * elementSize);
}

/** A typed array constructor that takes a length. */
type Make<T> = new (n: number) => T;

/** A reader that copies the little-endian bytes into a fresh `Ctor` array of `lanes` elements per element. */
function copyInto<T extends DecodedData | Float64Array>(Ctor: Make<T> & { BYTES_PER_ELEMENT: number }, lanes = 1): (bytes: Uint8Array, n: number) => T {
  return (bytes, n) => {
    const data = new Ctor(n * lanes);
    copyElements(new Uint8Array(data.buffer), 0, bytes, 0, bytes.length, Ctor.BYTES_PER_ELEMENT);
    return data;
  };
}

/** Writes float values converted to the element type of `Ctor` (float32 or float64), little-endian. */
function encodeAs(Ctor: Make<Float32Array | Float64Array>): (values: Float32Array | Float64Array, out: Uint8Array, p: number) => void {
  return (values, out, p) => {
    const converted = new Ctor(values.length);
    converted.set(values);
    copyElements(out, p, new Uint8Array(converted.buffer), 0, converted.byteLength, converted.BYTES_PER_ELEMENT);
  };
}

const readF32 = copyInto(Float32Array);
const readF64 = copyInto(Float64Array);
const readU16 = copyInto(Uint16Array);
const rawBytes = (bytes: Uint8Array): Uint8Array => bytes.slice();

/** F16 or BF16: 16-bit patterns, decoded by `decode`, written rounded to `format`. */
function half(torch: string, decode: (bits: Uint16Array) => Float32Array, format: MiniFloat): DtypeInfo {
  return {
    bits: 16,
    family: 'float',
    torch,
    array: 'Uint16Array',
    read: (b, n) => decode(readU16(b, n)),
    encode: (values, out, p) => encodeFloat16Bits(values, format, out, p),
  };
}

/** An 8-bit float: read through its table of 256 values, never written (see SAFETENSORS_WRITE_DTYPES). */
function float8(dtype: Float8Dtype, torch: string): DtypeInfo {
  return { bits: 8, family: 'float', torch, array: 'Uint8Array', read: (b) => decodeF8(b, dtype) };
}

/** Every dtype, in the reference implementation's order (increasing alignment): the writer sorts by it. */
export const DTYPES: Readonly<Record<SafetensorsDtype, DtypeInfo>> = {
  BOOL: { bits: 8, family: 'integer', torch: 'bool', array: 'Uint8Array', read: rawBytes },
  F4: { bits: 4, family: 'packed', torch: 'float4_e2m1fn_x2', array: 'Uint8Array', read: rawBytes },
  F6_E2M3: { bits: 6, family: 'packed', torch: null, array: 'Uint8Array', read: rawBytes },
  F6_E3M2: { bits: 6, family: 'packed', torch: null, array: 'Uint8Array', read: rawBytes },
  U8: { bits: 8, family: 'integer', torch: 'uint8', array: 'Uint8Array', scijs: 'uint8', read: rawBytes },
  I8: { bits: 8, family: 'integer', torch: 'int8', array: 'Int8Array', scijs: 'int8', read: copyInto(Int8Array) },
  F8_E5M2: float8('F8_E5M2', 'float8_e5m2'),
  F8_E4M3: float8('F8_E4M3', 'float8_e4m3fn'),
  F8_E8M0: float8('F8_E8M0', 'float8_e8m0fnu'),
  F8_E4M3FNUZ: float8('F8_E4M3FNUZ', 'float8_e4m3fnuz'),
  F8_E5M2FNUZ: float8('F8_E5M2FNUZ', 'float8_e5m2fnuz'),
  I16: { bits: 16, family: 'integer', torch: 'int16', array: 'Int16Array', scijs: 'int16', read: copyInto(Int16Array) },
  U16: { bits: 16, family: 'integer', torch: 'uint16', array: 'Uint16Array', scijs: 'uint16', read: readU16 },
  F16: half('float16', decodeF16, F16_FORMAT),
  BF16: half('bfloat16', decodeBF16, BF16_FORMAT),
  I32: { bits: 32, family: 'integer', torch: 'int32', array: 'Int32Array', scijs: 'int32', read: copyInto(Int32Array) },
  U32: { bits: 32, family: 'integer', torch: 'uint32', array: 'Uint32Array', scijs: 'uint32', read: copyInto(Uint32Array) },
  F32: { bits: 32, family: 'float', torch: 'float32', array: 'Float32Array', scijs: 'float32', read: readF32, encode: encodeAs(Float32Array) },
  C64: { bits: 64, family: 'complex', torch: 'complex64', array: 'Float32Array', read: copyInto(Float32Array, 2), encode: encodeAs(Float32Array) },
  F64: {
    bits: 64,
    family: 'float',
    torch: 'float64',
    array: 'Float64Array',
    scijs: 'float64',
    // Rounded to the nearest float32 (overflowing to ±Infinity).
    read: (b, n) => {
      const data = new Float32Array(n);
      data.set(readF64(b, n));
      return data;
    },
    encode: encodeAs(Float64Array),
  },
  I64: { bits: 64, family: 'integer', torch: 'int64', array: 'BigInt64Array', scijs: 'bigint64', read: copyInto(BigInt64Array) },
  U64: { bits: 64, family: 'integer', torch: 'uint64', array: 'BigUint64Array', scijs: 'biguint64', read: copyInto(BigUint64Array) },
};

/** Every dtype, in the table's order. */
export const ALL_DTYPES = Object.keys(DTYPES) as SafetensorsDtype[];

/** Every dtype of the format, all of which {@link readSafetensors} reads (see {@link SafetensorsEntry}). */
export const SAFETENSORS_READ_DTYPES: readonly SafetensorsDtype[] = ALL_DTYPES.slice();

/**
 * The dtypes {@link writeSafetensors} writes: every dtype but the 8-bit floats (whose rounding and
 * overflow rules differ between libraries; write them as F16/BF16/F32, or as their raw bits in U8).
 */
export const SAFETENSORS_WRITE_DTYPES: readonly SafetensorsDtype[] = ALL_DTYPES.filter((d) => !d.startsWith('F8_'));

/** Whether `v` names a dtype of the format. */
export function isDtype(v: unknown): v is SafetensorsDtype {
  return typeof v === 'string' && hasOwn(DTYPES, v);
}

/** The dtype an array (by engine name) is stored as without a `dtype`, and its scijs name; undefined for an array the writer does not take. */
export function defaultDtype(arrayName: string): { dtype: SafetensorsDtype; scijs: string } | undefined {
  const dtype = ALL_DTYPES.find((d) => DTYPES[d].array === arrayName && DTYPES[d].scijs !== undefined);
  return dtype === undefined ? undefined : { dtype, scijs: DTYPES[dtype].scijs ?? '' };
}

/** The index of the first byte of `bytes` that is not a BOOL (0 or 1), or -1. */
export function firstNonBool(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 1) return i;
  return -1;
}
