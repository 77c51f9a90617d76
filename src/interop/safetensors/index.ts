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
 * as strict as the reference reader: the tensors tile the byte buffer exactly (no overlap, hole or
 * trailing bytes), each has exactly the bytes its shape and dtype need, and no name is given twice.
 * Zero-sized dims (shape `[0, 3]`) are read as empty tensors. Writing produces what the reference
 * writes: the header padded with spaces to a multiple of 8 bytes, tensors ordered by decreasing dtype
 * alignment then by name.
 *
 * The files: `types.ts` (the public types), `dtypes.ts` (one table of every dtype: size, torch name,
 * reader, writer), `minifloat.ts` (F16, BF16 and 8-bit float codec), `header.ts` (parsing the
 * header), `layout.ts` (the reference's layout checks), `read.ts`, `view.ts` (the writer's views)
 * and `write.ts`.
 */
export * from './types.js';
export { SAFETENSORS_READ_DTYPES, SAFETENSORS_WRITE_DTYPES } from './dtypes.js';
export { float16BitsToNumber } from './minifloat.js';
export { SAFETENSORS_MAX_HEADER_BYTES, readSafetensorsHeader, readSafetensorsMetadata } from './header.js';
export { readSafetensors } from './read.js';
export { writeSafetensors } from './write.js';
