/**
 * Reading and writing the safetensors format (https://github.com/huggingface/safetensors), with no
 * dependency and no platform API beyond typed arrays, DataView and TextDecoder/TextEncoder, so it
 * runs in Node 18+ and browsers.
 *
 * A file is: an 8-byte little-endian u64 header length N; N bytes of UTF-8 JSON
 * `{ "name": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, ...,
 *    "__metadata__": { "key": "value" } }`; then the byte buffer. Offsets count from the start of
 * the byte buffer, and tensor data is little-endian, row-major.
 *
 * Every dtype of the format is read (see {@link SafetensorsEntry} for what each becomes). Reading is
 * a little more lenient than the reference implementation: it does not insist that the tensors tile
 * the byte buffer without holes or trailing bytes (every tensor is still checked to lie inside it
 * and to have exactly the bytes its shape and dtype need). Zero-sized dims (shape `[0, 3]`) are read
 * as empty tensors. Writing produces what the reference writes: the header padded with spaces to a
 * multiple of 8 bytes, tensors ordered by decreasing dtype alignment then by name.
 */
import { isDetachedBuffer, typedArrayBuffer, typedArrayByteOffset, typedArrayLength, typedArrayName } from '../intrinsics.js';
import { SEOptionError, SEShapeError, SEStateError, SETypeError, describeValue } from '../errors.js';
import { rowMajorStrides, viewSpan } from '../tensor.js';

/** The largest header {@link readSafetensors} accepts, in bytes (the reference implementation's limit). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/**
 * A dtype of the safetensors format:
 * - floats: `F64`, `F32`, `F16` (IEEE half), `BF16` (bfloat16), and the 8-bit floats `F8_E5M2`
 *   (IEEE-like, with infinities), `F8_E4M3` (PyTorch's `float8_e4m3fn`: no infinities, max 448),
 *   `F8_E4M3FNUZ` and `F8_E5M2FNUZ` (no infinities, no -0, the pattern 0x80 is NaN), `F8_E8M0`
 *   (the OCP MX scale: 2^(bits - 127), 0xff is NaN);
 * - `C64`: complex numbers of two float32 parts;
 * - integers `I64`, `U64`, `I32`, `U32`, `I16`, `U16`, `I8`, `U8`, and `BOOL` (one byte, 0 or 1);
 * - sub-byte floats `F4` (OCP MX FP4 E2M1, 4 bits) and `F6_E2M3`, `F6_E3M2` (OCP MX FP6, 6 bits).
 */
export type SafetensorsDtype =
  | 'BOOL'
  | 'F4'
  | 'F6_E2M3'
  | 'F6_E3M2'
  | 'U8'
  | 'I8'
  | 'F8_E5M2'
  | 'F8_E4M3'
  | 'F8_E8M0'
  | 'F8_E4M3FNUZ'
  | 'F8_E5M2FNUZ'
  | 'I16'
  | 'U16'
  | 'F16'
  | 'BF16'
  | 'I32'
  | 'U32'
  | 'F32'
  | 'C64'
  | 'F64'
  | 'I64'
  | 'U64';

/** The real floating-point dtypes, which {@link readSafetensors} decodes into Float32Array. */
export type SafetensorsFloatDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'F8_E5M2' | 'F8_E4M3' | 'F8_E4M3FNUZ' | 'F8_E5M2FNUZ' | 'F8_E8M0';

/** The sub-byte dtypes, whose packing the format does not define: read and written as raw bytes. */
export type SafetensorsPackedDtype = 'F4' | 'F6_E2M3' | 'F6_E3M2';

/** The typed array each integer dtype (and BOOL) is read into and written from. */
export interface SafetensorsIntegerArrays {
  I64: BigInt64Array;
  U64: BigUint64Array;
  I32: Int32Array;
  U32: Uint32Array;
  I16: Int16Array;
  U16: Uint16Array;
  I8: Int8Array;
  U8: Uint8Array;
  /** One byte per element, 0 (false) or 1 (true). */
  BOOL: Uint8Array;
}

/**
 * A float tensor read from a file: a dense row-major FloatTensor (so it goes straight into
 * `seForward`, `loadSEParams` or any scijs code) that also says which dtype the file stored.
 * F64 values are rounded to the nearest float32 (overflowing to ±Infinity); every other float
 * dtype widens exactly.
 */
export interface SafetensorsFloatEntry {
  /** The dtype in the file. */
  dtype: SafetensorsFloatDtype;
  /** The values, one float32 per element. */
  data: Float32Array;
  /** The shape in the file (`[]` for a scalar; dims may be 0). */
  shape: number[];
  /** Row-major strides of `shape`. */
  stride: number[];
  /** Always 0. */
  offset: number;
}

/**
 * A `C64` tensor read from a file, laid out as PyTorch's `torch.view_as_real` does: a Float32Array
 * of (real, imaginary) pairs with shape `[...fileShape, 2]`.
 */
export interface SafetensorsComplexEntry {
  dtype: 'C64';
  /** Interleaved real and imaginary parts. */
  data: Float32Array;
  /** The file's shape with a trailing 2. */
  shape: number[];
  /** Row-major strides of `shape`. */
  stride: number[];
  /** Always 0. */
  offset: number;
}

/**
 * An integer or BOOL tensor read from a file, in the typed array of its dtype (see
 * {@link SafetensorsIntegerArrays}): I64 gives a BigInt64Array, U8 and BOOL a Uint8Array, and so on.
 * Values are decoded from little-endian whatever the platform's byte order.
 */
export type SafetensorsIntegerEntry = {
  [D in keyof SafetensorsIntegerArrays]: {
    dtype: D;
    data: SafetensorsIntegerArrays[D];
    /** The shape in the file (`[]` for a scalar, e.g. BatchNorm's `num_batches_tracked`). */
    shape: number[];
    /** Row-major strides of `shape`. */
    stride: number[];
    /** Always 0. */
    offset: number;
  };
}[keyof SafetensorsIntegerArrays];

/**
 * A sub-byte tensor (`F4`, `F6_E2M3`, `F6_E3M2`) read from a file: its bytes exactly as stored.
 * The format fixes the element count and bit width but not how elements are packed into bytes
 * (which nibble comes first), so these are not decoded; `data.length` is
 * `shape`'s element count times the bit width / 8, and there is no stride.
 */
