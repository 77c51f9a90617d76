/**
 * safetensors dtypes: every dtype read from hand-built little-endian bytes and round-tripped
 * (fixed and fast-check), F16/BF16 writing against an independent float64 rounding reference
 * (ties to even, subnormals, overflow, NaN, -0), the 8-bit floats' tables, C64 and the raw sub-byte
 * dtypes, dtypes the writer refuses, the `filter` option, and hostile headers.
 */
import { fc, test as propTest } from '@fast-check/jest';
import ndarray from 'ndarray';
import { expectError } from './expectError.js';
import { SEError, SEOptionError, SEShapeError, SEStateError, SETypeError } from '../src/errors.js';
import {
  SAFETENSORS_READ_DTYPES,
  SAFETENSORS_WRITE_DTYPES,
  float16BitsToNumber,
  readSafetensors,
  readSafetensorsHeader,
  readSafetensorsMetadata,
  writeSafetensors,
  type SafetensorsDtype,
  type SafetensorsEntry,
  type SafetensorsWriteTensor,
} from '../src/interop/index.js';

const utf8 = new TextEncoder();
const readAny = readSafetensors as (bytes: unknown, options?: unknown) => Record<string, SafetensorsEntry>;
const writeAny = writeSafetensors as (tensors: unknown, metadata?: unknown) => Uint8Array;

/** A safetensors file built by hand: u64 LE header length, the header bytes, the data bytes. */
function buildFile(header: unknown, data: ArrayLike<number> = []): Uint8Array {
  const headerBytes = utf8.encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(out.buffer).setUint32(0, headerBytes.length, true);
  out.set(headerBytes, 8);
  out.set(Array.from(data), 8 + headerBytes.length);
  return out;
}

/** A copy of `bytes` that starts `shift` bytes into a larger buffer. */
function atOffset(bytes: Uint8Array, shift: number): Uint8Array {
  const big = new Uint8Array(bytes.length + shift + 3).fill(0xab);
  big.set(bytes, shift);
  return big.subarray(shift, shift + bytes.length);
}

