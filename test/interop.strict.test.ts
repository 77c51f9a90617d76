/**
 * readSafetensors is as strict as the format's reference reader (huggingface/safetensors,
 * `Metadata::validate` and the buffer check after it), issue 17 item 4: the tensors tile the byte
 * buffer exactly (first at 0, no overlap, no hole, no trailing bytes, none after an empty header),
 * a name given twice in the header is refused (found in the raw text: JSON.parse keeps the last),
 * a truncated file is said to look truncated, a detached buffer is a typed error.
 */
import { expectError } from './expectError.js';
import { SEShapeError, SEStateError, SETypeError, readSafetensors, readSafetensorsHeader, readSafetensorsMetadata, writeSafetensors } from '../src/core.js';

/** A safetensors file from raw header text (padded with spaces to 8 bytes) and `data` bytes. */
function file(header: string, dataBytes: number): Uint8Array {
  const text = new TextEncoder().encode(header);
  const n = Math.ceil(text.length / 8) * 8;
  const out = new Uint8Array(8 + n + dataBytes);
  new DataView(out.buffer).setUint32(0, n, true);
  out.fill(0x20, 8, 8 + n);
  out.set(text, 8);
  return out;
}

/** A header entry of `n` F32 elements at bytes [begin, end). */
function f32(n: number, begin: number, end: number): string {
  return `{"dtype":"F32","shape":[${n}],"data_offsets":[${begin},${end}]}`;
}

describe('the tensors must tile the byte buffer exactly', () => {
  test('well-formed files read, zero-sized tensors included; every file writeSafetensors makes is one', () => {
    expect(Object.keys(readSafetensors(file(`{"a":${f32(1, 0, 4)},"b":${f32(2, 4, 12)}}`, 12)))).toEqual(['a', 'b']);
    expect(Object.keys(readSafetensors(file(`{"b":${f32(2, 4, 12)},"a":${f32(1, 0, 4)}}`, 12)))).toEqual(['b', 'a']);
    expect(readSafetensors(file(`{"e":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"a":${f32(1, 0, 4)}}`, 4)).e.shape).toEqual([0]);
    expect(readSafetensors(file('{}', 0))).toEqual({});
    const bytes = writeSafetensors({ a: { data: new Float32Array(3), shape: [3] }, b: { data: new Int32Array(2), shape: [2] }, z: { data: new Float32Array(0), shape: [0] } });
    expect(Object.keys(readSafetensors(bytes)).sort()).toEqual(['a', 'b', 'z']);
  });

  test('overlapping tensors', () => {
    expectError(() => readSafetensors(file(`{"a":${f32(2, 0, 8)},"b":${f32(2, 4, 12)}}`, 12)), SEShapeError, 'readSafetensors',
      /header entry "b" \(bytes 4 to 12\) overlaps header entry "a", which ends at byte 8/);
    expectError(() => readSafetensors(file(`{"a":${f32(2, 0, 8)},"b":${f32(2, 0, 8)}}`, 8)), SEShapeError, 'readSafetensors', /overlaps/);
  });

  test('a hole between tensors, and a first tensor not at offset 0', () => {
    expectError(() => readSafetensors(file(`{"a":${f32(1, 0, 4)},"b":${f32(1, 8, 12)}}`, 12)), SEShapeError, 'readSafetensors',
      /header entry "b" starts at byte 8 but the end of header entry "a" is at byte 4: a hole of 4 bytes/);
    expectError(() => readSafetensors(file(`{"a":${f32(1, 4, 8)}}`, 8)), SEShapeError, 'readSafetensors',
      /header entry "a" starts at byte 4 but the start of the byte buffer is at byte 0/);
  });

  test('bytes after the last tensor, and an empty header followed by stray bytes', () => {
    expectError(() => readSafetensors(file(`{"a":${f32(1, 0, 4)}}`, 8)), SEShapeError, 'readSafetensors',
      /the last tensor, header entry "a", ends at byte 4 but 4 more bytes follow \(trailing bytes/);
    expectError(() => readSafetensors(file('{}', 8)), SEShapeError, 'readSafetensors', /the header lists no tensors but 8 more bytes follow/);
    expectError(() => readSafetensors(file('{"__metadata__":{"k":"v"}}', 3)), SEShapeError, 'readSafetensors', /lists no tensors but 3 more bytes/);
    expectError(() => readSafetensorsMetadata(file('{}', 8)), SEShapeError, 'readSafetensorsMetadata', /lists no tensors/);
    expectError(() => readSafetensorsHeader(file('{}', 8)), SEShapeError, 'readSafetensorsHeader', /lists no tensors/);
  });

  test('a truncated file says it looks truncated', () => {
    const whole = writeSafetensors({ a: { data: new Float32Array(4), shape: [4] }, b: { data: new Float32Array(2), shape: [2] } });
    expectError(() => readSafetensors(whole.subarray(0, whole.length - 3)), SEShapeError, 'readSafetensors', /reach past the end of the byte buffer.*looks truncated/);
    expectError(() => readSafetensors(whole.subarray(0, 12)), SEShapeError, 'readSafetensors', /truncated/);
  });
});

describe('a name given twice in the header', () => {
  test('is refused, though JSON.parse would keep the last', () => {
    expectError(() => readSafetensors(file(`{"a":${f32(1, 0, 4)},"a":${f32(1, 4, 8)}}`, 8)), SETypeError, 'readSafetensors', /the header gives header entry "a" twice/);
    // The same name written differently in JSON.
    expectError(() => readSafetensors(file(`{"a":${f32(1, 0, 4)},"\\u0061":${f32(1, 0, 4)}}`, 4)), SETypeError, 'readSafetensors', /"a" twice/);
    expectError(() => readSafetensors(file(`{"__metadata__":{"k":"1"},"a":${f32(1, 0, 4)},"__metadata__":{"k":"2"}}`, 4)), SETypeError, 'readSafetensors',
      /"__metadata__" twice/);
  });

  test('nested keys, braces and quotes inside strings do not confuse the scanner', () => {
    const meta = '{"__metadata__":{"x":"}{\\",\\"a\\":","a":"[]"} , "a" : ' + f32(1, 0, 4) + ' , "b\\"}":' + f32(0, 4, 4) + '}';
    const entries = readSafetensors(file(meta, 4));
    expect(Object.keys(entries).sort()).toEqual(['a', 'b"}']);
    expect(readSafetensorsMetadata(file(meta, 4))).toEqual({ x: '}{","a":', a: '[]' });
  });
});

test('bytes whose buffer was detached: a typed error, not a raw TypeError', () => {
  const written = writeSafetensors({ a: { data: new Float32Array(4), shape: [4] } });
  const bytes = new Uint8Array(new ArrayBuffer(written.length));
  bytes.set(written);
  structuredClone(bytes.buffer, { transfer: [bytes.buffer] });
  expectError(() => readSafetensors(bytes), SEStateError, 'readSafetensors', /buffer was detached/);
  expectError(() => readSafetensorsMetadata(bytes), SEStateError, 'readSafetensorsMetadata', /detached/);
});