export interface SafetensorsPackedEntry {
  dtype: SafetensorsPackedDtype;
  /** The raw bytes of the tensor. */
  data: Uint8Array;
  /** The element shape in the file. */
  shape: number[];
}

/**
 * One tensor as {@link readSafetensors} returns it, discriminated by `dtype`: check
 * `entry.dtype` (or use `entry.data instanceof Float32Array`) before handing an entry to code that
 * needs a FloatTensor. Every entry's data is a fresh array that shares no memory with the file.
 */
export type SafetensorsEntry = SafetensorsFloatEntry | SafetensorsComplexEntry | SafetensorsIntegerEntry | SafetensorsPackedEntry;

/** Options of {@link readSafetensors}. */
export interface ReadSafetensorsOptions {
  /**
   * Called once per tensor name, in header order, after the whole header is validated; tensors it
   * returns false for are neither decoded nor returned. Must return a boolean.
   */
  filter?: (name: string) => boolean;
}

/**
 * A tensor {@link writeSafetensors} accepts, as a view `{ data, shape, stride?, offset? }` plus an
 * optional `dtype` to store it as. Without `dtype`, the array's type decides (Float32Array -> F32,
 * Float64Array -> F64, BigInt64Array -> I64, Int32Array -> I32, Uint8Array -> U8, ...). A scijs
 * ndarray's own `dtype` (`'float32'`, `'int32'`, ...) counts as no dtype. Every
 * {@link SafetensorsEntry} is accepted as it is (F8 entries excepted at run time: see
 * {@link SAFETENSORS_WRITE_DTYPES}).
 */
export type SafetensorsWriteTensor =
  | {
      data: Float32Array | Float64Array;
      shape: readonly number[];
      stride?: readonly number[];
      offset?: number;
      /** `F32`, `F16`, `BF16` (rounded to nearest, ties to even), `F64`, or `C64` (last dim 2: real, imaginary). */
      dtype?: SafetensorsFloatDtype | 'C64' | 'float32' | 'float64';
    }
  | {
      [D in keyof SafetensorsIntegerArrays]: {
        data: SafetensorsIntegerArrays[D];
        shape: readonly number[];
        stride?: readonly number[];
        offset?: number;
        dtype?: D | ScijsDtypeName;
      };
    }[keyof SafetensorsIntegerArrays]
  | SafetensorsPackedEntry;

/** What a scijs ndarray reports as its `dtype` for an integer typed array (accepted and ignored by the writer, which goes by the array). */
export type ScijsDtypeName = 'int8' | 'int16' | 'int32' | 'uint8' | 'uint16' | 'uint32' | 'bigint64' | 'biguint64';

/** A parsed and validated safetensors header entry. */
export interface SafetensorsTensorInfo {
  /** The dtype as written in the file, e.g. `'F32'`. */
  dtype: SafetensorsDtype;
  /** The tensor's shape (may be `[]` for a scalar; dims may be 0). */
  shape: number[];
  /** `[begin, end)` byte range of the tensor's data, relative to the start of the byte buffer. */
  dataOffsets: [number, number];
}

/** A parsed and validated safetensors header. */
export interface SafetensorsHeader {
  /** The `__metadata__` map (empty when the file has none). */
  metadata: Record<string, string>;
  /** Every tensor's entry, by name, in the header's order. */
  tensors: Record<string, SafetensorsTensorInfo>;
  /** Index in the file of the first byte of the byte buffer (8 + header length). */
  dataStart: number;
}

/** Bits per element of every dtype, in the reference implementation's order (increasing alignment). */
const DTYPE_BITS: Readonly<Record<SafetensorsDtype, number>> = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
};

const ALL_DTYPES = Object.keys(DTYPE_BITS) as SafetensorsDtype[];

/** Every dtype of the format, all of which {@link readSafetensors} reads (see {@link SafetensorsEntry}). */
export const SAFETENSORS_READ_DTYPES: readonly SafetensorsDtype[] = ALL_DTYPES.slice();

/**
 * The dtypes {@link writeSafetensors} writes: every dtype but the 8-bit floats (whose rounding and
 * overflow rules differ between libraries; write them as F16/BF16/F32, or as their raw bits in U8).
 */
export const SAFETENSORS_WRITE_DTYPES: readonly SafetensorsDtype[] = ALL_DTYPES.filter((d) => !d.startsWith('F8_'));

// The platform's UTF-8 codec: Node 18+ and browsers have it. Declared here because the library
// compiles against the plain ES2020 lib, without DOM or Node types.
declare const TextDecoder: new (label: 'utf-8', options: { fatal: boolean; ignoreBOM: boolean }) => { decode(input: Uint8Array): string };
declare const TextEncoder: new () => { encode(input: string): Uint8Array };

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The typed array's class name (`'Float32Array'`) by its internal slot, or undefined for anything else. */
const typedArrayTag = typedArrayName;

/**
 * The bytes of a typed array whose elements have `elementSize` bytes, as a plain Uint8Array over the
 * same memory, by its internal slots (a subclass or a Node Buffer cannot redirect them).
 */
function bytesOf(a: ArrayBufferView, elementSize: number): Uint8Array {
  return new Uint8Array(typedArrayBuffer(a) ?? new ArrayBuffer(0), typedArrayByteOffset(a), typedArrayLength(a) * elementSize);
}

/** The element size of each typed array the writer accepts, by class name. */
const ELEMENT_BYTES: Readonly<Record<string, number>> = {
  Float32Array: 4,
  Float64Array: 8,
  BigInt64Array: 8,
  BigUint64Array: 8,
  Int32Array: 4,
  Uint32Array: 4,
  Int16Array: 2,
  Uint16Array: 2,
  Int8Array: 1,
  Uint8Array: 1,
};

/** The dtype each array class stores by default, and the scijs name for that class. */
const DEFAULT_DTYPE: Readonly<Record<string, [SafetensorsDtype, string]>> = {
  Float32Array: ['F32', 'float32'],
  Float64Array: ['F64', 'float64'],
  BigInt64Array: ['I64', 'bigint64'],
  BigUint64Array: ['U64', 'biguint64'],
  Int32Array: ['I32', 'int32'],
  Uint32Array: ['U32', 'uint32'],
  Int16Array: ['I16', 'int16'],
  Uint16Array: ['U16', 'uint16'],
  Int8Array: ['I8', 'int8'],
  Uint8Array: ['U8', 'uint8'],
};

