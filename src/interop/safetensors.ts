/**
 * Reading and writing the safetensors format (https://github.com/huggingface/safetensors), with no
 * dependency and no platform API beyond typed arrays and DataView, so it runs in Node and browsers.
 *
 * A file is: an 8-byte little-endian u64 header length N; N bytes of UTF-8 JSON
 * `{ "name": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, ...,
 *    "__metadata__": { "key": "value" } }`; then the byte buffer. Offsets count from the start of
 * the byte buffer, and tensor data is little-endian, row-major.
 *
 * Reading is a little more lenient than the reference implementation: it does not insist that the
 * tensors tile the byte buffer without holes or trailing bytes (every tensor is still checked to lie
 * inside it and to have exactly the bytes its shape and dtype need). Zero-sized dims (shape
 * `[0, 3]`) are read as empty tensors. Writing produces exactly what the reference does for F32 data
 * (header padded with spaces to a multiple of 8 bytes), with tensors in sorted name order.
 */
import { SEOptionError, SEShapeError, SETypeError, describeValue } from '../errors.js';
import {
  checkTensor,
  formatShape,
  gatherDense,
  plainTensor,
  type CheckedTensor,
  type FloatTensor,
  type PlainTensor,
} from '../tensor.js';

/** The largest header {@link readSafetensors} accepts, in bytes (the reference implementation's limit). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** The dtypes {@link readSafetensors} decodes (all into Float32Array). */
export const SAFETENSORS_READ_DTYPES: readonly string[] = ['F32', 'F16', 'BF16'];

/** Bits per element of every dtype the safetensors format defines. */
const DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  I64: 64,
  U64: 64,
  F64: 64,
  C64: 64,
};

