/**
 * safetensors reading and writing: byte-exact output against the reference format, round trips
 * (fixed and fast-check), hand-built F16 / BF16 files, every malformed-input error, fuzzing, and
 * unaligned input.
 */
import { fc, test as propTest } from '@fast-check/jest';
import { expectError } from './expectError.js';
import { SEError, SEOptionError, SEShapeError, SETypeError } from '../src/errors.js';
import {
  SAFETENSORS_MAX_HEADER_BYTES,
  float16BitsToNumber,
  readSafetensors,
  readSafetensorsHeader,
  readSafetensorsMetadata,
  writeSafetensors,
} from '../src/interop/index.js';
import type { SafetensorsEntry, SafetensorsFloatEntry } from '../src/interop/index.js';
import type { FloatTensor } from '../src/tensor.js';

const utf8 = new TextEncoder();

// The public functions with their parameters widened, to pass deliberately bad input without casts.
const readAny = readSafetensors as (bytes: unknown) => Record<string, SafetensorsEntry>;
const writeAny = writeSafetensors as (tensors: unknown, metadata?: unknown) => Uint8Array;
const headerAny = readSafetensorsHeader as (bytes: unknown) => unknown;

/** A safetensors file built by hand: u64 LE header length, the header bytes, the data bytes. */
function buildFile(header: unknown, data: ArrayLike<number> = [], headerLengthOverride?: number): Uint8Array {
  const headerBytes =
    header instanceof Uint8Array ? header : utf8.encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + headerBytes.length + data.length);
  const view = new DataView(out.buffer);
  const n = headerLengthOverride === undefined ? headerBytes.length : headerLengthOverride;
  view.setUint32(0, n % 2 ** 32, true);
  view.setUint32(4, Math.floor(n / 2 ** 32), true);
  out.set(headerBytes, 8);
  out.set(Array.from(data), 8 + headerBytes.length);
  return out;
}

/** Little-endian bytes of 16-bit patterns. */
function u16le(bits: readonly number[]): number[] {
  return bits.flatMap((b) => [b & 0xff, b >> 8]);
}

/** Little-endian bytes of float32 values. */
function f32le(values: readonly number[]): number[] {
  const view = new DataView(new ArrayBuffer(values.length * 4));
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return Array.from(new Uint8Array(view.buffer));
}

/** A copy of `bytes` that starts `shift` bytes into a larger buffer. */
function atOffset(bytes: Uint8Array, shift: number): Uint8Array {
  const big = new Uint8Array(bytes.length + shift + 3).fill(0xab);
  big.set(bytes, shift);
  return big.subarray(shift, shift + bytes.length);
}

const FLOAT_DTYPES: readonly string[] = ['F64', 'F32', 'F16', 'BF16', 'F8_E5M2', 'F8_E4M3', 'F8_E4M3FNUZ', 'F8_E5M2FNUZ', 'F8_E8M0'];
function isFloatEntry(e: SafetensorsEntry): e is SafetensorsFloatEntry {
  return FLOAT_DTYPES.includes(e.dtype);
}

/** readSafetensors for files of float tensors only: each entry checked to be a float entry. */
function readFloats(bytes: Uint8Array): Record<string, SafetensorsFloatEntry> {
  const out: Record<string, SafetensorsFloatEntry> = {};
  for (const [name, e] of Object.entries(readSafetensors(bytes))) {
    if (!isFloatEntry(e)) throw new Error(`${name} has dtype ${e.dtype}, not a float dtype`);
    Object.defineProperty(out, name, { value: e, enumerable: true });
  }
  return out;
}

/** The float32 bit patterns of a tensor's elements, for exact comparison (NaN payloads, -0). */
function bitsOf(t: { data: Float32Array }): number[] {
  return Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length));
}

function headerText(file: Uint8Array): string {
  const n = new DataView(file.buffer, file.byteOffset).getUint32(0, true);
  return new TextDecoder().decode(file.subarray(8, 8 + n));
}


const expectReadError = (bytes: unknown, cls: new (m: string) => SEError, ...patterns: RegExp[]): void =>
  expectError(() => readAny(bytes), cls, 'readSafetensors', ...patterns);