/** The bytes of a typed array's elements. */
function bytesOf(a: ArrayBufferView): number[] {
  return Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

/** The data bytes of tensor `name` in a file, as the header places them. */
function tensorBytes(file: Uint8Array, name: string): Uint8Array {
  const h = readSafetensorsHeader(file);
  const [begin, end] = h.tensors[name].dataOffsets;
  return file.subarray(h.dataStart + begin, h.dataStart + end);
}

/** Little-endian u16 values of tensor `name` in a file. */
function u16sOf(file: Uint8Array, name: string): number[] {
  const b = tensorBytes(file, name);
  const out: number[] = [];
  for (let i = 0; i < b.length; i += 2) out.push(b[i] | (b[i + 1] << 8));
  return out;
}

/** The entry's data as a Float32Array (fails the test for another kind). */
function floats(e: SafetensorsEntry | undefined): Float32Array {
  if (e === undefined || !(e.data instanceof Float32Array)) throw new Error(`expected a Float32Array entry, got ${e?.dtype}`);
  return e.data;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

// ------------------------------------------------------------------------------------------
// An independent reference for rounding to F16 / BF16: every non-negative finite value of the
// format indexed by its bit pattern (ordered, so the index is the pattern), decoded by formulas
// written here, and a binary search comparing with exact float64 midpoints.

const F16_VALUES = Array.from({ length: 0x7c00 }, (_, b) => {
  const e = b >> 10;
  const m = b & 0x3ff;
  return e === 0 ? m * 2 ** -24 : (1024 + m) * 2 ** (e - 25);
});
const bf16View = new DataView(new ArrayBuffer(4));
const BF16_VALUES = Array.from({ length: 0x7f80 }, (_, b) => {
  bf16View.setUint32(0, b << 16);
  return bf16View.getFloat32(0);
});

interface Format16 {
  values: readonly number[];
  inf: number;
  nan: number;
}
const F16: Format16 = { values: F16_VALUES, inf: 0x7c00, nan: 0x7e00 };
const BF16: Format16 = { values: BF16_VALUES, inf: 0x7f80, nan: 0x7fc0 };

/** The bits of `v` rounded to nearest, ties to the even pattern, in format `f`. */
function referenceBits(v: number, f: Format16): number {
  if (Number.isNaN(v)) return f.nan;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  const { values } = f;
  const last = values.length - 1;
  const overflow = values[last] + (values[last] - values[last - 1]) / 2;
  if (a >= overflow) return sign | f.inf;
  let lo = 0;
  let hi = last;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (values[mid] <= a) lo = mid;
    else hi = mid - 1;
  }
  if (values[lo] === a || lo === last) return sign | lo;
  const midpoint = (values[lo] + values[lo + 1]) / 2; // exact: the two differ in one more bit than the format holds
  if (a < midpoint) return sign | lo;
  if (a > midpoint) return sign | (lo + 1);
  return sign | (lo % 2 === 0 ? lo : lo + 1);
}

/** The value of bit pattern `bits` in format `f`, from the reference table. */
function referenceValue(bits: number, f: Format16): number {
  const magnitude = bits & 0x7fff;
  if (magnitude === f.inf) return bits & 0x8000 ? -Infinity : Infinity;
  if (magnitude > f.inf) return NaN;
  return bits & 0x8000 ? -f.values[magnitude] : f.values[magnitude];
}

/** The double `k` representable steps above (k > 0) or below a non-negative double `v`. */
function stepDouble(v: number, k: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const bits = view.getBigUint64(0) + BigInt(k);
  if (bits < 0n) return 0;
  view.setBigUint64(0, bits);
  return view.getFloat64(0);
}

/** Writes `values` as `dtype` from a Float64Array or a Float32Array and checks every pattern and the read-back value. */
function checkRounding(values: readonly number[], dtype: 'F16' | 'BF16', source: 'float64' | 'float32'): void {
  const f = dtype === 'F16' ? F16 : BF16;
  const data = source === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
  const file = writeSafetensors({ t: { data, shape: [values.length], dtype } });
  const bits = u16sOf(file, 't');
  const back = readSafetensors(file).t;
  expect(back.dtype).toBe(dtype);
  const got = floats(back);
  for (let i = 0; i < values.length; i++) {
    const expected = referenceBits(data[i], f);
    if (bits[i] !== expected) throw new Error(`${dtype} from ${source}: ${data[i]} was written as ${hex(bits[i])}, expected ${hex(expected)}`);
    const value = referenceValue(expected, f);
    if (!Object.is(got[i], value)) throw new Error(`${dtype}: ${hex(expected)} read back as ${got[i]}, expected ${value}`);
  }
  // Writing what was read gives the same file (the rounded values are exact in the format).
  expect(Array.from(writeSafetensors({ t: back }))).toEqual(Array.from(file));
}

describe('writeSafetensors: F16 and BF16 round to nearest, ties to even', () => {
  test('the reference tables are what they should be', () => {
    expect(F16_VALUES[0x3c00]).toBe(1);
    expect(F16_VALUES[0x7bff]).toBe(65504);
    expect(F16_VALUES[1]).toBe(2 ** -24);
    expect(BF16_VALUES[0x3f80]).toBe(1);
    expect(BF16_VALUES[0x7f7f]).toBe(3.3895313892515355e38);
    expect(BF16_VALUES[1]).toBe(2 ** -133);
    for (let i = 1; i < F16_VALUES.length; i++) if (!(F16_VALUES[i] > F16_VALUES[i - 1])) throw new Error(`F16 table not increasing at ${i}`);
    for (let i = 1; i < BF16_VALUES.length; i++) if (!(BF16_VALUES[i] > BF16_VALUES[i - 1])) throw new Error(`BF16 table not increasing at ${i}`);
    // The reference itself on hand-worked cases.
    expect(referenceBits(65520, F16)).toBe(0x7c00);
    expect(referenceBits(1 + 2 ** -11, F16)).toBe(0x3c00);
    expect(referenceBits(1 + 3 * 2 ** -11, F16)).toBe(0x3c02);
  });

  test.each<[string, number, number]>([
    ['0', 0, 0x0000],
    ['-0', -0, 0x8000],
    ['1', 1, 0x3c00],
    ['-2', -2, 0xc000],
    ['the largest finite half', 65504, 0x7bff],
    ['just below the overflow midpoint', 65519.99, 0x7bff],
    ['the overflow midpoint (a tie: the even pattern is infinity)', 65520, 0x7c00],
    ['-65520', -65520, 0xfc00],
    ['1e6', 1e6, 0x7c00],
    ['Infinity', Infinity, 0x7c00],
    ['-Infinity', -Infinity, 0xfc00],
    ['NaN', NaN, 0x7e00],
    ['1 + 2^-11 (a tie: down to even)', 1 + 2 ** -11, 0x3c00],
    ['1 + 3 * 2^-11 (a tie: up to even)', 1 + 3 * 2 ** -11, 0x3c02],
    ['1 + 2^-11 + 2^-40 (above the tie)', 1 + 2 ** -11 + 2 ** -40, 0x3c01],
    ['the smallest subnormal 2^-24', 2 ** -24, 0x0001],
    ['2^-25, half the smallest subnormal (a tie: down to 0)', 2 ** -25, 0x0000],
    ['just above 2^-25', 2 ** -25 + 2 ** -60, 0x0001],
    ['-2^-25', -(2 ** -25), 0x8000],
    ['3 * 2^-25 (a subnormal tie: up to 2)', 3 * 2 ** -25, 0x0002],
    ['the smallest normal 2^-14', 2 ** -14, 0x0400],
    ['the largest subnormal plus half a step (a tie: up to the smallest normal)', 1023 * 2 ** -24 + 2 ** -25, 0x0400],
    ['-1e-10 (underflow keeps the sign)', -1e-10, 0x8000],
    ['a float64 subnormal', 5e-324, 0x0000],
  ])('F16: %s', (_, v, bits) => {
    const file = writeSafetensors({ t: { data: new Float64Array([v]), shape: [1], dtype: 'F16' } });
    expect(hex(u16sOf(file, 't')[0])).toBe(hex(bits));
    expect(referenceBits(v, F16)).toBe(bits);
  });

  test.each<[string, number, number]>([
    ['1', 1, 0x3f80],
    ['-0', -0, 0x8000],
    ['pi', Math.PI, 0x4049],
    ['1 + 2^-8 (a tie: down to even)', 1 + 2 ** -8, 0x3f80],
    ['1 + 3 * 2^-8 (a tie: up to even)', 1 + 3 * 2 ** -8, 0x3f82],
    ['the largest finite bfloat16', 3.3895313892515355e38, 0x7f7f],
    ['the largest float32 (beyond the overflow midpoint)', 3.4028234663852886e38, 0x7f80],
    ['1e39 (beyond float32)', 1e39, 0x7f80],
    ['-1e39', -1e39, 0xff80],
    ['the smallest subnormal 2^-133', 2 ** -133, 0x0001],
    ['2^-134 (a tie: down to 0)', 2 ** -134, 0x0000],
    ['the smallest float32 subnormal', 2 ** -149, 0x0000],
    ['NaN', NaN, 0x7fc0],
  ])('BF16: %s', (_, v, bits) => {
    const file = writeSafetensors({ t: { data: new Float64Array([v]), shape: [1], dtype: 'BF16' } });
    expect(hex(u16sOf(file, 't')[0])).toBe(hex(bits));
    expect(referenceBits(v, BF16)).toBe(bits);
  });

  test('every NaN, whatever its sign and payload, becomes the positive quiet NaN', () => {
    const f32 = new Float32Array(4);
    new Uint32Array(f32.buffer).set([0x7fc00000, 0xffc00000, 0x7f800001, 0xffbfffff]);
    for (const [dtype, nan] of [['F16', 0x7e00], ['BF16', 0x7fc0]] as const) {
      const file = writeSafetensors({ t: { data: f32, shape: [4], dtype } });
      expect(u16sOf(file, 't')).toEqual([nan, nan, nan, nan]);
    }
  });

  /** Doubles at and around the exact midpoints between neighbours of format `f`, and its boundaries. */
  const nearTies = (f: Format16): fc.Arbitrary<number> =>
    fc
      .tuple(fc.nat(f.values.length - 2), fc.integer({ min: -2, max: 2 }), fc.boolean(), fc.constantFrom('midpoint', 'value', 'overflow'))
      .map(([i, k, negative, where]) => {
        const last = f.values.length - 1;
        const base =
          where === 'midpoint' ? (f.values[i] + f.values[i + 1]) / 2 : where === 'value' ? f.values[i] : f.values[last] + (f.values[last] - f.values[last - 1]) / 2;
        const v = stepDouble(base, k);
        return negative ? -v : v;
      });

  for (const [dtype, f, range] of [['F16', F16, 70000], ['BF16', BF16, 3.5e38]] as const) {
    const anyDouble = fc.oneof(fc.double(), fc.double({ min: -range, max: range }), fc.double({ min: -1e-4, max: 1e-4 }), nearTies(f), nearTies(f));
    propTest.prop([fc.array(anyDouble, { minLength: 1, maxLength: 64 })], { numRuns: 300 })(`${dtype} from float64 matches the reference`, (values) => {
      checkRounding(values, dtype, 'float64');
    });
    const anyFloat = fc.oneof(fc.float(), nearTies(f).map(Math.fround));
    propTest.prop([fc.array(anyFloat, { minLength: 1, maxLength: 64 })], { numRuns: 300 })(`${dtype} from float32 matches the reference`, (values) => {
      checkRounding(values, dtype, 'float32');
    });
  }

  test('every half written from its own value gives its own pattern back', () => {
    const values = Float64Array.from({ length: 0x10000 }, (_, b) => float16BitsToNumber(b));
    const file = writeSafetensors({ t: { data: values, shape: [0x10000], dtype: 'F16' } });
    const bits = u16sOf(file, 't');
    for (let b = 0; b < 0x10000; b++) {
      const expected = Number.isNaN(values[b]) ? 0x7e00 : b;
      if (bits[b] !== expected) throw new Error(`${hex(b)} came back as ${hex(bits[b])}`);
    }
  });
});

describe('writeSafetensors: F32 and F64', () => {
  test('F32 from a Float64Array rounds as Math.fround (ties to even, overflow to infinity)', () => {
    const values = [1 + 2 ** -24, 1 + 3 * 2 ** -24, 1e39, -1e39, 1e-46, -1e-300, 0.1, NaN];
    const file = writeSafetensors({ t: { data: Float64Array.from(values), shape: [values.length], dtype: 'F32' } });
    const back = floats(readSafetensors(file).t);
    values.forEach((v, i) => expect(Object.is(back[i], Math.fround(v))).toBe(true));
    expect(back[0]).toBe(1);
  });

  test('a Float64Array is written as F64 by default, bit for bit, and read back rounded to float32', () => {
    const values = [1 / 3, 1e300, -1e-300, Math.PI, -0];
    const file = writeSafetensors({ t: { data: Float64Array.from(values), shape: [5] } });
    expect(readSafetensorsHeader(file).tensors.t.dtype).toBe('F64');
    const view = new DataView(new ArrayBuffer(40));
    values.forEach((v, i) => view.setFloat64(i * 8, v, true));
    expect(Array.from(tensorBytes(file, 't'))).toEqual(Array.from(new Uint8Array(view.buffer)));
    const back = readSafetensors(file).t;
    expect(back.dtype).toBe('F64');
    expect(Array.from(floats(back))).toEqual(values.map(Math.fround));
    expect(Object.is(floats(back)[4], -0)).toBe(true);
  });

  test('a Float32Array written as F64 widens exactly', () => {
    const data = Float32Array.from([0.1, -3.5, 2 ** -149]);
    const file = writeSafetensors({ t: { data, shape: [3], dtype: 'F64' } });
    const b = tensorBytes(file, 't');
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    expect([0, 1, 2].map((i) => view.getFloat64(i * 8, true))).toEqual(Array.from(data));
  });
});

describe('readSafetensors: integer, BOOL and F64 files built by hand (little-endian on any platform)', () => {
  test('each integer dtype decodes to its typed array', () => {
    const header = {
      num_batches_tracked: { dtype: 'I64', shape: [], data_offsets: [0, 8] },
      i64: { dtype: 'I64', shape: [2], data_offsets: [8, 24] },
      u64: { dtype: 'U64', shape: [1], data_offsets: [24, 32] },
      i32: { dtype: 'I32', shape: [2], data_offsets: [32, 40] },
      u32: { dtype: 'U32', shape: [1], data_offsets: [40, 44] },
      i16: { dtype: 'I16', shape: [1], data_offsets: [44, 46] },
      u16: { dtype: 'U16', shape: [1], data_offsets: [46, 48] },
      i8: { dtype: 'I8', shape: [2], data_offsets: [48, 50] },
      u8: { dtype: 'U8', shape: [1, 1], data_offsets: [50, 51] },
      flags: { dtype: 'BOOL', shape: [3], data_offsets: [51, 54] },
    };
    const data = [
      ...[0x15, 0x81, 0xe9, 0x7d, 0xf4, 0x10, 0x22, 0x11], // 1234567890123456789
      ...[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // -1
      ...[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], // 2^63 - 2
      ...[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // 2^64 - 1
      ...[0x78, 0x56, 0x34, 0x12, 0x00, 0x00, 0x00, 0x80], // 0x12345678, -2^31
      ...[0xff, 0xff, 0xff, 0xff], // 2^32 - 1
      ...[0x00, 0x80], // -32768
      ...[0xef, 0xbe], // 0xbeef
      ...[0x80, 0x7f], // -128, 127
      0xff,
      ...[1, 0, 1],
    ];
    for (let shift = 0; shift < 8; shift++) {
      const t = readSafetensors(atOffset(buildFile(header, data), shift));
      expect(t.num_batches_tracked).toEqual({ dtype: 'I64', data: new BigInt64Array([1234567890123456789n]), shape: [], stride: [], offset: 0 });
      expect(t.i64.data).toEqual(new BigInt64Array([-1n, 2n ** 63n - 2n]));
      expect(t.u64.data).toEqual(new BigUint64Array([2n ** 64n - 1n]));
      expect(t.i32.data).toEqual(new Int32Array([0x12345678, -(2 ** 31)]));
      expect(t.u32.data).toEqual(new Uint32Array([2 ** 32 - 1]));
      expect(t.i16.data).toEqual(new Int16Array([-32768]));
      expect(t.u16.data).toEqual(new Uint16Array([0xbeef]));
      expect(t.i8.data).toEqual(new Int8Array([-128, 127]));
      expect(t.u8).toEqual({ dtype: 'U8', data: new Uint8Array([255]), shape: [1, 1], stride: [1, 1], offset: 0 });
      expect(t.flags).toEqual({ dtype: 'BOOL', data: new Uint8Array([1, 0, 1]), shape: [3], stride: [1], offset: 0 });
      expect(Object.keys(t)).toEqual(Object.keys(header));
    }
    // The writer produces the same bytes from the same arrays.
    const back = readSafetensors(buildFile(header, data));
    for (const name of Object.keys(header)) {
      expect(bytesOf(tensorBytes(writeSafetensors({ [name]: back[name] }), name))).toEqual(bytesOf(tensorBytes(buildFile(header, data), name)));
    }
  });

  test('F64 rounds to the nearest float32, overflowing to infinity', () => {
    const view = new DataView(new ArrayBuffer(32));
    [1 / 3, 1e300, -1e-300, 1 + 2 ** -24].forEach((v, i) => view.setFloat64(i * 8, v, true));
    const t = readSafetensors(buildFile({ d: { dtype: 'F64', shape: [2, 2], data_offsets: [0, 32] } }, new Uint8Array(view.buffer)));
    expect(t.d.dtype).toBe('F64');
    expect(t.d.shape).toEqual([2, 2]);
    expect(Array.from(floats(t.d))).toEqual([Math.fround(1 / 3), Infinity, -0, 1]);
  });

  test('a BOOL byte other than 0 or 1 is an error naming the element', () => {
    const file = buildFile({ flags: { dtype: 'BOOL', shape: [3], data_offsets: [0, 3] } }, [1, 0, 255]);
    expectError(() => readSafetensors(file), SETypeError, 'readSafetensors', /header entry "flags" is BOOL but its element 2 is the byte 255/);
  });
});

describe('readSafetensors: the 8-bit floats', () => {
  const cases: [SafetensorsDtype, [number, number][]][] = [
    [
      'F8_E4M3',
      [[0x00, 0], [0x80, -0], [0x01, 2 ** -9], [0x07, 7 * 2 ** -9], [0x08, 2 ** -6], [0x38, 1], [0x40, 2], [0x78, 256], [0x7e, 448], [0xfe, -448], [0x7f, NaN], [0xff, NaN], [0x3c, 1.5]],
    ],
    [
      'F8_E5M2',
      [[0x00, 0], [0x80, -0], [0x01, 2 ** -16], [0x03, 3 * 2 ** -16], [0x04, 2 ** -14], [0x3c, 1], [0x3e, 1.5], [0x7b, 57344], [0x7c, Infinity], [0xfc, -Infinity], [0x7d, NaN], [0x7e, NaN], [0xff, NaN]],
    ],
    ['F8_E4M3FNUZ', [[0x00, 0], [0x80, NaN], [0x01, 2 ** -10], [0x08, 2 ** -7], [0x40, 1], [0x7f, 240], [0xff, -240], [0xc0, -1]]],
    ['F8_E5M2FNUZ', [[0x00, 0], [0x80, NaN], [0x01, 2 ** -17], [0x04, 2 ** -15], [0x40, 1], [0x7f, 57344], [0xff, -57344], [0xc0, -1]]],
    ['F8_E8M0', [[0x7f, 1], [0x80, 2], [0x7e, 0.5], [0x00, 2 ** -127], [0xfe, 2 ** 127], [0xff, NaN]]],
  ];

  test.each(cases)('%s: hand-worked values', (dtype, pairs) => {
    const file = buildFile({ q: { dtype, shape: [pairs.length], data_offsets: [0, pairs.length] } }, pairs.map((p) => p[0]));
    const q = readSafetensors(file).q;
    expect(q.dtype).toBe(dtype);
    const data = floats(q);
    pairs.forEach(([bits, v], i) => {
      if (!Object.is(data[i], v)) throw new Error(`${dtype} ${hex(bits)}: got ${data[i]}, expected ${v}`);
    });
  });

  test.each<[SafetensorsDtype, number, number, number]>([
    // dtype, NaN patterns, largest finite, smallest positive
    ['F8_E4M3', 2, 448, 2 ** -9],
    ['F8_E5M2', 6, 57344, 2 ** -16],
    ['F8_E4M3FNUZ', 1, 240, 2 ** -10],
    ['F8_E5M2FNUZ', 1, 57344, 2 ** -17],
    ['F8_E8M0', 1, 2 ** 127, 2 ** -127],
  ])('%s: all 256 patterns: NaN count, range, order, and sign symmetry', (dtype, nans, max, min) => {
    const file = buildFile({ q: { dtype, shape: [256], data_offsets: [0, 256] } }, Array.from({ length: 256 }, (_, i) => i));
    const v = Array.from(floats(readSafetensors(file).q));
    expect(v.filter(Number.isNaN).length).toBe(nans);
    const finite = v.filter(Number.isFinite);
    expect(Math.max(...finite)).toBe(max);
    expect(Math.min(...finite.filter((x) => x > 0))).toBe(min);
    const positives = dtype === 'F8_E8M0' ? v.slice(0, 255) : v.slice(0, 128).filter((x) => Number.isFinite(x));
    for (let i = 1; i < positives.length; i++) expect(positives[i]).toBeGreaterThan(positives[i - 1]);
    if (dtype !== 'F8_E8M0') {
      for (let b = 1; b < 128; b++) if (!Number.isNaN(v[b])) expect(Object.is(v[b | 0x80], -v[b])).toBe(true);
    }
  });

  test.each(['F8_E4M3', 'F8_E5M2', 'F8_E4M3FNUZ', 'F8_E5M2FNUZ', 'F8_E8M0'] as const)('%s is refused by the writer, also as read', (dtype) => {
    const read = readSafetensors(buildFile({ q: { dtype, shape: [1], data_offsets: [0, 1] } }, [0x40])).q;
    expectError(() => writeSafetensors({ q: read }), SEOptionError, 'writeSafetensors', new RegExp(`tensors\\["q"\\]\\.dtype ${dtype} cannot be written`), /writable dtypes are BOOL, F4/);
    expectError(() => writeSafetensors({ q: { data: new Float32Array(1), shape: [1], dtype } }), SEOptionError, 'writeSafetensors', /cannot be written/);
  });
});

describe('C64 and the sub-byte dtypes', () => {
  test('C64 reads as (real, imaginary) pairs with a trailing 2, and writes back', () => {
    const view = new DataView(new ArrayBuffer(16));
    [1.5, -2, 0.25, 8].forEach((v, i) => view.setFloat32(i * 4, v, true));
    const file = buildFile({ z: { dtype: 'C64', shape: [2], data_offsets: [0, 16] } }, new Uint8Array(view.buffer));
    const z = readSafetensors(file).z;
    expect(z).toEqual({ dtype: 'C64', data: new Float32Array([1.5, -2, 0.25, 8]), shape: [2, 2], stride: [2, 1], offset: 0 });
    const again = writeSafetensors({ z });
    expect(readSafetensorsHeader(again).tensors.z).toEqual({ dtype: 'C64', shape: [2], dataOffsets: [0, 16] });
    expect(Array.from(tensorBytes(again, 'z'))).toEqual(Array.from(new Uint8Array(view.buffer)));
    // A complex scalar, from a Float64Array.
    const scalar = writeSafetensors({ s: { data: new Float64Array([0.1, -0.2]), shape: [2], dtype: 'C64' } });
    expect(readSafetensorsHeader(scalar).tensors.s.shape).toEqual([]);
    expect(Array.from(floats(readSafetensors(scalar).s))).toEqual([Math.fround(0.1), Math.fround(-0.2)]);
  });

  test('C64 needs a last dim of 2', () => {
    expectError(() => writeSafetensors({ z: { data: new Float32Array(6), shape: [2, 3], dtype: 'C64' } }), SEShapeError, 'writeSafetensors', /dtype C64, which needs a last dim of 2 .* has shape \[2, 3\]/);
    expectError(() => writeSafetensors({ z: { data: new Float32Array(1), shape: [], dtype: 'C64' } }), SEShapeError, 'writeSafetensors', /last dim of 2/);
  });

  test.each<[SafetensorsDtype, number[], number]>([
    ['F4', [4], 2],
    ['F4', [2, 3], 3],
    ['F6_E2M3', [4], 3],
    ['F6_E3M2', [2, 4], 6],
  ])('%s %p is read and written as its raw bytes', (dtype, shape, byteLength) => {
    const raw = Array.from({ length: byteLength }, (_, i) => (i * 37 + 11) & 0xff);
    const file = buildFile({ p: { dtype, shape, data_offsets: [0, byteLength] } }, raw);
    const p = readSafetensors(file).p;
    expect(p).toEqual({ dtype, data: new Uint8Array(raw), shape });
    const again = writeSafetensors({ p });
    expect(readSafetensorsHeader(again).tensors.p).toEqual({ dtype, shape, dataOffsets: [0, byteLength] });
    expect(Array.from(tensorBytes(again, 'p'))).toEqual(raw);
  });

  test('sub-byte tensors that are not a whole number of bytes, or that lie about their size, are refused', () => {
    expectError(
      () => readSafetensors(buildFile({ p: { dtype: 'F4', shape: [3], data_offsets: [0, 2] } }, [0, 0])),
      SEShapeError,
      'readSafetensors',
      /shape \[3\] of dtype F4 \(3 elements of 4 bits\) needs 1\.5 bytes/,
    );
    expectError(
      () => readSafetensors(buildFile({ p: { dtype: 'F6_E2M3', shape: [4], data_offsets: [0, 4] } }, [0, 0, 0, 0])),
      SEShapeError,
      'readSafetensors',
      /spanning 4 bytes but shape \[4\] of dtype F6_E2M3 \(4 elements of 6 bits\) needs 3 bytes/,
    );
    expectError(() => writeSafetensors({ p: { dtype: 'F4', data: new Uint8Array(2), shape: [3] } }), SEShapeError, 'writeSafetensors', /needs 1\.5 \(not a whole number of\) bytes/);
    expectError(() => writeSafetensors({ p: { dtype: 'F6_E3M2', data: new Uint8Array(4), shape: [4] } }), SEShapeError, 'writeSafetensors', /needs 3 bytes, but tensors\["p"\]\.data has 4 bytes/);
    expectError(() => writeAny({ p: { dtype: 'F4', data: new Uint8Array(2), shape: [4], offset: 0 } }), SEOptionError, 'writeSafetensors', /without stride or offset/);
    expectError(() => writeAny({ p: { dtype: 'F4', data: new Float32Array(1), shape: [8] } }), SETypeError, 'writeSafetensors', /dtype is F4, which needs a Uint8Array/);
  });
});

describe('writeSafetensors: dtypes and arrays', () => {
  const fn = 'writeSafetensors';

  test('the dtype lists', () => {
    expect(SAFETENSORS_READ_DTYPES).toEqual(['BOOL', 'F4', 'F6_E2M3', 'F6_E3M2', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F8_E4M3FNUZ', 'F8_E5M2FNUZ', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'C64', 'F64', 'I64', 'U64']);
    expect(SAFETENSORS_WRITE_DTYPES).toEqual(SAFETENSORS_READ_DTYPES.filter((d) => !d.startsWith('F8_')));
  });

  test('the array type decides the dtype when none is given', () => {
    const tensors: Record<string, SafetensorsWriteTensor> = {
      f32: { data: new Float32Array(1), shape: [1] },
      f64: { data: new Float64Array(1), shape: [1] },
      i64: { data: new BigInt64Array(1), shape: [1] },
      u64: { data: new BigUint64Array(1), shape: [1] },
      i32: { data: new Int32Array(1), shape: [1] },
      u32: { data: new Uint32Array(1), shape: [1] },
      i16: { data: new Int16Array(1), shape: [1] },
      u16: { data: new Uint16Array(1), shape: [1] },
      i8: { data: new Int8Array(1), shape: [1] },
      u8: { data: new Uint8Array(1), shape: [1] },
      buffer: { data: Buffer.from([7]), shape: [1] },
    };
    const h = readSafetensorsHeader(writeSafetensors(tensors));
    const dtypes = Object.fromEntries(Object.entries(h.tensors).map(([k, v]) => [k, v.dtype]));
    expect(dtypes).toEqual({ f32: 'F32', f64: 'F64', i64: 'I64', u64: 'U64', i32: 'I32', u32: 'U32', i16: 'I16', u16: 'U16', i8: 'I8', u8: 'U8', buffer: 'U8' });
  });

  test('lays tensors out by decreasing alignment then name, as the reference does, each aligned to its element size', () => {
    const file = writeSafetensors({
      a: { data: new Float32Array([1]), shape: [1] },
      c: { data: new Float32Array([1, 2]), shape: [2], dtype: 'F16' },
      b: { data: new BigInt64Array([3n]), shape: [] },
      d: { data: new Uint8Array([1]), shape: [1], dtype: 'BOOL' },
      e: { data: new Float64Array([5]), shape: [1] },
    });
    const header =
      '{"b":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"e":{"dtype":"F64","shape":[1],"data_offsets":[8,16]},' +
      '"a":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},"c":{"dtype":"F16","shape":[2],"data_offsets":[20,24]},' +
      '"d":{"dtype":"BOOL","shape":[1],"data_offsets":[24,25]}}';
    const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
    expect(new TextDecoder().decode(file.subarray(8, 8 + padded.length))).toBe(padded);
    expect(file.length).toBe(8 + padded.length + 25);
  });

  test('scijs ndarrays are written with their own dtype names meaning "as stored", any strides', () => {
    const m = ndarray(new Float32Array([0, 1, 2, 3, 4, 5]), [2, 3]).transpose(1, 0);
    const k = ndarray(new Int32Array([1, -2, 3, -4]), [2, 2]).step(-1, 1);
    const back = readSafetensors(writeSafetensors({ m, k }));
    expect(back.m).toEqual({ dtype: 'F32', data: new Float32Array([0, 3, 1, 4, 2, 5]), shape: [3, 2], stride: [2, 1], offset: 0 });
    expect(back.k).toEqual({ dtype: 'I32', data: new Int32Array([3, -4, 1, -2]), shape: [2, 2], stride: [2, 1], offset: 0 });
  });

  test('a getter of a later tensor that changes checked BOOL data cannot put a bad byte in the file', () => {
    const flags = new Uint8Array([1, 0]);
    const tensors = {
      a: { data: flags, shape: [2], dtype: 'BOOL' as const },
      get b() {
        flags[0] = 2;
        return { data: new Float32Array(1), shape: [1] };
      },
    };
    const back = readSafetensors(writeSafetensors(tensors));
    expect(back.a.data).toEqual(new Uint8Array([1, 0]));
  });

  test('strided integer views and zero-sized tensors', () => {
    const data = new BigInt64Array([9n, 1n, 2n, 3n, 4n, 5n, 6n]);
    const back = readSafetensors(writeSafetensors({ t: { data, shape: [3, 2], stride: [1, 3], offset: 1 }, e: { data: new Int16Array(0), shape: [0, 3] } }));
    expect(back.t.data).toEqual(new BigInt64Array([1n, 4n, 2n, 5n, 3n, 6n]));
    expect(back.e).toEqual({ dtype: 'I16', data: new Int16Array(0), shape: [0, 3], stride: [3, 1], offset: 0 });
  });

  test.each<[string, unknown, typeof SEError, RegExp]>([
    ['an unknown dtype', { data: new Float32Array(1), shape: [1], dtype: 'F33' }, SEOptionError, /tensors\["t"\]\.dtype must be one of BOOL, F4, .* but is "F33"/],
    ['a lower-case dtype', { data: new Float32Array(1), shape: [1], dtype: 'f16' }, SEOptionError, /dtype must be one of/],
    ['another array\'s scijs name', { data: new Float32Array(1), shape: [1], dtype: 'float64' }, SEOptionError, /dtype must be one of .* but is "float64"/],
    ['I64 from a Float32Array', { data: new Float32Array(1), shape: [1], dtype: 'I64' }, SETypeError, /dtype is I64, which needs a BigInt64Array, but tensors\["t"\]\.data is a Float32Array\(1\)/],
    ['F16 from an Int32Array', { data: new Int32Array(1), shape: [1], dtype: 'F16' }, SETypeError, /dtype is F16, which needs a Float32Array or Float64Array/],
    ['I32 from a Uint32Array', { data: new Uint32Array(1), shape: [1], dtype: 'I32' }, SETypeError, /dtype is I32, which needs an Int32Array/],
    ['BOOL from an Int8Array', { data: new Int8Array(1), shape: [1], dtype: 'BOOL' }, SETypeError, /dtype is BOOL, which needs a Uint8Array/],
    ['BOOL with a 2', { data: new Uint8Array([1, 0, 2]), shape: [3], dtype: 'BOOL' }, SETypeError, /dtype BOOL but its element 2 \(row-major\) is 2; BOOL elements are 0 or 1/],
    ['a dtype that is not a string', { data: new Float32Array(1), shape: [1], dtype: 16 }, SEOptionError, /dtype must be one of .* but is 16/],
  ])('%s', (_, t, cls, pattern) => {
    expectError(() => writeAny({ t }), cls, fn, pattern);
  });
});

describe('every dtype round trips', () => {
  type Case = { tensor: SafetensorsWriteTensor; dtype: SafetensorsDtype; shape: number[] };
  const shapeArb = fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 });
  const count = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
  const sized = <T>(n: number, arb: (c: { minLength: number; maxLength: number }) => fc.Arbitrary<T>): fc.Arbitrary<T> => arb({ minLength: n, maxLength: n });
  const caseArb: fc.Arbitrary<Case> = fc
    .tuple(shapeArb, fc.constantFrom(...SAFETENSORS_WRITE_DTYPES))
    .chain(([shape, dtype]): fc.Arbitrary<Case> => {
      const n = count(shape);
      const make = (data: SafetensorsWriteTensor['data'], s = shape): Case => ({ tensor: { data, shape: s, dtype } as SafetensorsWriteTensor, dtype, shape: s });
      switch (dtype) {
        case 'F32':
        case 'F16':
        case 'BF16':
          return sized(n, (c) => fc.float32Array(c)).map((d) => make(d));
        case 'F64':
          return sized(n, (c) => fc.float64Array(c)).map((d) => make(d));
        case 'C64':
          return sized(2 * n, (c) => fc.float32Array(c)).map((d) => make(d, [...shape, 2]));
        case 'I64':
          return sized(n, (c) => fc.bigInt64Array(c)).map((d) => make(d));
        case 'U64':
          return sized(n, (c) => fc.bigUint64Array(c)).map((d) => make(d));
        case 'I32':
          return sized(n, (c) => fc.int32Array(c)).map((d) => make(d));
        case 'U32':
          return sized(n, (c) => fc.uint32Array(c)).map((d) => make(d));
        case 'I16':
          return sized(n, (c) => fc.int16Array(c)).map((d) => make(d));
        case 'U16':
          return sized(n, (c) => fc.uint16Array(c)).map((d) => make(d));
        case 'I8':
          return sized(n, (c) => fc.int8Array(c)).map((d) => make(d));
        case 'U8':
          return sized(n, (c) => fc.uint8Array(c)).map((d) => make(d));
        case 'BOOL':
          return sized(n, (c) => fc.array(fc.constantFrom(0, 1), c)).map((d) => make(Uint8Array.from(d)));
        case 'F4':
        case 'F6_E2M3':
        case 'F6_E3M2': {
          // Whole bytes only: an even count of 4-bit, a multiple of 4 of 6-bit elements.
          const per = dtype === 'F4' ? 2 : 4;
          const packedShape = [...shape, per];
          return sized((count(packedShape) * (dtype === 'F4' ? 4 : 6)) / 8, (c) => fc.uint8Array(c)).map((d) => ({ tensor: { data: d, shape: packedShape, dtype }, dtype, shape: packedShape }));
        }
        default:
          throw new Error(`${dtype} is not writable`);
      }
    });
  const nameArb = fc.string({ unit: 'binary', maxLength: 8 }).filter((s) => s !== '__metadata__');

  propTest.prop([fc.dictionary(nameArb, caseArb, { maxKeys: 8 }), fc.integer({ min: 0, max: 7 })], { numRuns: 300 })(
    'write, read at any byte offset, write again: same values, same bytes',
    (cases, shift) => {
      const tensors: Record<string, SafetensorsWriteTensor> = {};
      for (const [name, c] of Object.entries(cases)) Object.defineProperty(tensors, name, { value: c.tensor, enumerable: true });
      const file = writeSafetensors(tensors);
      const header = readSafetensorsHeader(file);
      const back = readSafetensors(atOffset(file, shift));
      expect(Object.keys(back).sort()).toEqual(Object.keys(cases).sort());
      for (const [name, c] of Object.entries(cases)) {
        const e = back[name];
        const info = header.tensors[name];
        expect(e.dtype).toBe(c.dtype);
        expect(info.dtype).toBe(c.dtype);
        expect(e.shape).toEqual(c.shape);
        expect(info.shape).toEqual(c.dtype === 'C64' ? c.shape.slice(0, -1) : c.shape);
        if (c.dtype === 'F16' || c.dtype === 'BF16') {
          const f = c.dtype === 'F16' ? F16 : BF16;
          const src = c.tensor.data as Float32Array;
          const got = floats(e);
          for (let i = 0; i < src.length; i++) expect(Object.is(got[i], referenceValue(referenceBits(src[i], f), f))).toBe(true);
        } else if (c.dtype === 'F64') {
          expect(Array.from(floats(e))).toEqual(Array.from(c.tensor.data as Float64Array, Math.fround));
        } else {
          expect(bytesOf(e.data)).toEqual(bytesOf(c.tensor.data));
        }
      }
      // What was read writes back to the very same file, but for F64, which reads rounded to float32.
      const hasF64 = Object.values(cases).some((c) => c.dtype === 'F64');
      if (!hasF64) expect(Array.from(writeSafetensors(back))).toEqual(Array.from(file));
      else expect(readSafetensors(writeSafetensors(back))).toEqual(back);
    },
  );

  test('each tensor starts at a multiple of its element size', () => {
    const file = writeSafetensors({
      a: { data: new Uint8Array(3), shape: [3] },
      b: { data: new Float32Array(1), shape: [1], dtype: 'F16' },
      c: { data: new Float32Array(3), shape: [3] },
      d: { data: new BigInt64Array(1), shape: [1] },
      e: { data: new Int16Array(1), shape: [1] },
    });
    const h = readSafetensorsHeader(file);
    const sizes: Record<string, number> = { U8: 1, F16: 2, F32: 4, I64: 8, I16: 2 };
    for (const info of Object.values(h.tensors)) expect((h.dataStart + info.dataOffsets[0]) % sizes[info.dtype]).toBe(0);
  });
});

describe('readSafetensors: filter', () => {
  const file = writeSafetensors({
    'layer1.0.conv1.weight': { data: new Float32Array(8), shape: [2, 4] },
    'layer1.0.bn1.num_batches_tracked': { data: new BigInt64Array([3n]), shape: [] },
    'layer1.0.se.fc1.weight': { data: new Float32Array([1, 2]), shape: [1, 2, 1, 1] },
    flags: { data: new Uint8Array([1]), shape: [1], dtype: 'BOOL' },
  });

  test('is called once per name in header order, and only what it keeps is decoded and returned', () => {
    const seen: string[] = [];
    const t = readSafetensors(file, {
      filter: (name) => {
        seen.push(name);
        return name.includes('.se.');
      },
    });
    expect(seen).toEqual(Object.keys(readSafetensorsHeader(file).tensors));
    expect(seen.length).toBe(4);
    expect(Object.keys(t)).toEqual(['layer1.0.se.fc1.weight']);
    expect(Array.from(floats(t['layer1.0.se.fc1.weight']))).toEqual([1, 2]);
    expect(readSafetensors(file, { filter: () => false })).toEqual({});
    expect(Object.keys(readSafetensors(file, { filter: () => true }))).toEqual(seen);
    expect(Object.keys(readSafetensors(file, {}))).toEqual(seen);
  });

  test('skips the data of what it drops (a bad BOOL tensor) but still checks the whole header', () => {
    const bad = buildFile(
      { w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, flags: { dtype: 'BOOL', shape: [1], data_offsets: [4, 5] } },
      [0, 0, 0x80, 0x3f, 7],
    );
    expect(Object.keys(readSafetensors(bad, { filter: (n) => n === 'w' }))).toEqual(['w']);
    expectError(() => readSafetensors(bad), SETypeError, 'readSafetensors', /is BOOL but its element 0 is the byte 7/);
    const lying = buildFile(
      { w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, junk: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } },
      [0, 0, 0x80, 0x3f, 0, 0, 0, 0],
    );
    const filter = jest.fn((n: string) => n === 'w');
    expectError(() => readSafetensors(lying, { filter }), SEShapeError, 'readSafetensors', /header entry "junk"\.data_offsets \[4, 12\] reach past the end/);
    expect(filter).not.toHaveBeenCalled();
  });

  test('an error thrown by the filter propagates as it is', () => {
    const boom = new Error('boom');
    let caught: unknown;
    try {
      readSafetensors(file, {
        filter: () => {
          throw boom;
        },
      });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(boom);
  });

  test.each<[string, unknown, typeof SEError, RegExp]>([
    ['options a string', 'se', SETypeError, /options must be an object like \{ filter \} but got "se"/],
    ['an unknown option', { dtypes: ['F32'] }, SEOptionError, /unknown option "dtypes"; expected filter/],
    ['filter not a function', { filter: /se/ }, SEOptionError, /options\.filter must be a function/],
    ['filter returning a string', { filter: (n: string) => (n.includes('se') ? 'yes' : '') }, SETypeError, /options\.filter must return true or false but returned "" for "layer1\.0\.bn1\.num_batches_tracked"/],
    ['filter returning undefined', { filter: () => undefined }, SETypeError, /must return true or false but returned undefined/],
  ])('%s', (_, options, cls, pattern) => {
    expectError(() => readAny(file, options), cls, 'readSafetensors', pattern);
  });

  test('a filter that shrinks the buffer under the bytes is caught before any decoding', () => {
    const buffer: ArrayBuffer = Reflect.construct(ArrayBuffer, [file.length, { maxByteLength: file.length }]);
    const resize = Reflect.get(buffer, 'resize');
    if (typeof resize !== 'function') throw new Error('this Node has no resizable ArrayBuffer');
    const bytes = new Uint8Array(buffer);
    bytes.set(file);
    expectError(
      () => readSafetensors(bytes, { filter: () => (Reflect.apply(resize, buffer, [16]), true) }),
      SEStateError,
      'readSafetensors',
      new RegExp(`bytes changed length from ${file.length} to 16 while options\\.filter ran`),
    );
  });
});

test('readSafetensors: a filter that transfers the buffer under the bytes is caught', () => {
  const file = writeSafetensors({ w: { data: new Float32Array([1, 2]), shape: [2] } });
  const bytes = file.slice();
  expectError(
    () => readSafetensors(bytes, { filter: () => (structuredClone(bytes.buffer, { transfer: [bytes.buffer] }), true) }),
    SEStateError,
    'readSafetensors',
    new RegExp(`bytes changed length from ${file.length} to 0 while options\\.filter ran`),
  );
});

describe('hostile headers', () => {
  const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
  /** Runs `f` and returns its SEError, failing on anything else (a RangeError from a recursion, say). */
  const seErrorOf = (f: () => unknown): SEError => {
    try {
      f();
    } catch (e) {
      if (e instanceof SEError) return e;
      throw e;
    }
    throw new Error('no error thrown');
  };

  test.each<[string, string, RegExp]>([
    ['the whole header', deep(100_000), /the header must be a JSON object .* but is an array of length 1/],
    ['an entry', `{"w":${deep(100_000)}}`, /header entry "w" must be an object \{dtype, shape, data_offsets\} but is an array of length 1/],
    ['a shape', `{"w":{"dtype":"F32","shape":${deep(100_000)},"data_offsets":[0,0]}}`, /header entry "w"\.shape\[0\] must be a non-negative integer but is an array of length 1/],
    ['data_offsets', `{"w":{"dtype":"F32","shape":[0],"data_offsets":[${deep(100_000)},0]}}`, /data_offsets must be two non-negative integers but is an array of length 2/],
    ['a dtype', `{"w":{"dtype":${deep(100_000)},"shape":[0],"data_offsets":[0,0]}}`, /dtype must be a string like "F32" but is an array of length 1/],
    ['metadata', `{"__metadata__":{"k":${deep(100_000)}}}`, /"__metadata__"\["k"\] must be a string but is an array of length 1/],
    ['objects', `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`, /header entry "a" is missing "dtype" \(expected \{dtype, shape, data_offsets\}, got keys "a"\)/],
  ])('100,000 levels of nesting in %s: a typed error, no stack overflow', (_, header, pattern) => {
    const e = seErrorOf(() => readSafetensors(buildFile(header)));
    expect(e.message).toMatch(pattern);
    expect(e.message.length).toBeLessThan(400);
    expect(seErrorOf(() => readSafetensorsMetadata(buildFile(header))).message).toMatch(pattern);
  });

  test('a JSON parser that throws RangeError on deep nesting is reported as a typed error', () => {
    const spy = jest.spyOn(JSON, 'parse').mockImplementation(() => {
      throw new RangeError('Maximum call stack size exceeded');
    });
    try {
      expectError(() => readSafetensors(buildFile('{}')), SETypeError, 'readSafetensors', /the header is not valid JSON \(nested too deeply for this engine\)/);
    } finally {
      spy.mockRestore();
    }
  });

  test('huge names, shapes, strings and numbers give short messages', () => {
    const long = 'n'.repeat(1_000_000);
    const cases: [unknown, RegExp][] = [
      [{ [long]: { dtype: 'F32', shape: [1], data_offsets: [0, 8] } }, /header entry "n{80}"\.\.\. \(1000000 characters\)\.data_offsets \[0, 8\] reach past the end/],
      [{ w: { dtype: 'F32', shape: Array(1_000_000).fill(1), data_offsets: [0, 2] } }, /shape \[1, 1, 1, 1, 1, 1, 1, 1, \.\.\. \(1000000 dims\)\] of dtype F32/],
      [{ w: { dtype: long, shape: [1], data_offsets: [0, 4] } }, /unknown dtype "n{20}"\.\.\. \(1000000 characters\)/],
      [{ w: { dtype: 'F32', shape: [long], data_offsets: [0, 4] } }, /shape\[0\] must be a non-negative integer but is "n{40}"\.\.\./],
      [{ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4], ...Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i])) }, v: 1 }, /header entry "v" must be an object/],
      [{ w: Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i])) }, /is missing "dtype" .*got keys "k0", "k1", "k2", "k3", "k4" and 99995 more/],
      [`{"w":{"dtype":"F32","shape":[1e400],"data_offsets":[0,4]}}`, /shape\[0\] must be a non-negative integer but is Infinity/],
      [{ w: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, /\(1\.2089258196146292e\+24 elements of 4 bytes\) needs 4\.835703278458517e\+24 bytes/],
    ];
    for (const [header, pattern] of cases) {
      const e = seErrorOf(() => readSafetensors(buildFile(header, [0, 0, 0, 0])));
      expect(e.message).toMatch(pattern);
      expect(e.message.length).toBeLessThan(400);
    }
  });

  test('a byte-order mark before the JSON is refused, as the reference refuses it', () => {
    const file = buildFile('\ufeff{}');
    expectError(() => readSafetensors(file), SETypeError, 'readSafetensors', /not valid JSON/);
  });

  test('float16BitsToNumber checks its argument', () => {
    for (const v of [-1, 0x10000, 1.5, NaN, '1']) {
      expectError(() => (float16BitsToNumber as (b: unknown) => number)(v), SETypeError, 'float16BitsToNumber', /bits must be an integer from 0 to 65535/);
    }
  });
});