/** One tensor's entry in a safetensors header. */
export interface SafetensorsTensorInfo {
  /** The dtype string as written in the file, e.g. `'F32'`. */
  dtype: string;
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

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Defines an own enumerable property, so that a name like `__proto__` is stored, not assigned to the prototype. */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** True for a Uint8Array of any realm (a Node Buffer counts; `instanceof` fails across realms, e.g. in jest). */
function isUint8Array(v: unknown): v is Uint8Array {
  return ArrayBuffer.isView(v) && Object.prototype.toString.call(v) === '[object Uint8Array]';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isNonNegativeInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Decodes `bytes[start, end)` as UTF-8, or returns null when they are not valid UTF-8
 * (overlong forms, surrogates, code points above U+10FFFF and truncated sequences are invalid).
 */
function decodeUtf8(bytes: Uint8Array, start: number, end: number): string | null {
  const parts: string[] = [];
  const units: number[] = [];
  let i = start;
  while (i < end) {
    const b0 = bytes[i];
    let cp: number;
    let len: number;
    if (b0 < 0x80) {
      cp = b0;
      len = 1;
    } else if (b0 >= 0xc2 && b0 <= 0xdf) {
      cp = b0 & 0x1f;
      len = 2;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      cp = b0 & 0x0f;
      len = 3;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      cp = b0 & 0x07;
      len = 4;
    } else {
      return null;
    }
    if (i + len > end) return null;
    for (let k = 1; k < len; k++) {
      const b = bytes[i + k];
      if ((b & 0xc0) !== 0x80) return null;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (len === 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) return null;
    if (len === 4 && (cp < 0x10000 || cp > 0x10ffff)) return null;
    i += len;
    if (cp < 0x10000) {
      units.push(cp);
    } else {
      cp -= 0x10000;
      units.push(0xd800 | (cp >> 10), 0xdc00 | (cp & 0x3ff));
    }
    if (units.length >= 4096) {
      parts.push(String.fromCharCode(...units));
      units.length = 0;
    }
  }
  parts.push(String.fromCharCode(...units));
  return parts.join('');
}

/** Encodes `s` as UTF-8; a lone surrogate becomes U+FFFD. */
function encodeUtf8(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < s.length) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return Uint8Array.from(out);
}

/**
 * The value of an IEEE 754 half-precision number given its 16 bits, handling subnormals
 * (`0x0001` is 2^-24), infinities (`0x7c00`), NaN (`0x7e00`) and negative zero (`0x8000`).
 * Every half is exactly representable as a float32.
 * @param bits the half's bit pattern, 0 to 0xffff
 */
export function float16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

/** `tensors["name"]`-style label of a header entry for error messages. */
function entryLabel(name: string): string {
  return `header entry ${JSON.stringify(name)}`;
}

function parseTensorInfo(fn: string, name: string, raw: unknown, bufferLength: number): SafetensorsTensorInfo {
  const label = entryLabel(name);
  if (!isPlainObject(raw)) {
    throw new SETypeError(`${fn}: ${label} must be an object {dtype, shape, data_offsets} but is ${describeValue(raw)}`);
  }
  for (const key of ['dtype', 'shape', 'data_offsets']) {
    if (!hasOwn(raw, key)) {
      throw new SETypeError(`${fn}: ${label} is missing "${key}" (expected {dtype, shape, data_offsets}, got keys ${JSON.stringify(Object.keys(raw))})`);
    }
  }
  const { dtype, shape, data_offsets: offsets } = raw;
  if (typeof dtype !== 'string') {
    throw new SETypeError(`${fn}: ${label}.dtype must be a string like "F32" but is ${describeValue(dtype)}`);
  }
  const bits = hasOwn(DTYPE_BITS, dtype) ? DTYPE_BITS[dtype] : undefined;
  if (bits === undefined) {
    throw new SETypeError(
      `${fn}: ${label} has unknown dtype ${JSON.stringify(dtype)}; safetensors defines ` +
        `${Object.keys(DTYPE_BITS).join(', ')} and ${fn} supports ${SAFETENSORS_READ_DTYPES.join(', ')}`,
    );
  }
  if (!Array.isArray(shape)) {
    throw new SETypeError(`${fn}: ${label}.shape must be an array of integers but is ${describeValue(shape)}`);
  }
  let count = 1;
  for (let k = 0; k < shape.length; k++) {
    const d: unknown = shape[k];
    if (!isNonNegativeInt(d)) {
      throw new SEShapeError(`${fn}: ${label}.shape[${k}] must be a non-negative integer but is ${describeValue(d)}`);
    }
    count *= d;
  }
  if (!Array.isArray(offsets) || offsets.length !== 2) {
    throw new SETypeError(`${fn}: ${label}.data_offsets must be an array [begin, end] but is ${describeValue(offsets)}`);
  }
  const begin: unknown = offsets[0];
  const end: unknown = offsets[1];
  if (!isNonNegativeInt(begin) || !isNonNegativeInt(end)) {
    throw new SEShapeError(
      `${fn}: ${label}.data_offsets must be two non-negative integers but is ${describeValue(offsets)}`,
    );
  }
  if (begin > end) {
    throw new SEShapeError(`${fn}: ${label}.data_offsets [${begin}, ${end}] are reversed (begin must be <= end)`);
  }
  if (end > bufferLength) {
    throw new SEShapeError(
      `${fn}: ${label}.data_offsets [${begin}, ${end}] reach past the end of the byte buffer, which has ${bufferLength} bytes`,
    );
  }
  const needBits = count * bits;
  const needBytes = needBits / 8;
  if (!Number.isSafeInteger(needBytes) || needBytes !== end - begin) {
    throw new SEShapeError(
      `${fn}: ${label} has data_offsets [${begin}, ${end}] spanning ${end - begin} bytes but shape ` +
        `${formatShape(shape as number[])} of dtype ${dtype} (${count} elements of ${bits / 8} bytes) needs ${needBytes} bytes`,
    );
  }
  return { dtype, shape: (shape as number[]).slice(), dataOffsets: [begin, end] };
}

function parseHeader(fn: string, bytes: unknown): SafetensorsHeader {
  if (!isUint8Array(bytes)) {
    const hint = bytes instanceof ArrayBuffer ? ' (wrap it: new Uint8Array(buffer))' : '';
    throw new SETypeError(`${fn}: bytes must be a Uint8Array but got ${describeValue(bytes)}${hint}`);
  }
  if (bytes.length < 8) {
    throw new SEShapeError(`${fn}: bytes has ${bytes.length} bytes but a safetensors file has at least 8 (the header length)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthLow = view.getUint32(0, true);
  const lengthHigh = view.getUint32(4, true);
  const headerLength = lengthHigh * 2 ** 32 + lengthLow;
  if (headerLength > SAFETENSORS_MAX_HEADER_BYTES) {
    throw new SEShapeError(
      `${fn}: the header length is ${headerLength} bytes, more than the ${SAFETENSORS_MAX_HEADER_BYTES} allowed (not a safetensors file?)`,
    );
  }
  const dataStart = 8 + headerLength;
  if (dataStart > bytes.length) {
    throw new SEShapeError(
      `${fn}: the header length is ${headerLength} bytes but only ${bytes.length - 8} bytes follow the length field (truncated file?)`,
    );
  }
  const text = decodeUtf8(bytes, 8, dataStart);
  if (text === null) throw new SETypeError(`${fn}: the header is not valid UTF-8`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const detail = e instanceof Error ? `: ${e.message}` : '';
    throw new SETypeError(`${fn}: the header is not valid JSON${detail}`);
  }
  if (!isPlainObject(json)) {
    throw new SETypeError(`${fn}: the header must be a JSON object {name: {dtype, shape, data_offsets}} but is ${describeValue(json)}`);
  }
  const bufferLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors: Record<string, SafetensorsTensorInfo> = {};
  for (const name of Object.keys(json)) {
    const raw = json[name];
    if (name === '__metadata__') {
      if (!isPlainObject(raw)) {
        throw new SETypeError(`${fn}: the header's "__metadata__" must be an object of strings but is ${describeValue(raw)}`);
      }
      for (const key of Object.keys(raw)) {
        const value = raw[key];
        if (typeof value !== 'string') {
          throw new SETypeError(`${fn}: "__metadata__"[${JSON.stringify(key)}] must be a string but is ${describeValue(value)}`);
        }
        setOwn(metadata, key, value);
      }
    } else {
      setOwn(tensors, name, parseTensorInfo(fn, name, raw, bufferLength));
    }
  }
  return { metadata, tensors, dataStart };
}

/**
 * Parses and validates a safetensors file's header without decoding any tensor data. Accepts
 * every dtype the format defines (so it can list a file that {@link readSafetensors} cannot decode).
 * @param bytes the whole file (any Uint8Array, including a Node Buffer or a subarray at any offset)
 * @throws SETypeError / SEShapeError naming the problem, as {@link readSafetensors}
 */
export function readSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  return parseHeader('readSafetensorsHeader', bytes);
}