/** Defines an own enumerable property, so that a name like `__proto__` is stored, not assigned to the prototype. */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
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

function isNonNegativeInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isDtype(v: unknown): v is SafetensorsDtype {
  return typeof v === 'string' && hasOwn(DTYPE_BITS, v);
}

/** A string quoted for a message, cut to `max` characters. */
function quoted(s: string, max: number): string {
  return s.length > max ? `${JSON.stringify(s.slice(0, max))}... (${s.length} characters)` : JSON.stringify(s);
}

/**
 * A short description of a value parsed from a header, for error messages. Not recursive (a header
 * may nest arrays 100,000 deep) and bounded in length (a header may hold huge arrays and strings).
 */
function describeJson(v: unknown): string {
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return quoted(v, 40);
  if (Array.isArray(v)) {
    if (v.length <= 6 && v.every((x) => x === null || typeof x === 'number' || typeof x === 'boolean' || typeof x === 'string')) {
      return `[${v.map((x) => (typeof x === 'string' ? quoted(x, 20) : String(x))).join(', ')}]`;
    }
    return `an array of length ${v.length}`;
  }
  if (typeof v === 'object') return `an object with ${keysText(v)}`;
  return typeof v;
}

/** `keys "a", "b" and 3 more` (bounded), for error messages. */
function keysText(obj: object): string {
  const keys = Object.keys(obj);
  if (keys.length === 0) return 'no keys';
  const shown = keys.slice(0, 5).map((k) => quoted(k, 30)).join(', ');
  return `keys ${shown}${keys.length > 5 ? ` and ${keys.length - 5} more` : ''}`;
}

/** `[2, 3]` for error messages, cut after 8 dims. */
function shapeText(shape: readonly number[]): string {
  return shape.length > 8 ? `[${shape.slice(0, 8).join(', ')}, ... (${shape.length} dims)]` : `[${shape.join(', ')}]`;
}

/** `header entry "name"` for error messages (long names cut). */
function entryLabel(name: string): string {
  return `header entry ${quoted(name, 80)}`;
}

/** `tensors["name"]` for error messages (long names cut). */
function tensorLabel(name: string): string {
  return `tensors[${quoted(name, 80)}]`;
}

// ---------------------------------------------------------------------------------------------
// Small binary floats

/** A binary floating-point format of at most 16 bits: how its special values are encoded. */
interface MiniFloat {
  exponentBits: number;
  mantissaBits: number;
  bias: number;
  /**
   * `ieee`: the top exponent holds infinities (zero mantissa) and NaNs; `fn`: no infinities, only
   * all-ones exponent and mantissa is NaN; `fnuz`: no infinities and no -0, the sign bit alone is NaN.
   */
  specials: 'ieee' | 'fn' | 'fnuz';
}

const F16_FORMAT: MiniFloat = { exponentBits: 5, mantissaBits: 10, bias: 15, specials: 'ieee' };
const BF16_FORMAT: MiniFloat = { exponentBits: 8, mantissaBits: 7, bias: 127, specials: 'ieee' };
const F8_FORMATS: Readonly<Record<'F8_E5M2' | 'F8_E4M3' | 'F8_E4M3FNUZ' | 'F8_E5M2FNUZ', MiniFloat>> = {
  F8_E5M2: { exponentBits: 5, mantissaBits: 2, bias: 15, specials: 'ieee' },
  F8_E4M3: { exponentBits: 4, mantissaBits: 3, bias: 7, specials: 'fn' },
  F8_E4M3FNUZ: { exponentBits: 4, mantissaBits: 3, bias: 8, specials: 'fnuz' },
  F8_E5M2FNUZ: { exponentBits: 5, mantissaBits: 2, bias: 16, specials: 'fnuz' },
};

/** The value of the bit pattern `bits` in format `f` (exact: every such value is a float32). */
function miniFloatValue(bits: number, f: MiniFloat): number {
  const { exponentBits: E, mantissaBits: M, bias } = f;
  const signBit = 1 << (E + M);
  const negative = (bits & signBit) !== 0;
  const exponent = (bits >> M) & ((1 << E) - 1);
  const fraction = bits & ((1 << M) - 1);
  const topExponent = (1 << E) - 1;
  if (f.specials === 'fnuz' && bits === signBit) return NaN;
  if (f.specials === 'ieee' && exponent === topExponent) return fraction !== 0 ? NaN : negative ? -Infinity : Infinity;
  if (f.specials === 'fn' && exponent === topExponent && fraction === (1 << M) - 1) return NaN;
  const magnitude = exponent === 0 ? fraction * 2 ** (1 - bias - M) : ((1 << M) + fraction) * 2 ** (exponent - bias - M);
  return negative ? -magnitude : magnitude;
}

/**
 * The bits of the value whose float64 bit pattern is `hi:lo` in an IEEE-style format of
 * `exponentBits` and `mantissaBits` (at most 19), rounded to nearest with ties to even in one step:
 * magnitudes from the midpoint between the largest finite value and the next power of two overflow
 * to infinity, tiny values round to subnormals or to a zero of the same sign, -0 stays -0, and every
 * NaN becomes the positive quiet NaN (exponent all ones, top mantissa bit set).
 */
function roundToMiniFloatBits(hi: number, lo: number, exponentBits: number, mantissaBits: number): number {
  const topExponent = (1 << exponentBits) - 1;
  const sign = (hi >>> 31) << (exponentBits + mantissaBits);
  const e = (hi >>> 20) & 0x7ff;
  const high20 = hi & 0xfffff;
  if (e === 0x7ff) {
    return high20 === 0 && lo === 0 ? sign | (topExponent << mantissaBits) : (topExponent << mantissaBits) | (1 << (mantissaBits - 1));
  }
  // A float64 subnormal is below 2^-1022, far under half of any target's smallest subnormal.
  if (e === 0) return sign;
  const bias = (1 << (exponentBits - 1)) - 1;
  const exponent = e - 1023;
  if (exponent > bias) return sign | (topExponent << mantissaBits);
  const minExponent = 1 - bias;
  const significand = high20 | 0x100000; // the top 21 bits of the 53-bit significand, implicit one included
  // Bits of `significand` to drop (all of `lo` is dropped too); the kept bits include the implicit
  // one for a normal result, so the biased exponent is added minus one and a carry out of the
  // mantissa moves to the next exponent (up to infinity) by itself.
  let drop = 20 - mantissaBits;
  let base = 0;
  if (exponent >= minExponent) {
    base = (exponent + bias - 1) << mantissaBits;
  } else {
    drop += minExponent - exponent;
    if (drop > 21) return sign; // below half the smallest subnormal
  }
  const kept = significand >>> drop;
  const rest = significand & ((1 << drop) - 1);
  const half = 1 << (drop - 1);
  const up = rest > half || (rest === half && (lo !== 0 || (kept & 1) === 1)) ? 1 : 0;
  return sign | (base + kept + up);
}

