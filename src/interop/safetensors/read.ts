/** Reading a safetensors file: every dtype, decoded as the dtype table (./dtypes.ts) says. */
import { optionsSnapshot, unknownKey } from '../../arguments.js';
import { SEOptionError, SEStateError, SETypeError, describeValue, quoted } from '../../errors.js';
import { typedArrayLength } from '../../intrinsics.js';
import { rowMajorStrides } from '../../tensor.js';
import { DTYPES, bytesOf, firstNonBool } from './dtypes.js';
import { checkBytes, parseHeader, setOwn } from './header.js';
import { entryLabel } from './layout.js';
import type { ReadSafetensorsOptions, SafetensorsEntry, SafetensorsTensorInfo } from './types.js';

/** The filter of `options` (read once), or null for none. */
function readFilter(fn: string, options: unknown): ((name: string) => boolean) | null {
  const o = optionsSnapshot(fn, options, ['filter']);
  const key = unknownKey(o, ['filter']);
  if (key !== undefined) throw new SEOptionError(`${fn}: unknown option ${quoted(key, 40)}; expected filter`);
  const filter = o.filter;
  if (filter === undefined) return null;
  if (typeof filter !== 'function') {
    throw new SEOptionError(`${fn}: options.filter must be a function (name: string) => boolean but is ${describeValue(filter)}`);
  }
  return (name) => filter(name) as boolean;
}

/** Decodes one validated entry of `file` into fresh arrays, as its dtype's row of the table says. */
function decodeEntry(fn: string, name: string, info: SafetensorsTensorInfo, file: Uint8Array, dataStart: number): SafetensorsEntry {
  const { dtype } = info;
  const d = DTYPES[dtype];
  const start = dataStart + info.dataOffsets[0];
  const bytes = file.subarray(start, dataStart + info.dataOffsets[1]);
  const data = d.read(bytes, (bytes.length * 8) / d.bits);
  if (dtype === 'BOOL') {
    const i = firstNonBool(data as Uint8Array);
    if (i >= 0) throw new SETypeError(`${fn}: ${entryLabel(name)} is BOOL but its element ${i} is the byte ${data[i]} (a BOOL byte is 0 or 1)`);
  }
  if (d.family === 'packed') return { dtype, data, shape: info.shape.slice() } as SafetensorsEntry;
  const shape = d.family === 'complex' ? [...info.shape, 2] : info.shape.slice();
  return { dtype, data, shape, stride: rowMajorStrides(shape), offset: 0 } as SafetensorsEntry;
}

/** The names `filter` keeps, in order; every answer must be a boolean. */
function filterNames(fn: string, names: string[], filter: (name: string) => boolean): string[] {
  const wanted: string[] = [];
  for (const name of names) {
    const keep = filter(name);
    if (typeof keep !== 'boolean') {
      throw new SETypeError(`${fn}: options.filter must return true or false but returned ${describeValue(keep)} for ${quoted(name, 80)}`);
    }
    if (keep) wanted.push(name);
  }
  return wanted;
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
  const filter = readFilter(fn, options);
  const header = parseHeader(fn, given);
  const length = given.length;
  const names = Object.keys(header.tensors);
  const wanted = filter === null ? names : filterNames(fn, names, filter);
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