/**
 * The `__metadata__` string map of a safetensors file (`{}` when it has none), e.g.
 * `{ format: 'pt' }` for files written by `safetensors.torch`. The header is fully validated.
 * @param bytes the whole file
 */
export function readSafetensorsMetadata(bytes: Uint8Array): Record<string, string> {
  return parseHeader('readSafetensorsMetadata', bytes).metadata;
}

/**
 * Reads every tensor of a safetensors file into fresh dense row-major Float32Arrays.
 * F32 is copied as is; F16 (IEEE half: subnormals, infinities, NaN and -0 kept) and BF16 are
 * widened exactly. Other dtypes are an error. The result never shares memory with `bytes`.
 * Use {@link readSafetensorsMetadata} for the `__metadata__` map.
 * @param bytes the whole file (any Uint8Array, including a Node Buffer or a subarray at any byte offset)
 * @returns the tensors by name, in the header's order
 * @throws SETypeError for a non-Uint8Array, a header that is not UTF-8 JSON of the right form, or an
 *   unsupported dtype; SEShapeError for lengths, dims and data offsets that do not fit
 */
export function readSafetensors(bytes: Uint8Array): Record<string, PlainTensor> {
  const fn = 'readSafetensors';
  const header = parseHeader(fn, bytes);
  const names = Object.keys(header.tensors);
  for (const name of names) {
    const { dtype } = header.tensors[name];
    if (!SAFETENSORS_READ_DTYPES.includes(dtype)) {
      throw new SETypeError(
        `${fn}: ${entryLabel(name)} has dtype ${dtype}, which is not supported; supported dtypes are ${SAFETENSORS_READ_DTYPES.join(', ')}`,
      );
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const result: Record<string, PlainTensor> = {};
  for (const name of names) {
    const { dtype, shape, dataOffsets } = header.tensors[name];
    const start = header.dataStart + dataOffsets[0];
    const end = header.dataStart + dataOffsets[1];
    let data: Float32Array;
    if (dtype === 'F32') {
      data = new Float32Array((end - start) / 4);
      if (LITTLE_ENDIAN) new Uint8Array(data.buffer).set(bytes.subarray(start, end));
      else for (let i = 0, p = start; i < data.length; i++, p += 4) data[i] = view.getFloat32(p, true);
    } else if (dtype === 'F16') {
      data = new Float32Array((end - start) / 2);
      for (let i = 0, p = start; i < data.length; i++, p += 2) data[i] = float16BitsToNumber(view.getUint16(p, true));
    } else {
      // BF16 is the top half of a float32: widen through the bits so NaN payloads survive.
      data = new Float32Array((end - start) / 2);
      const wide = new Uint32Array(data.buffer);
      for (let i = 0, p = start; i < data.length; i++, p += 2) wide[i] = view.getUint16(p, true) << 16;
    }
    setOwn(result, name, plainTensor(data, shape));
  }
  return result;
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

function denseBytes(t: CheckedTensor): Uint8Array {
  const dense = t.contiguous ? t.data.subarray(t.offset, t.offset + t.size) : gatherDense(new Float32Array(t.size), t);
  return new Uint8Array(dense.buffer, dense.byteOffset, dense.byteLength);
}

/**
 * Writes tensors as a safetensors file of F32 data, byte for byte what the reference
 * implementation writes: the JSON header (with `__metadata__` first when given) padded with
 * spaces to a multiple of 8 bytes, then each tensor's data, dense row-major little-endian, in
 * sorted name order. Any strided view (e.g. a transposed scijs ndarray) is written densely.
 * @param tensors the tensors by name; `__metadata__` is reserved and cannot be a name
 * @param metadata an optional string-to-string map stored as `__metadata__`
 * @returns the file's bytes
 */
export function writeSafetensors(tensors: Record<string, FloatTensor>, metadata?: Record<string, string>): Uint8Array {
  const fn = 'writeSafetensors';
  if (!isPlainObject(tensors)) {
    throw new SETypeError(`${fn}: tensors must be an object of tensors by name but got ${describeValue(tensors)}`);
  }
  const names = Object.keys(tensors).sort(compareCodePoints);
  if (names.includes('__metadata__')) {
    throw new SEOptionError(`${fn}: tensors["__metadata__"]: that name is reserved for the metadata map; pass metadata as the second argument`);
  }
  const checked = names.map((name) => checkTensor(fn, `tensors[${JSON.stringify(name)}]`, tensors[name]));
  const parts: string[] = [];
  if (metadata !== undefined && metadata !== null) {
    if (!isPlainObject(metadata)) {
      throw new SETypeError(`${fn}: metadata must be an object of strings but got ${describeValue(metadata)}`);
    }
    const entries: string[] = [];
    for (const key of Object.keys(metadata).sort(compareCodePoints)) {
      const value: unknown = metadata[key];
      if (typeof value !== 'string') {
        throw new SETypeError(`${fn}: metadata[${JSON.stringify(key)}] must be a string but is ${describeValue(value)}`);
      }
      entries.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
    }
    parts.push(`"__metadata__":{${entries.join(',')}}`);
  }
  let dataLength = 0;
  for (let i = 0; i < names.length; i++) {
    const bytesNeeded = checked[i].size * 4;
    parts.push(
      `${JSON.stringify(names[i])}:{"dtype":"F32","shape":[${checked[i].shape.join(',')}],` +
        `"data_offsets":[${dataLength},${dataLength + bytesNeeded}]}`,
    );
    dataLength += bytesNeeded;
  }
  // Built by hand rather than with JSON.stringify of an object, which would move integer-like names first.
  const header = encodeUtf8(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(header.length / 8) * 8;
  if (headerLength > SAFETENSORS_MAX_HEADER_BYTES) {
    throw new SEShapeError(`${fn}: the header would be ${headerLength} bytes, more than the ${SAFETENSORS_MAX_HEADER_BYTES} a reader accepts`);
  }
  const out = new Uint8Array(8 + headerLength + dataLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength, true);
  view.setUint32(4, 0, true);
  out.set(header, 8);
  out.fill(0x20, 8 + header.length, 8 + headerLength);
  let p = 8 + headerLength;
  for (const t of checked) {
    const src = denseBytes(t);
    if (LITTLE_ENDIAN) {
      out.set(src, p);
    } else {
      const values = new DataView(src.buffer, src.byteOffset, src.byteLength);
      for (let i = 0; i < src.length; i += 4) view.setFloat32(p + i, values.getFloat32(i, false), true);
    }
    p += src.length;
  }
  return out;
}
