/**
 * The header of a safetensors file: an 8-byte little-endian u64 length N, then N bytes of UTF-8 JSON
 * `{ "name": { "dtype", "shape", "data_offsets": [begin, end] }, ..., "__metadata__": {...} }`.
 * Parsed and validated as strictly as the reference reader (see ./layout.ts for the layout rules).
 */
import { hasOwn, isNonNegativeInt } from '../../arguments.js';
import { SEShapeError, SEStateError, SETypeError, describeJson, describeValue, keysText, quoted, shapeText } from '../../errors.js';
import { isDetachedBuffer, typedArrayBuffer, typedArrayName } from '../../intrinsics.js';
import { ALL_DTYPES, DTYPES, bytesOf, isDtype } from './dtypes.js';
import { checkDuplicateNames, checkTiling, entryLabel } from './layout.js';
import type { SafetensorsHeader, SafetensorsTensorInfo } from './types.js';

/** The largest header {@link readSafetensors} accepts, in bytes (the reference implementation's limit). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

// The platform's UTF-8 decoder: Node 18+ and browsers have it. Declared here because the library
// compiles against the plain ES2020 lib, without DOM or Node types.
declare const TextDecoder: new (label: 'utf-8', options: { fatal: boolean; ignoreBOM: boolean }) => { decode(input: Uint8Array): string };

/** Defines an own enumerable property, so that a name like `__proto__` is stored, not assigned to the prototype. */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A non-null object that is not an array. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A header entry's shape: an array of non-negative integers, and its element count. */
function readShape(fn: string, label: string, shape: unknown): { dims: number[]; count: number } {
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
  return { dims: shape as number[], count };
}

/** Parses one tensor's header entry, checking its dtype, shape and data offsets against the byte buffer's `bufferLength`. */
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
  const bits = DTYPES[dtype].bits;
  const { dims, count } = readShape(fn, label, shape);
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
  return typedArrayName(v) === 'Uint8Array';
}

/** `bytes` as a plain Uint8Array over its memory, after checking it is a real Uint8Array with an attached buffer. */
export function checkBytes(fn: string, bytes: unknown): Uint8Array {
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

/** Copies the header's `__metadata__` (`raw`) into `into`, checking it is an object of strings. */
function readMetadata(fn: string, raw: unknown, into: Record<string, string>): void {
  if (!isPlainObject(raw)) {
    throw new SETypeError(`${fn}: the header's "__metadata__" must be an object of strings but is ${describeJson(raw)}`);
  }
  for (const key of Object.keys(raw)) {
    const value = raw[key];
    if (typeof value !== 'string') {
      throw new SETypeError(`${fn}: "__metadata__"[${quoted(key, 80)}] must be a string but is ${describeJson(value)}`);
    }
    setOwn(into, key, value);
  }
}

/** The header's text and where the byte buffer starts, after the checks of the length field. */
function headerText(fn: string, file: Uint8Array): { text: string; dataStart: number } {
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
  return { text, dataStart };
}

/** Parses and validates the header of `file` (already checked to be a plain Uint8Array). */
export function parseHeader(fn: string, file: Uint8Array): SafetensorsHeader {
  const { text, dataStart } = headerText(fn, file);
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
      readMetadata(fn, raw, metadata);
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
