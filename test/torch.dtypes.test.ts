/**
 * readSafetensors on a file PyTorch wrote in every dtype it stores (test/fixtures/torch/
 * dtypes.safetensors, made by scripts/torch/make-fixtures.py: torch's own `.to(dtype)` rounding,
 * overflow and truncation): every value decodes to what torch's float64 view of it says; an SE
 * block stored in BF16 loads and reproduces torch's output from the upcast weights.
 */
import { loadSEParams, readSafetensors, seForward, writeSafetensors, type SafetensorsEntry } from '../src/core.js';
import { relativeError } from '../src/testing/index.js';
import { fixtureBytes } from './torch.fixtures.js';

const entries = readSafetensors(fixtureBytes('dtypes.safetensors'));
/** The float64 view as torch wrote it, exactly (not rounded to float32 by the reader). */
function exactF64(name: string): Float64Array {
  const bytes = fixtureBytes('dtypes.safetensors');
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, { data_offsets: [number, number] }>;
  const [b, e] = header[`${name}.f64`].data_offsets;
  const start = 8 + headerLength + b;
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, e - b);
  return Float64Array.from({ length: (e - b) / 8 }, (_, i) => view.getFloat64(8 * i, true));
}

describe('every dtype PyTorch stores, decoded as torch reads it', () => {
  test('the file has every dtype torch 1.13 writes to safetensors', () => {
    const dtypes = new Set(Object.values(entries).map((e: SafetensorsEntry) => e.dtype));
    expect([...dtypes].sort()).toEqual(['BF16', 'BOOL', 'F16', 'F32', 'F64', 'I16', 'I32', 'I64', 'I8', 'U8']);
  });

  test.each(['f32', 'f16', 'bf16'])('%s: every value (overflow to Infinity, subnormals, -0 included) equals torch\'s float64 view', (name) => {
    const e = entries[name];
    const want = exactF64(name);
    expect(e.data).toBeInstanceOf(Float32Array);
    expect(Array.from(e.data as Float32Array)).toEqual(Array.from(want));
    expect(Object.is((e.data as Float32Array)[1], -0)).toBe(true);
  });

  test('f64 decodes to the nearest float32 of torch\'s float64 values', () => {
    const want = exactF64('f64');
    expect(Array.from(entries.f64.data as Float32Array)).toEqual(Array.from(want, (v) => Math.fround(v)));
  });

  test.each([
    ['i64', BigInt64Array],
    ['i32', Int32Array],
    ['i16', Int16Array],
    ['i8', Int8Array],
    ['u8', Uint8Array],
    ['bool', Uint8Array],
  ] as const)('%s: the typed array holds torch\'s integers exactly', (name, kind) => {
    const e = entries[name];
    expect(e.data).toBeInstanceOf(kind);
    const want = exactF64(name);
    const got = Array.from(e.data as ArrayLike<number | bigint>, (v) => Number(v));
    expect(got).toEqual(Array.from(want));
  });

  test('I64 values beyond 2^53 are exact as BigInts (2^40, -(2^53 - 1))', () => {
    const data = entries.i64.data as BigInt64Array;
    expect(Array.from(data).includes(2n ** 40n)).toBe(true);
    expect(Array.from(data).includes(-(2n ** 53n) + 1n)).toBe(true);
  });

  test('writing torch\'s F16 and BF16 values back in their dtype keeps them exactly (they are fixed points of our rounding)', () => {
    for (const [name, dtype] of [['f32', 'F32'], ['f16', 'F16'], ['bf16', 'BF16']] as const) {
      const e = entries[name];
      const again = readSafetensors(writeSafetensors({ t: { data: e.data as Float32Array, shape: e.shape, dtype } }));
      expect(Array.from(again.t.data as Float32Array)).toEqual(Array.from(e.data as Float32Array));
    }
  });

  test('our F32, F16 and BF16 rounding of the float64 values gives exactly what torch stored', () => {
    const source = exactF64('f64'); // the float64 values torch converted
    for (const [name, dtype] of [['f32', 'F32'], ['f16', 'F16'], ['bf16', 'BF16']] as const) {
      const written = readSafetensors(writeSafetensors({ t: { data: source, shape: [source.length], dtype } }));
      expect(Array.from(written.t.data as Float32Array)).toEqual(Array.from(entries[name].data as Float32Array));
    }
  });

  test('an SE block stored in BF16 loads and gives torch\'s output from the upcast weights', () => {
    const se = loadSEParams(entries, { prefix: 'bf16se.' });
    const x = entries['bf16se.golden.x'];
    const y = entries['bf16se.golden.y'];
    const got = seForward({ data: x.data as Float32Array, shape: x.shape }, se);
    expect(relativeError(got.y.data, y.data as Float32Array)).toBeLessThan(1e-6);
  });
});