let f16Table: Float32Array | null = null;
const f8Tables: Partial<Record<string, Float32Array>> = {};

/** Float32 value of every half bit pattern (built on first use). */
function float16Table(): Float32Array {
  if (f16Table === null) {
    const t = new Float32Array(65536);
    for (let b = 0; b < 65536; b++) t[b] = miniFloatValue(b, F16_FORMAT);
    f16Table = t;
  }
  return f16Table;
}

/** Float32 value of every byte in an 8-bit float dtype (built on first use). */
function float8Table(dtype: 'F8_E5M2' | 'F8_E4M3' | 'F8_E4M3FNUZ' | 'F8_E5M2FNUZ' | 'F8_E8M0'): Float32Array {
  let t = f8Tables[dtype];
  if (t === undefined) {
    t = new Float32Array(256);
    for (let b = 0; b < 256; b++) t[b] = dtype === 'F8_E8M0' ? (b === 255 ? NaN : 2 ** (b - 127)) : miniFloatValue(b, F8_FORMATS[dtype]);
    f8Tables[dtype] = t;
  }
  return t;
}

/**
 * The value of an IEEE 754 half-precision number given its 16 bits, handling subnormals
 * (`0x0001` is 2^-24), infinities (`0x7c00`), NaN (`0x7e00`) and negative zero (`0x8000`).
 * Every half is exactly representable as a float32.
 * @param bits the half's bit pattern, an integer from 0 to 0xffff
 * @throws SETypeError for anything else
 */
export function float16BitsToNumber(bits: number): number {
  if (typeof bits !== 'number' || !Number.isInteger(bits) || bits < 0 || bits > 0xffff) {
    throw new SETypeError(`float16BitsToNumber: bits must be an integer from 0 to 65535 (0xffff) but is ${describeValue(bits)}`);
  }
  return miniFloatValue(bits, F16_FORMAT);
}

// ---------------------------------------------------------------------------------------------
// Header

/**
 * Copies `byteLength` bytes of whole elements of `size` bytes between little-endian file bytes and
 * native-order typed-array bytes (the same as a plain copy on little-endian platforms; each element's
 * bytes reversed on big-endian ones, in either direction).
 */
function copyElements(dst: Uint8Array, dstStart: number, src: Uint8Array, srcStart: number, byteLength: number, size: number): void {
  if (LITTLE_ENDIAN || size === 1) {
    dst.set(src.subarray(srcStart, srcStart + byteLength), dstStart);
    return;
  }
  for (let p = 0; p < byteLength; p += size) {
    for (let k = 0; k < size; k++) dst[dstStart + p + k] = src[srcStart + p + size - 1 - k];
  }
}

function parseTensorInfo(fn: string, name: string, raw: unknown, bufferLength: number): SafetensorsTensorInfo {
  const label = entryLabel(name);
  if (!isPlainObject(raw)) {
    throw new SETypeError(`${fn}: ${label} must be an object {dtype, shape, data_offsets} but is ${describeJson(raw)}`);
  }
  for (const key of ['dtype', 'shape', 'data_offsets']) {
    if (!hasOwn(raw, key)) {
      throw new SETypeError(`${fn}: ${label} is missing "${key}" (expected {dtype, shape, data_offsets}, got ${keysText(raw)})`);
    }
  }
  const { dtype, shape, data_offsets: offsets } = raw;
  if (typeof dtype !== 'string') {
    throw new SETypeError(`${fn}: ${label}.dtype must be a string like "F32" but is ${describeJson(dtype)}`);
  }
  if (!isDtype(dtype)) {
    throw new SETypeError(`${fn}: ${label} has unknown dtype ${quoted(dtype, 20)}; safetensors defines ${ALL_DTYPES.join(', ')}`);
  }
  const bits = DTYPE_BITS[dtype];
  if (!Array.isArray(shape)) {
    throw new SETypeError(`${fn}: ${label}.shape must be an array of integers but is ${describeJson(shape)}`);
  }
  let count = 1;
  for (let k = 0; k < shape.length; k++) {
    const d: unknown = shape[k];
    if (!isNonNegativeInt(d)) {
      throw new SEShapeError(`${fn}: ${label}.shape[${k}] must be a non-negative integer but is ${describeJson(d)}`);
    }
    count *= d;
  }
  const dims = shape as number[];
  if (!Array.isArray(offsets) || offsets.length !== 2) {
    throw new SETypeError(`${fn}: ${label}.data_offsets must be an array [begin, end] but is ${describeJson(offsets)}`);
  }
  const begin: unknown = offsets[0];
  const end: unknown = offsets[1];
  if (!isNonNegativeInt(begin) || !isNonNegativeInt(end)) {
    throw new SEShapeError(`${fn}: ${label}.data_offsets must be two non-negative integers but is ${describeJson(offsets)}`);
  }
  if (begin > end) {
    throw new SEShapeError(`${fn}: ${label}.data_offsets [${begin}, ${end}] are reversed (begin must be <= end)`);
  }
  if (end > bufferLength) {
    throw new SEShapeError(
      `${fn}: ${label}.data_offsets [${begin}, ${end}] reach past the end of the byte buffer, which has ${bufferLength} bytes (the file looks truncated)`,
    );
  }
  const needBytes = (count * bits) / 8;
  if (!Number.isSafeInteger(needBytes) || needBytes !== end - begin) {
    const per = bits % 8 === 0 ? `${bits / 8} bytes` : `${bits} bits`;
    throw new SEShapeError(
      `${fn}: ${label} has data_offsets [${begin}, ${end}] spanning ${end - begin} bytes but shape ` +
        `${shapeText(dims)} of dtype ${dtype} (${count} elements of ${per}) needs ${needBytes} bytes`,
    );
  }
  return { dtype, shape: dims.slice(), dataOffsets: [begin, end] };
}