describe('writeSafetensors: the reference format', () => {
  test('is byte for byte what the reference implementation writes', () => {
    const file = writeSafetensors({ x: { data: new Float32Array([1, -2]), shape: [2] } }, { format: 'pt' });
    const header = '{"__metadata__":{"format":"pt"},"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
    expect(Array.from(file)).toEqual(Array.from(buildFile(padded, f32le([1, -2]))));
  });

  test('pads the header with spaces to a multiple of 8 bytes, sorts names and lays data out in name order', () => {
    const file = writeSafetensors({
      b: { data: new Float32Array([3]), shape: [] },
      '10': { data: new Float32Array([1, 2]), shape: [2] },
      '2': { data: new Float32Array([5, 6, 7]), shape: [3, 1] },
      a: { data: new Float32Array([4]), shape: [1] },
    });
    const n = new DataView(file.buffer).getUint32(0, true);
    expect(n % 8).toBe(0);
    expect(new DataView(file.buffer).getUint32(4, true)).toBe(0);
    const text = headerText(file);
    expect(text.trimEnd().endsWith('}')).toBe(true);
    expect(/^ *$/.test(text.slice(text.trimEnd().length))).toBe(true);
    const keys = Object.keys(JSON.parse(text));
    // Code-point order; JSON.stringify of an object would have put '2' before '10'.
    expect(text.indexOf('"10"')).toBeLessThan(text.indexOf('"2"'));
    expect(keys.sort()).toEqual(['10', '2', 'a', 'b']);
    const h = readSafetensorsHeader(file);
    expect(h.tensors['10'].dataOffsets).toEqual([0, 8]);
    expect(h.tensors['2'].dataOffsets).toEqual([8, 20]);
    expect(h.tensors.a.dataOffsets).toEqual([20, 24]);
    expect(h.tensors.b.dataOffsets).toEqual([24, 28]);
    expect(h.dataStart).toBe(8 + n);
    expect(file.length).toBe(8 + n + 28);
  });

  test('writes an empty file for no tensors', () => {
    const file = writeSafetensors({});
    expect(headerText(file)).toBe('{}      ');
    expect(readSafetensors(file)).toEqual({});
    expect(readSafetensorsMetadata(file)).toEqual({});
  });

  test('writes any strided view densely in row-major order, and modifies nothing', () => {
    // A [3, 2] transposed view of the row-major [2, 3] matrix [[0, 1, 2], [3, 4, 5]] at offset 1.
    const data = new Float32Array([99, 0, 1, 2, 3, 4, 5]);
    const before = data.slice();
    const view: FloatTensor = { data, shape: [3, 2], stride: [1, 3], offset: 1 };
    const back = readFloats(writeSafetensors({ t: view }));
    expect(back.t.shape).toEqual([3, 2]);
    expect(Array.from(back.t.data)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(data).toEqual(before);
  });

  test('writes a contiguous view at an offset without its neighbours', () => {
    const data = new Float32Array([7, 1, 2, 3, 8]);
    const back = readFloats(writeSafetensors({ t: { data: data.subarray(1), shape: [3], offset: 0 } }));
    expect(Array.from(back.t.data)).toEqual([1, 2, 3]);
    const back2 = readFloats(writeSafetensors({ t: { data, shape: [3], offset: 1 } }));
    expect(Array.from(back2.t.data)).toEqual([1, 2, 3]);
  });

  test('stores names such as __proto__ and non-ASCII names as own keys', () => {
    const tensors: Record<string, FloatTensor> = {};
    Object.defineProperty(tensors, '__proto__', { value: { data: new Float32Array([1]), shape: [1] }, enumerable: true });
    tensors['héllo/𝔵:0'] = { data: new Float32Array([2]), shape: [1] };
    const back = readSafetensors(writeSafetensors(tensors, { 'ключ': 'значение 🎉' }));
    expect(Object.keys(back).sort()).toEqual(['__proto__', 'héllo/𝔵:0']);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(back, '__proto__')).toBe(true);
    expect(back['héllo/𝔵:0']).toEqual({ dtype: 'F32', data: new Float32Array([2]), shape: [1], stride: [1], offset: 0 });
    expect(readSafetensorsMetadata(writeSafetensors(tensors, { 'ключ': 'значение 🎉' }))).toEqual({ 'ключ': 'значение 🎉' });
  });
});

describe('writeSafetensors: bad input', () => {
  const fn = 'writeSafetensors';
  const ok = { data: new Float32Array(2), shape: [2] };
  test.each([null, undefined, 3, 'x', [ok]])('tensors = %p', (v) => {
    expectError(() => writeAny(v), SETypeError, fn, /tensors must be an object/);
  });
  test.each<[string, unknown]>([
    ['a plain array', [1, 2]],
    ['a Uint8ClampedArray', new Uint8ClampedArray(2)],
    ['a DataView', new DataView(new ArrayBuffer(8))],
    ['an object that looks like a Float32Array', { length: 2, 0: 1, 1: 2, BYTES_PER_ELEMENT: 4 }],
  ])('data that is %s', (_, data) => {
    expectError(() => writeAny({ w: { data, shape: [2] } }), SETypeError, fn, /tensors\["w"\]\.data must be a Float32Array, Float64Array, BigInt64Array/);
  });
  test('a value that is not a tensor', () => {
    expectError(() => writeAny({ w: 3 }), SETypeError, fn, /tensors\["w"\] must be a tensor \{data, shape, stride\?, offset\?, dtype\?\} but got 3/);
  });
  test('a view that reaches past its data', () => {
    expectError(() => writeSafetensors({ w: { data: new Float32Array(6), shape: [2, 3], stride: [1, 2], offset: 1 } }), SEShapeError, fn, /addresses data\[1\.\.6\] but tensors\["w"\]\.data has length 6/);
    expectError(() => writeAny({ w: { data: new Float32Array(6), shape: [2, 3], stride: [3] } }), SEShapeError, fn, /stride must be an array of 2 integers/);
    expectError(() => writeAny({ w: { data: new Float32Array(6), shape: [2, -3] } }), SEShapeError, fn, /shape\[1\] must be a non-negative integer but is -3/);
    expectError(() => writeAny({ w: { data: new Float32Array(6), shape: [6], offset: -1 } }), SEShapeError, fn, /offset must be a non-negative integer but is -1/);
  });
  test('a shape that does not fit the data', () => {
    expectError(() => writeSafetensors({ w: { data: new Float32Array(5), shape: [2, 3] } }), SEShapeError, fn, /tensors\["w"\]/, /length 5/);
  });
  test('a non-string metadata value', () => {
    expectError(() => writeAny({ w: ok }, { format: 3 }), SETypeError, fn, /metadata\["format"\] must be a string but is 3/);
    expectError(() => writeAny({ w: ok }, []), SETypeError, fn, /metadata must be an object/);
  });
  test('the reserved name __metadata__', () => {
    expectError(() => writeSafetensors({ __metadata__: ok }), SEOptionError, fn, /reserved/);
  });
});

describe('safetensors round trips', () => {
  test('F32 tensors of several ranks, with metadata', () => {
    const tensors = {
      scalar: { data: new Float32Array([Math.PI]), shape: [] },
      v: { data: new Float32Array([1, -0, NaN, Infinity, -Infinity, 1e-45]), shape: [6] },
      m: { data: Float32Array.from({ length: 24 }, (_, i) => i / 7), shape: [2, 3, 4] },
    };
    const file = writeSafetensors(tensors, { format: 'pt', note: '' });
    const back = readFloats(file);
    expect(Object.keys(back)).toEqual(['m', 'scalar', 'v']);
    for (const [name, t] of Object.entries(tensors)) {
      expect(back[name].shape).toEqual(t.shape);
      expect(back[name].stride).toEqual(name === 'm' ? [12, 4, 1] : name === 'v' ? [1] : []);
      expect(back[name].offset).toBe(0);
      expect(bitsOf(back[name])).toEqual(Array.from(new Uint32Array(t.data.buffer)));
    }
    expect(readSafetensorsMetadata(file)).toEqual({ format: 'pt', note: '' });
  });

  const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 4 });
  const tensorArb = shapeArb.chain((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return fc.float32Array({ minLength: n, maxLength: n }).map((data) => ({ data, shape }));
  });
  const nameArb = fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => s !== '__metadata__' && s !== '__proto__');

  propTest.prop(
    [fc.dictionary(nameArb, tensorArb, { maxKeys: 6 }), fc.option(fc.dictionary(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' })), { nil: undefined }), fc.integer({ min: 0, max: 7 })],
    { numRuns: 150 },
  )('write then read gives back every tensor bit for bit, at any byte offset', (tensors, metadata, shift) => {
    const file = writeSafetensors(tensors, metadata);
    const back = readFloats(atOffset(file, shift));
    expect(Object.keys(back).sort()).toEqual(Object.keys(tensors).sort());
    for (const name of Object.keys(tensors)) {
      const t = tensors[name];
      expect(back[name].shape).toEqual(t.shape);
      expect(back[name].data.buffer).not.toBe(file.buffer);
      expect(bitsOf(back[name])).toEqual(Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)));
    }
    const md = readSafetensorsMetadata(file);
    // JSON.stringify escapes lone surrogates, so even those survive. fromEntries makes own keys,
    // so a "__proto__" key is compared as data, not assigned to the prototype.
    const expected: Record<string, string> = Object.fromEntries(Object.entries(metadata ?? {}));
    expect(Object.keys(md).sort()).toEqual(Object.keys(expected).sort());
    for (const k of Object.keys(expected)) expect([k, md[k]]).toEqual([k, expected[k]]);
  });
});