/** True for a real Uint8Array of any realm (a Node Buffer counts), by its internal slot. */
function isUint8Array(v: unknown): v is Uint8Array {
  return typedArrayTag(v) === 'Uint8Array';
}

function checkBytes(fn: string, bytes: unknown): Uint8Array {
  if (!isUint8Array(bytes)) {
    const hint = bytes instanceof ArrayBuffer ? ' (wrap it: new Uint8Array(buffer))' : '';
    throw new SETypeError(`${fn}: bytes must be a Uint8Array but got ${describeValue(bytes)}${hint}`);
  }
  // A transferred (detached) buffer has no bytes to read, and constructing a view of it throws a raw TypeError.
  if (isDetachedBuffer(typedArrayBuffer(bytes))) {
    throw new SEStateError(`${fn}: bytes is a Uint8Array whose buffer was detached (transferred to a worker or structuredClone'd away); read the file before transferring its buffer, or pass a copy`);
  }
  return bytesOf(bytes, 1);
}

/**
 * The reference reader's layout rule (huggingface/safetensors `Metadata::validate` and the buffer
 * length check after it): the tensors, ordered by offsets, tile the byte buffer exactly, the first
 * at 0, each starting where the previous ends (no overlap, no hole) and the last ending at the
 * buffer's end (no trailing bytes; a header with no tensors is followed by none). Only then does a
 * file mean one thing to every reader.
 */
function checkTiling(fn: string, tensors: Readonly<Record<string, SafetensorsTensorInfo>>, bufferLength: number): void {
  const spans = Object.keys(tensors).map((name) => ({ name, begin: tensors[name].dataOffsets[0], end: tensors[name].dataOffsets[1] }));
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let previous: string | null = null;
  for (const t of spans) {
    if (t.begin < at) {
      throw new SEShapeError(
        `${fn}: ${entryLabel(t.name)} (bytes ${t.begin} to ${t.end}) overlaps ${entryLabel(previous ?? '')}, which ends at byte ${at}; tensors must not share bytes`,
      );
    }
    if (t.begin > at) {
      const where = previous === null ? 'the start of the byte buffer' : `the end of ${entryLabel(previous)}`;
      throw new SEShapeError(
        `${fn}: ${entryLabel(t.name)} starts at byte ${t.begin} but ${where} is at byte ${at}: a hole of ${t.begin - at} bytes; ` +
          'the tensors must tile the byte buffer exactly (the first at 0, each where the previous ends)',
      );
    }
    at = t.end;
    previous = t.name;
  }
  if (at < bufferLength) {
    const what = previous === null ? 'the header lists no tensors but' : `the last tensor, ${entryLabel(previous)}, ends at byte ${at} but`;
    throw new SEShapeError(`${fn}: ${what} ${bufferLength - at} more bytes follow (trailing bytes after the data, which the format does not allow)`);
  }
}

/**
 * Refuses a name given twice among the header's top-level keys: JSON.parse keeps the last one
 * silently, so two readers could disagree on what the file holds (the reference refuses). Scans the
 * raw text, already known to be valid JSON: the top-level object's keys, skipping each value.
 */
function checkDuplicateNames(fn: string, text: string): void {
  let i = skipSpace(text, 0);
  if (text[i] !== '{') return;
  i = skipSpace(text, i + 1);
  const seen = new Set<string>();
  while (i < text.length && text[i] !== '}') {
    const end = stringEnd(text, i);
    const key: unknown = JSON.parse(text.slice(i, end));
    if (typeof key === 'string') {
      if (seen.has(key)) throw new SETypeError(`${fn}: the header gives ${key === '__metadata__' ? '"__metadata__"' : entryLabel(key)} twice; names must be unique`);
      seen.add(key);
    }
    i = skipSpace(text, end);
    i = skipSpace(text, valueEnd(text, skipSpace(text, i + 1))); // past ':' and the value
    if (text[i] === ',') i = skipSpace(text, i + 1);
  }
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  return i;
}

/** The index just past the JSON string starting at `text[i]` (a '"'). */
function stringEnd(text: string, i: number): number {
  let j = i + 1;
  while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
  return j + 1;
}

/** The index just past the JSON value starting at `text[i]` (valid JSON: brackets balance outside strings). */
function valueEnd(text: string, i: number): number {
  let depth = 0;
  let j = i;
  while (j < text.length) {
    const c = text[j];
    if (c === '"') {
      j = stringEnd(text, j);
      if (depth === 0) return j;
      continue;
    }
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      if (depth === 0) return j; // the end of the enclosing object: a scalar value ended before it
      depth--;
      if (depth === 0) return j + 1;
    } else if (depth === 0 && c === ',') return j;
    j++;
  }
  return j;
}