describe('readSafetensors: F16 and BF16 files built by hand', () => {
  const f16Cases: [number, number][] = [
    [0x0000, 0],
    [0x8000, -0],
    [0x3c00, 1],
    [0xc000, -2],
    [0x3555, 0.333251953125],
    [0x7bff, 65504],
    [0x0400, 2 ** -14], // smallest normal
    [0x0001, 2 ** -24], // smallest subnormal
    [0x03ff, 1023 * 2 ** -24], // largest subnormal
    [0x8001, -(2 ** -24)],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
    [0x7e00, NaN],
    [0x7c01, NaN],
    [0xfe00, NaN],
  ];

  test('F16: normals, subnormals, infinities, NaN and -0', () => {
    const bits = f16Cases.map((c) => c[0]);
    const file = buildFile({ h: { dtype: 'F16', shape: [3, 5], data_offsets: [0, 30] } }, u16le(bits));
    const { h } = readFloats(file);
    expect(h.shape).toEqual([3, 5]);
    expect(h.stride).toEqual([5, 1]);
    f16Cases.forEach(([, expected], i) => expect(Object.is(h.data[i], expected)).toBe(true));
  });

  test('float16BitsToNumber: sign symmetry and strictly increasing over every finite positive half', () => {
    // Plain comparisons collected into one assertion: 65536 jest expects take seconds.
    const bad: string[] = [];
    let previous = -1;
    for (let b = 0; b < 0x7c00; b++) {
      const v = float16BitsToNumber(b);
      if (!(v > previous) || Math.fround(v) !== v) bad.push(`${b.toString(16)}: ${v}`);
      const neg = float16BitsToNumber(b | 0x8000);
      if (!Object.is(neg, -v)) bad.push(`bits ${b.toString(16)}: ${neg} is not -${v}`);
      previous = v;
    }
    for (let b = 0x7c01; b < 0x8000; b++) if (!Number.isNaN(float16BitsToNumber(b)) || !Number.isNaN(float16BitsToNumber(b | 0x8000))) bad.push(`${b.toString(16)} is not NaN`);
    expect(bad).toEqual([]);
    expect(float16BitsToNumber(0x7bff)).toBe(65504);
  });

  test('BF16: the top half of a float32, NaN payloads kept', () => {
    const bits = [0x3f80, 0xbf80, 0x4049, 0x7f80, 0xff80, 0x7fc0, 0x8000, 0x0000, 0x0001, 0x7f81];
    const file = buildFile({ b: { dtype: 'BF16', shape: [10], data_offsets: [0, 20] } }, u16le(bits));
    const { b } = readFloats(file);
    const expected = [1, -1, 3.140625, Infinity, -Infinity, NaN, -0, 0, 2 ** -133];
    expected.forEach((v, i) => expect(Object.is(b.data[i], v)).toBe(true));
    expect(bitsOf(b)).toEqual(bits.map((x) => (x << 16) >>> 0));
  });

  test('F32, F16, BF16 and a scalar in one file, with odd offsets, read from any byte offset', () => {
    const header = {
      __metadata__: { format: 'pt' },
      half: { dtype: 'F16', shape: [1], data_offsets: [0, 2] },
      single: { dtype: 'F32', shape: [2, 1], data_offsets: [2, 10] },
      brain: { dtype: 'BF16', shape: [], data_offsets: [10, 12] },
      empty: { dtype: 'F32', shape: [0, 3], data_offsets: [12, 12] },
    };
    const file = buildFile(header, [...u16le([0x3c00]), ...f32le([0.1, -7.5]), ...u16le([0x4049])]);
    for (let shift = 0; shift < 8; shift++) {
      const t = readFloats(atOffset(file, shift));
      expect(Object.keys(t)).toEqual(['half', 'single', 'brain', 'empty']);
      expect(Array.from(t.half.data)).toEqual([1]);
      expect(t.single.shape).toEqual([2, 1]);
      expect(Array.from(t.single.data)).toEqual([Math.fround(0.1), -7.5]);
      expect(t.brain.shape).toEqual([]);
      expect(Array.from(t.brain.data)).toEqual([3.140625]);
      expect(t.empty.shape).toEqual([0, 3]);
      expect(t.empty.data.length).toBe(0);
    }
  });

  test('accepts a Node Buffer, never aliases the input, and leaves it unchanged', () => {
    const file = writeSafetensors({ w: { data: new Float32Array([1, 2, 3]), shape: [3] } });
    const buf = Buffer.from(file);
    const before = Array.from(buf);
    const { w } = readFloats(buf);
    expect(Array.from(w.data)).toEqual([1, 2, 3]);
    expect(w.data.buffer).not.toBe(buf.buffer);
    expect(Array.from(buf)).toEqual(before);
    buf.fill(0);
    expect(Array.from(w.data)).toEqual([1, 2, 3]);
  });
});