/** Parses and validates the header of `file` (already checked to be a plain Uint8Array). */
function parseHeader(fn: string, file: Uint8Array): SafetensorsHeader {
  if (file.length < 8) {
    throw new SEShapeError(`${fn}: bytes has ${file.length} bytes but a safetensors file has at least 8 (the header length)`);
  }
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const headerLength = view.getUint32(4, true) * 2 ** 32 + view.getUint32(0, true);
  if (headerLength > SAFETENSORS_MAX_HEADER_BYTES) {
    throw new SEShapeError(
      `${fn}: the header length is ${headerLength} bytes, more than the ${SAFETENSORS_MAX_HEADER_BYTES} allowed (not a safetensors file?)`,
    );
  }
  const dataStart = 8 + headerLength;
  if (dataStart > file.length) {
    throw new SEShapeError(
      `${fn}: the header length is ${headerLength} bytes but only ${file.length - 8} bytes follow the length field (truncated file?)`,
    );
  }
  // ignoreBOM keeps a leading U+FEFF in the text, so JSON.parse refuses it as the reference does.
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let text: string;
  try {
    text = decoder.decode(file.subarray(8, dataStart));
  } catch {
    throw new SETypeError(`${fn}: the header is not valid UTF-8`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // Engines whose JSON.parse recurses throw RangeError on deep nesting ([[[[...).
    const detail = e instanceof RangeError ? ' (nested too deeply for this engine)' : e instanceof Error ? `: ${e.message.slice(0, 200)}` : '';
    throw new SETypeError(`${fn}: the header is not valid JSON${detail}`);
  }
  if (!isPlainObject(json)) {
    throw new SETypeError(`${fn}: the header must be a JSON object {name: {dtype, shape, data_offsets}} but is ${describeJson(json)}`);
  }
  checkDuplicateNames(fn, text);
  const bufferLength = file.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors: Record<string, SafetensorsTensorInfo> = {};
  for (const name of Object.keys(json)) {
    const raw = json[name];
    if (name === '__metadata__') {
      if (!isPlainObject(raw)) {
        throw new SETypeError(`${fn}: the header's "__metadata__" must be an object of strings but is ${describeJson(raw)}`);
      }
      for (const key of Object.keys(raw)) {
        const value = raw[key];
        if (typeof value !== 'string') {
          throw new SETypeError(`${fn}: "__metadata__"[${quoted(key, 80)}] must be a string but is ${describeJson(value)}`);
        }
        setOwn(metadata, key, value);
      }
    } else {
      setOwn(tensors, name, parseTensorInfo(fn, name, raw, bufferLength));
    }
  }
  checkTiling(fn, tensors, bufferLength);
  return { metadata, tensors, dataStart };
}

/**
 * Parses and validates a safetensors file's header without decoding any tensor data.
 * @param bytes the whole file (any Uint8Array, including a Node Buffer or a subarray at any offset)
 * @throws SETypeError / SEShapeError naming the problem, as {@link readSafetensors}
 */
export function readSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  const fn = 'readSafetensorsHeader';
  return parseHeader(fn, checkBytes(fn, bytes));
}

/**
 * The `__metadata__` string map of a safetensors file (`{}` when it has none), e.g.
 * `{ format: 'pt' }` for files written by `safetensors.torch`. The header is fully validated.
 * @param bytes the whole file
 */
export function readSafetensorsMetadata(bytes: Uint8Array): Record<string, string> {
  const fn = 'readSafetensorsMetadata';
  return parseHeader(fn, checkBytes(fn, bytes)).metadata;
}

// ---------------------------------------------------------------------------------------------
// Reading