describe('readSafetensorsHeader', () => {
  test('lists every dtype the format defines without decoding', () => {
    const file = buildFile(
      { i: { dtype: 'I64', shape: [2], data_offsets: [0, 16] }, f: { dtype: 'F4', shape: [4], data_offsets: [16, 18] } },
      new Uint8Array(18),
    );
    const h = readSafetensorsHeader(file);
    expect(h.tensors.i).toEqual({ dtype: 'I64', shape: [2], dataOffsets: [0, 16] });
    expect(h.tensors.f.dtype).toBe('F4');
    expect(h.metadata).toEqual({});
  });
});

describe('readSafetensors: bad input', () => {
  const valid = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const eight = new Uint8Array(8);

  test.each<[string, unknown]>([
    ['an ArrayBuffer', new ArrayBuffer(16)],
    ['a Float32Array', new Float32Array(4)],
    ['a Uint8ClampedArray', new Uint8ClampedArray(16)],
    ['a plain array', [1, 2, 3]],
    ['a string', 'file.safetensors'],
    ['null', null],
    ['undefined', undefined],
  ])('bytes is %s', (_, v) => expectReadError(v, SETypeError, /bytes must be a Uint8Array/));

  test('an ArrayBuffer gets a hint', () => expectReadError(new ArrayBuffer(16), SETypeError, /new Uint8Array\(buffer\)/));

  test.each([0, 1, 7])('%i bytes', (n) => expectReadError(new Uint8Array(n), SEShapeError, new RegExp(`has ${n} bytes`), /at least 8/));

  test('a header length beyond the file', () => {
    expectReadError(buildFile(valid, f32le([1, 2]), 1000), SEShapeError, /header length is 1000 bytes/, /truncated/);
  });

  test.each([SAFETENSORS_MAX_HEADER_BYTES + 1, 2 ** 32, 2 ** 40, 2 ** 53 - 1])('an absurd header length %d', (n) => {
    expectReadError(buildFile(valid, [], n), SEShapeError, /more than the 100000000 allowed/);
  });

  test.each<[string, number[]]>([
    ['a stray continuation byte', [0x7b, 0x80, 0x7d]],
    ['an invalid lead byte', [0x7b, 0xff, 0x7d]],
    ['an overlong encoding', [0x7b, 0xc0, 0xaf, 0x7d]],
    ['a UTF-16 surrogate', [0x7b, 0xed, 0xa0, 0x80, 0x7d]],
    ['a code point above U+10FFFF', [0x7b, 0xf4, 0x90, 0x80, 0x80, 0x7d]],
    ['a truncated sequence', [0x7b, 0x22, 0xe2, 0x82]],
  ])('a header with %s is not UTF-8', (_, header) => {
    expectReadError(buildFile(Uint8Array.from(header)), SETypeError, /not valid UTF-8/);
  });

  test.each(['{"w":', '', 'hello', '{"a":1,}'])('a header %p that is not JSON', (text) => {
    expectReadError(buildFile(text), SETypeError, /not valid JSON/);
  });

  test.each(['[1,2]', 'null', '3', '"x"', 'true'])('a header %p that is not an object', (text) => {
    expectReadError(buildFile(text), SETypeError, /must be a JSON object/);
  });

  test.each([3, null, 'F32', [1]])('an entry that is %p', (v) => {
    expectReadError(buildFile({ w: v }), SETypeError, /header entry "w" must be an object \{dtype, shape, data_offsets\}/);
  });

  test.each(['dtype', 'shape', 'data_offsets'])('an entry missing %s', (key) => {
    const entry: Record<string, unknown> = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
    delete entry[key];
    expectReadError(buildFile({ w: entry }, f32le([1, 2])), SETypeError, new RegExp(`header entry "w" is missing "${key}"`));
  });

  test.each<[string, Record<string, unknown>, typeof SEError, RegExp]>([
    ['dtype a number', { dtype: 32 }, SETypeError, /dtype must be a string like "F32" but is 32/],
    ['shape a string', { shape: '2' }, SETypeError, /shape must be an array of integers but is "2"/],
    ['shape an object', { shape: { 0: 2 } }, SETypeError, /shape must be an array/],
    ['a negative dim', { shape: [-2] }, SEShapeError, /shape\[0\] must be a non-negative integer but is -2/],
    ['a non-integer dim', { shape: [1, 1.5] }, SEShapeError, /shape\[1\] must be a non-negative integer but is 1\.5/],
    ['a string dim', { shape: ['2'] }, SEShapeError, /shape\[0\] must be a non-negative integer but is "2"/],
    ['data_offsets of length 1', { data_offsets: [8] }, SETypeError, /data_offsets must be an array \[begin, end\] but is \[8\]/],
    ['data_offsets a string', { data_offsets: '0-8' }, SETypeError, /data_offsets must be an array/],
    ['data_offsets with a string', { data_offsets: [0, '8'] }, SEShapeError, /data_offsets must be two non-negative integers/],
    ['negative data_offsets', { data_offsets: [-8, 0] }, SEShapeError, /data_offsets must be two non-negative integers/],
    ['reversed data_offsets', { data_offsets: [8, 0] }, SEShapeError, /data_offsets \[8, 0\] are reversed/],
    ['data_offsets past the end', { data_offsets: [0, 16] }, SEShapeError, /\[0, 16\] reach past the end of the byte buffer, which has 8 bytes/],
    ['data_offsets shorter than the shape', { shape: [3] }, SEShapeError, /spanning 8 bytes but shape \[3\] of dtype F32 .* needs 12 bytes/],
    ['data_offsets longer than the shape', { shape: [1] }, SEShapeError, /spanning 8 bytes but shape \[1\] of dtype F32 .* needs 4 bytes/],
    ['a dtype size mismatch', { dtype: 'F16' }, SEShapeError, /spanning 8 bytes but shape \[2\] of dtype F16 .* needs 4 bytes/],
    ['a scalar of the wrong size', { shape: [] }, SEShapeError, /spanning 8 bytes but shape \[\] of dtype F32 .* needs 4 bytes/],
  ])('an entry with %s', (_, patch, cls, pattern) => {
    const entry = { dtype: 'F32', shape: [2], data_offsets: [0, 8], ...patch };
    expectReadError(buildFile({ w: entry }, f32le([1, 2])), cls, /header entry "w"/, pattern);
  });

  test('an unknown dtype is named, with the ones the format defines', () => {
    const file = buildFile({ w: { dtype: 'F33', shape: [2], data_offsets: [0, 8] } }, f32le([1, 2]));
    expectReadError(file, SETypeError, /unknown dtype "F33"/, /safetensors defines BOOL, F4, F6_E2M3, .*, F32, C64, F64, I64, U64$/);
    // Dtype names are case-sensitive, as in the reference.
    const lower = buildFile({ w: { dtype: 'f32', shape: [2], data_offsets: [0, 8] } }, f32le([1, 2]));
    expectReadError(lower, SETypeError, /unknown dtype "f32"/);
  });

  test('no partial result: a later bad BOOL tensor fails the whole read', () => {
    const file = buildFile(
      { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, z: { dtype: 'BOOL', shape: [2], data_offsets: [4, 6] } },
      [0, 0, 0, 0, 1, 2],
    );
    expectReadError(file, SETypeError, /header entry "z" is BOOL but its element 1 is the byte 2/);
  });

  test.each<[string, unknown, RegExp]>([
    ['an array', ['pt'], /"__metadata__" must be an object of strings but is \["pt"\]/],
    ['a string', 'pt', /"__metadata__" must be an object of strings/],
    ['a non-string value', { format: 1 }, /"__metadata__"\["format"\] must be a string but is 1/],
  ])('__metadata__ that is %s', (_, md, pattern) => {
    const file = buildFile({ __metadata__: md, ...valid }, f32le([1, 2]));
    expectReadError(file, SETypeError, pattern);
    expectError(() => readSafetensorsMetadata(file), SETypeError, 'readSafetensorsMetadata', pattern);
  });

  test('readSafetensorsMetadata and readSafetensorsHeader check the same things under their own names', () => {
    expectError(() => readSafetensorsMetadata(eight.subarray(0, 4)), SEShapeError, 'readSafetensorsMetadata', /at least 8/);
    expectError(() => headerAny(null), SETypeError, 'readSafetensorsHeader', /Uint8Array/);
  });
});

describe('readSafetensors: fuzzing', () => {
  /** Runs `f`; rethrows anything that is not an SEError (TypeError, RangeError, ...). */
  const returnsOrThrowsSEError = (f: () => unknown): void => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof SEError)) throw e;
    }
  };

  propTest.prop([fc.uint8Array({ maxLength: 200 })], { numRuns: 500 })('random bytes', (bytes) => {
    returnsOrThrowsSEError(() => readSafetensors(bytes));
  });

  propTest.prop([fc.uint8Array({ maxLength: 64 }), fc.nat({ max: 300 })], { numRuns: 500 })('random bytes with a plausible header length', (tail, n) => {
    const bytes = new Uint8Array(8 + tail.length);
    new DataView(bytes.buffer).setUint32(0, n, true);
    bytes.set(tail, 8);
    returnsOrThrowsSEError(() => readSafetensors(bytes));
  });

  const entryArb = fc.record(
    {
      dtype: fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'I64', 'F4', 'XX'), fc.jsonValue()),
      shape: fc.oneof(fc.array(fc.integer({ min: -1, max: 4 }), { maxLength: 3 }), fc.jsonValue()),
      data_offsets: fc.oneof(fc.tuple(fc.nat(40), fc.nat(40)), fc.array(fc.oneof(fc.integer({ min: -5, max: 40 }), fc.double())), fc.jsonValue()),
    },
    { requiredKeys: [] },
  );
  propTest.prop(
    [fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(entryArb, fc.jsonValue()), { maxKeys: 4 }), fc.uint8Array({ maxLength: 40 })],
    { numRuns: 1000 },
  )('random headers over random data', (header, data) => {
    returnsOrThrowsSEError(() => readSafetensors(buildFile(header, data)));
    returnsOrThrowsSEError(() => readSafetensorsMetadata(buildFile(header, data)));
  });

  const validFile = writeSafetensors(
    { a: { data: new Float32Array([1, 2, 3]), shape: [3] }, b: { data: new Float32Array([4]), shape: [] } },
    { format: 'pt' },
  );
  propTest.prop([fc.array(fc.tuple(fc.nat(validFile.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(validFile.length)], { numRuns: 1000 })(
    'a valid file with bytes flipped and truncated',
    (edits, length) => {
      const bytes = validFile.slice(0, Math.max(length, 0));
      for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
      returnsOrThrowsSEError(() => readSafetensors(bytes));
    },
  );
});