function checkReadOptions(fn: string, options: unknown): ((name: string) => boolean) | null {
  if (options === undefined || options === null) return null;
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new SETypeError(`${fn}: options must be an object like { filter } but got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'filter') throw new SEOptionError(`${fn}: unknown option ${quoted(key, 40)}; expected filter`);
  }
  const filter: unknown = (options as { filter?: unknown }).filter;
  if (filter === undefined) return null;
  if (typeof filter !== 'function') {
    throw new SEOptionError(`${fn}: options.filter must be a function (name: string) => boolean but is ${describeValue(filter)}`);
  }
  return (name) => filter(name) as boolean;
}

/** Decodes one validated entry of `file` into fresh arrays. */
function decodeEntry(fn: string, name: string, info: SafetensorsTensorInfo, file: Uint8Array, dataStart: number): SafetensorsEntry {
  const { dtype } = info;
  const shape = info.shape.slice();
  const start = dataStart + info.dataOffsets[0];
  const byteLength = info.dataOffsets[1] - info.dataOffsets[0];
  const n = (byteLength * 8) / DTYPE_BITS[dtype];
  const stride = rowMajorStrides(shape);
  const float = (data: Float32Array, d: SafetensorsFloatDtype): SafetensorsFloatEntry => ({ dtype: d, data, shape, stride, offset: 0 });
  switch (dtype) {
    case 'F32': {
      const data = new Float32Array(n);
      copyElements(new Uint8Array(data.buffer), 0, file, start, byteLength, 4);
      return float(data, dtype);
    }
    case 'F64': {
      const wide = new Float64Array(n);
      copyElements(new Uint8Array(wide.buffer), 0, file, start, byteLength, 8);
      const data = new Float32Array(n);
      data.set(wide);
      return float(data, dtype);
    }
    case 'F16':
    case 'BF16': {
      const half = new Uint16Array(n);
      copyElements(new Uint8Array(half.buffer), 0, file, start, byteLength, 2);
      const data = new Float32Array(n);
      if (dtype === 'F16') {
        const table = float16Table();
        for (let i = 0; i < n; i++) data[i] = table[half[i]];
      } else {
        // BF16 is the top half of a float32: widen through the bits so NaN payloads survive.
        const wide = new Uint32Array(data.buffer);
        for (let i = 0; i < n; i++) wide[i] = half[i] << 16;
      }
      return float(data, dtype);
    }
    case 'F8_E5M2':
    case 'F8_E4M3':
    case 'F8_E4M3FNUZ':
    case 'F8_E5M2FNUZ':
    case 'F8_E8M0': {
      const table = float8Table(dtype);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = table[file[start + i]];
      return float(data, dtype);
    }
    case 'C64': {
      const data = new Float32Array(2 * n);
      copyElements(new Uint8Array(data.buffer), 0, file, start, byteLength, 4);
      const pairs = [...shape, 2];
      return { dtype, data, shape: pairs, stride: rowMajorStrides(pairs), offset: 0 };
    }
    case 'I64': {
      const data = new BigInt64Array(n);
      copyElements(new Uint8Array(data.buffer), 0, file, start, byteLength, 8);
      return { dtype, data, shape, stride, offset: 0 };
    }
    case 'U64': {
      const data = new BigUint64Array(n);
      copyElements(new Uint8Array(data.buffer), 0, file, start, byteLength, 8);
      return { dtype, data, shape, stride, offset: 0 };
    }
    case 'I32': {
      const data = new Int32Array(n);
      copyElements(new Uint8Array(data.buffer), 0, file, start, byteLength, 4);
      return { dtype, data, shape, stride, offset: 0 };
    }
    case 'U32': {
      const data = new Uint32Array(n);
      copyElements(new Uint8Array(data.buffer), 0, file, start, byteLength, 4);
      return { dtype, data, shape, stride, offset: 0 };
    }
    case 'I16': {
      const data = new Int16Array(n);
      copyElements(new Uint8Array(data.buffer), 0, file, start, byteLength, 2);
      return { dtype, data, shape, stride, offset: 0 };
    }
    case 'U16': {
      const data = new Uint16Array(n);
      copyElements(new Uint8Array(data.buffer), 0, file, start, byteLength, 2);
      return { dtype, data, shape, stride, offset: 0 };
    }
    case 'I8': {
      const data = new Int8Array(n);
      copyElements(new Uint8Array(data.buffer), 0, file, start, byteLength, 1);
      return { dtype, data, shape, stride, offset: 0 };
    }
    case 'U8':
    case 'BOOL': {
      const data = new Uint8Array(n);
      data.set(file.subarray(start, start + byteLength));
      if (dtype === 'BOOL') {
        for (let i = 0; i < n; i++) {
          if (data[i] > 1) {
            throw new SETypeError(`${fn}: ${entryLabel(name)} is BOOL but its element ${i} is the byte ${data[i]} (a BOOL byte is 0 or 1)`);
          }
        }
        return { dtype, data, shape, stride, offset: 0 };
      }
      return { dtype, data, shape, stride, offset: 0 };
    }
    case 'F4':
    case 'F6_E2M3':
    case 'F6_E3M2':
      return { dtype, data: file.slice(start, start + byteLength), shape };
  }
}

/**
 * Reads the tensors of a safetensors file, each with its `dtype` (see {@link SafetensorsEntry}):
 * - F32, F64, F16, BF16 and the 8-bit floats into dense row-major Float32Arrays (F64 rounded to
 *   float32; the others exact: subnormals, infinities, NaN and -0 kept; BF16 NaN payloads kept),
 *   so float entries are FloatTensors ready for `seForward` and `loadSEParams`;
 * - C64 into (real, imaginary) Float32 pairs with a trailing dim of 2;
 * - I64/U64 into BigInt64Array/BigUint64Array, I32/U32/I16/U16/I8/U8 into their typed arrays,
 *   BOOL into a Uint8Array of 0s and 1s (another byte is an error);
 * - F4 and F6 (sub-byte, packing undefined by the format) as their raw bytes.
 * Integers are decoded from little-endian on any platform. The result never shares memory with
 * `bytes`. A whole PyTorch state dict loads, BatchNorm's I64 `num_batches_tracked` included; use
 * `filter` to decode only what you need from a large checkpoint (the header is still fully checked).
 * Use {@link readSafetensorsMetadata} for the `__metadata__` map.
 * @param bytes the whole file (any Uint8Array, including a Node Buffer or a subarray at any byte offset)
 * @param options `filter(name)` returns true for the tensors to decode
 * @returns the tensors by name, in the header's order (JavaScript puts integer-like names first)
 * @throws SETypeError for a non-Uint8Array, a header that is not UTF-8 JSON of the right form, an
 *   unknown dtype, a BOOL byte other than 0 or 1, or a filter that returns a non-boolean;
 *   SEShapeError for lengths, dims and data offsets that do not fit; SEOptionError for bad options;
 *   SEStateError when `bytes` shrinks while `filter` runs. An error thrown by `filter` propagates.
 * @example readSafetensors(bytes, { filter: (name) => name.includes('.se.') })
 */
export function readSafetensors(bytes: Uint8Array, options?: ReadSafetensorsOptions): Record<string, SafetensorsEntry> {
  const fn = 'readSafetensors';
  const given = checkBytes(fn, bytes);
  const filter = checkReadOptions(fn, options);
  const header = parseHeader(fn, given);
  const length = given.length;
  const names = Object.keys(header.tensors);
  let wanted = names;
  if (filter !== null) {
    wanted = [];
    for (const name of names) {
      const keep = filter(name);
      if (typeof keep !== 'boolean') {
        throw new SETypeError(`${fn}: options.filter must return true or false but returned ${describeValue(keep)} for ${quoted(name, 80)}`);
      }
      if (keep) wanted.push(name);
    }
  }
  // The filter is user code: it may have resized, transferred or detached the buffer under `bytes`.
  const lengthNow = typedArrayLength(bytes);
  if (lengthNow !== length) {
    throw new SEStateError(`${fn}: bytes changed length from ${length} to ${lengthNow} while options.filter ran`);
  }
  const file = bytesOf(bytes, 1);
  const result: Record<string, SafetensorsEntry> = {};
  for (const name of wanted) setOwn(result, name, decodeEntry(fn, name, header.tensors[name], file, header.dataStart));
  return result;
}

// ---------------------------------------------------------------------------------------------
// Writing

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

/** The row-major element bytes (native order) of a checked view: a subarray when contiguous, else a gathered copy. */
function denseElementBytes(src: Uint8Array, size: number, shape: readonly number[], stride: readonly number[], offset: number, contiguous: boolean): Uint8Array {
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

/** Checks a view `{shape, stride?, offset?}` over `length` elements; dims may be 0. */
function checkView(
  fn: string,
  label: string,
  length: number,
  shapeRaw: unknown,
  strideRaw: unknown,
  offsetRaw: unknown,
): { shape: number[]; stride: number[]; offset: number; count: number; contiguous: boolean } {
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
  const rank = shape.length;
  let stride: number[];
  if (strideRaw === undefined || strideRaw === null) {
    stride = rowMajorStrides(shape);
  } else {
    if (!Array.isArray(strideRaw) || strideRaw.length !== rank) {
      throw new SEShapeError(`${fn}: ${label}.stride must be an array of ${rank} integers but got ${describeValue(strideRaw)}`);
    }
    stride = [];
    for (let k = 0; k < rank; k++) {
      const s: unknown = strideRaw[k];
      if (typeof s !== 'number' || !Number.isSafeInteger(s)) throw new SEShapeError(`${fn}: ${label}.stride[${k}] must be an integer but is ${describeValue(s)}`);
      stride.push(s);
    }
  }
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

/** Checks one tensor argument of writeSafetensors and plans how to write it. */
function planTensor(fn: string, name: string, t: unknown): WritePlan {
  const label = tensorLabel(name);
  if (t === null || typeof t !== 'object') {
    throw new SETypeError(`${fn}: ${label} must be a tensor {data, shape, stride?, offset?, dtype?} but got ${describeValue(t)}`);
  }
  const { data, shape: shapeRaw, stride: strideRaw, offset: offsetRaw, dtype: dtypeRaw } = t as Record<string, unknown>;
  const kind = typedArrayTag(data);
  const size = kind === undefined ? undefined : ELEMENT_BYTES[kind];
  if (kind === undefined || size === undefined) {
    throw new SETypeError(
      `${fn}: ${label}.data must be a Float32Array, Float64Array, BigInt64Array, BigUint64Array, Int32Array, Uint32Array, ` +
        `Int16Array, Uint16Array, Int8Array or Uint8Array but got ${describeValue(data)}`,
    );
  }
  const [natural, scijsName] = DEFAULT_DTYPE[kind];
  let dtype: SafetensorsDtype;
  if (dtypeRaw === undefined || dtypeRaw === null || dtypeRaw === scijsName) {
    dtype = natural;
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
  const isFloatData = kind === 'Float32Array' || kind === 'Float64Array';
  const floatTarget = dtype === 'F32' || dtype === 'F64' || dtype === 'F16' || dtype === 'BF16' || dtype === 'C64';
  const packed = dtype === 'F4' || dtype === 'F6_E2M3' || dtype === 'F6_E3M2';
  const compatible = floatTarget ? isFloatData : packed || dtype === 'BOOL' ? kind === 'Uint8Array' : dtype === natural;
  if (!compatible) {
    const own = Object.keys(DEFAULT_DTYPE).find((k) => DEFAULT_DTYPE[k][0] === dtype) ?? '';
    const needs = floatTarget ? 'a Float32Array or Float64Array' : packed || dtype === 'BOOL' ? 'a Uint8Array' : `${own.startsWith('I') ? 'an' : 'a'} ${own}`;
    throw new SETypeError(`${fn}: ${label}.dtype is ${dtype}, which needs ${needs}, but ${label}.data is ${describeValue(data)}`);
  }
  const src = bytesOf(data as ArrayBufferView, size);
  const length = src.length / size;

  if (packed) {
    if ((strideRaw !== undefined && strideRaw !== null) || (offsetRaw !== undefined && offsetRaw !== null)) {
      throw new SEOptionError(`${fn}: ${label} has dtype ${dtype}, written from raw bytes: give data and shape only, without stride or offset`);
    }
    const { shape, count } = checkView(fn, label, Infinity, shapeRaw, undefined, undefined);
    const need = (count * DTYPE_BITS[dtype]) / 8;
    if (need !== length) {
      throw new SEShapeError(
        `${fn}: ${label} has dtype ${dtype} (${DTYPE_BITS[dtype]} bits per element) and shape ${shapeText(shape)}, which needs ` +
          `${Number.isInteger(need) ? need : `${need} (not a whole number of)`} bytes, but ${label}.data has ${length} bytes`,
      );
    }
    const raw = src.slice();
    return { name, dtype, shape, byteLength: raw.length, write: (out, p) => out.set(raw, p) };
  }

  const view = checkView(fn, label, length, shapeRaw, strideRaw, offsetRaw);
  let headerShape = view.shape;
  if (dtype === 'C64') {
    if (view.shape.length === 0 || view.shape[view.shape.length - 1] !== 2) {
      throw new SEShapeError(`${fn}: ${label} has dtype C64, which needs a last dim of 2 (real, imaginary), but has shape ${shapeText(view.shape)}`);
    }
    headerShape = view.shape.slice(0, -1);
  }
  let dense = denseElementBytes(src, size, view.shape, view.stride, view.offset, view.contiguous);
  const n = view.count;
  if (dtype === 'BOOL') {
    // Checked on a copy of our own, so that a getter of a later tensor cannot change what was checked.
    if (view.contiguous) dense = dense.slice();
    for (let i = 0; i < n; i++) {
      if (dense[i] > 1) {
        throw new SETypeError(`${fn}: ${label} has dtype BOOL but its element ${i} (row-major) is ${dense[i]}; BOOL elements are 0 or 1`);
      }
    }
  }
  const fileBytes = dtype === 'C64' ? 4 * n : (n * DTYPE_BITS[dtype]) / 8;
  if (dtype === natural || (dtype === 'C64' && kind === 'Float32Array') || dtype === 'BOOL') {
    const element = dtype === 'C64' ? 4 : size;
    return { name, dtype, shape: headerShape, byteLength: fileBytes, write: (out, p) => copyElements(out, p, dense, 0, dense.length, element) };
  }
  // A float conversion: F32/C64 <- float64, F64 <- float32, F16/BF16 <- either.
  const values = kind === 'Float32Array' ? new Float32Array(dense.buffer, dense.byteOffset, n) : new Float64Array(dense.buffer, dense.byteOffset, n);
  const write = (out: Uint8Array, p: number): void => {
    if (dtype === 'F32' || dtype === 'C64' || dtype === 'F64') {
      const converted = dtype === 'F64' ? new Float64Array(n) : new Float32Array(n);
      converted.set(values);
      copyElements(out, p, new Uint8Array(converted.buffer), 0, converted.byteLength, converted.BYTES_PER_ELEMENT);
      return;
    }
    const format = dtype === 'F16' ? F16_FORMAT : BF16_FORMAT;
    const scratch = new Float64Array(1);
    const words = new Uint32Array(scratch.buffer);
    const hiWord = LITTLE_ENDIAN ? 1 : 0;
    for (let i = 0; i < n; i++) {
      scratch[0] = values[i];
      const bits = roundToMiniFloatBits(words[hiWord], words[1 - hiWord], format.exponentBits, format.mantissaBits);
      out[p + 2 * i] = bits & 0xff;
      out[p + 2 * i + 1] = bits >>> 8;
    }
  };
  return { name, dtype, shape: headerShape, byteLength: fileBytes, write };
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
  const parts: string[] = [];
  if (metadata !== undefined && metadata !== null) {
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
    parts.push(`"__metadata__":{${entries.join(',')}}`);
  }
  const plans = names.map((name) => planTensor(fn, name, (tensors as Record<string, unknown>)[name]));
  plans.sort((a, b) => ALL_DTYPES.indexOf(b.dtype) - ALL_DTYPES.indexOf(a.dtype) || compareCodePoints(a.name, b.name));
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
