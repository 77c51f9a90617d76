/**
 * Global average / max pooling kernels, both layouts, forward and backward.
 * Tolerances: forward means vs the float64 reference use `sumTol` (REL = 1e-6 relative plus
 * 1e-9 * sum|x| / S absolute, see kernelReference.ts); max pooling is exact (it selects an input);
 * backward vs float64 central differences of the reference forward: 1e-6 relative + a small
 * absolute term stated in each test.
 */
import { fc, test } from '@fast-check/jest';
import {
  globalAvgPoolBackward,
  globalAvgPoolChannelsLastBackward,
  globalAvgPoolChannelsLastForward,
  globalAvgPoolForward,
  globalMaxPoolBackward,
  globalMaxPoolChannelsLastBackward,
  globalMaxPoolChannelsLastForward,
  globalMaxPoolForward,
} from '../src/kernels/index.js';
import {
  INPUT_PAD,
  INT_PAD,
  OUTPUT_PAD,
  RUNS,
  REL,
  distinct,
  dot,
  expectAllClose,
  expectSameValues,
  expectWrittenOnly,
  f32s,
  offsetArb,
  padded,
  paddedInt,
  refAbsMeanRows,
  refAvgPool,
  refMaxPool,
  snapshot,
  sumTol,
  tiesAndNaN,
  toChannelsFirst,
  toChannelsLast,
} from './kernelReference.js';
import { numericGradient } from '../src/testing/index.js';

const cfDims = fc.record({ rows: fc.integer({ min: 1, max: 6 }), spatial: fc.integer({ min: 1, max: 20 }) });
const clDims = fc.record({
  samples: fc.integer({ min: 1, max: 3 }),
  spatial: fc.integer({ min: 1, max: 9 }),
  channels: fc.integer({ min: 1, max: 5 }),
});

/** Channels-first case: dims, x and an upstream gradient dz, with x drawn by `xArb`. */
const cfCase = (xArb: (len: number) => fc.Arbitrary<Float32Array>) =>
  cfDims.chain(({ rows, spatial }) =>
    fc.record({ rows: fc.constant(rows), spatial: fc.constant(spatial), x: xArb(rows * spatial), dz: f32s(rows, -4, 4) }),
  );

/** Channels-last case. */
const clCase = (xArb: (len: number) => fc.Arbitrary<Float32Array>) =>
  clDims.chain(({ samples, spatial, channels }) =>
    fc.record({
      samples: fc.constant(samples),
      spatial: fc.constant(spatial),
      channels: fc.constant(channels),
      x: xArb(samples * spatial * channels),
      dz: f32s(samples * channels, -4, 4),
    }),
  );

const wide = (len: number) => f32s(len, -100, 100);

// -----------------------------------------------------------------------------------------------
describe('globalAvgPoolForward / globalAvgPoolBackward (channels-first)', () => {
  test('hand-worked 2x3: means [2, 5]; backward spreads dz / 3', () => {
    const out = new Float32Array(2).fill(NaN);
    expect(globalAvgPoolForward(out, Float32Array.of(1, 2, 3, 4, 5, 6), 2, 3)).toBe(out);
    expect(Array.from(out)).toEqual([2, 5]);
    const dx = new Float32Array(6).fill(NaN);
    expect(globalAvgPoolBackward(dx, Float32Array.of(3, 6), 2, 3)).toBe(dx);
    expect(Array.from(dx)).toEqual([1, 1, 1, 2, 2, 2]);
  });

  test('accumulates in float64: mean(1e8, 1, -1e8, 1, 1) is 0.6 (a float32 sum would lose the 1s)', () => {
    const out = globalAvgPoolForward(new Float32Array(1), Float32Array.of(1e8, 1, -1e8, 1, 1), 1, 5);
    expect(out[0]).toBe(Math.fround(0.6));
  });

  test('NaN and Inf propagate to the mean of their row only', () => {
    const out = globalAvgPoolForward(new Float32Array(3), Float32Array.of(1, NaN, 2, Infinity, 5, 7), 3, 2);
    expect(out[0]).toBeNaN();
    expect(out[1]).toBe(Infinity);
    expect(out[2]).toBe(6);
  });

  test.prop([cfCase(wide)], RUNS)('forward matches the float64 reference (sumTol); x unchanged', ({ rows, spatial, x }) => {
    const unchanged = snapshot(x);
    const out = globalAvgPoolForward(new Float32Array(rows).fill(NaN), x, rows, spatial);
    unchanged();
    const want = refAvgPool(x, rows, spatial);
    const scale = refAbsMeanRows(x, rows, spatial);
    expectAllClose(out, want, (r) => sumTol(want[r], scale[r]), 'avg');
  });

  test.prop([cfCase(wide)], RUNS)(
    'backward equals float64 central differences of sum(dz * avg(x)) (1e-6 rel + 1e-9 abs); dz unchanged',
    ({ rows, spatial, x, dz }) => {
      const unchanged = snapshot(dz);
      const dx = globalAvgPoolBackward(new Float32Array(rows * spatial).fill(NaN), dz, rows, spatial);
      unchanged();
      // L is linear in x, so a large step is exact up to rounding.
      const cd = numericGradient((p) => dot(dz, refAvgPool(p, rows, spatial)), Float64Array.from(x), 0.5, { relativeStep: true });
      expectAllClose(dx, cd, (i) => REL * Math.abs(cd[i]) + 1e-9, 'dx');
    },
  );

  test.prop([cfCase(wide), offsetArb, offsetArb, offsetArb], RUNS)(
    'offsets: same values as the dense call, nothing outside the range written, padding never read',
    ({ rows, spatial, x, dz }, o1, o2, tail) => {
      const dense = globalAvgPoolForward(new Float32Array(rows), x, rows, spatial);
      const xb = padded(x, o2, tail, INPUT_PAD);
      const unchanged = snapshot(xb);
      const ob = new Float32Array(o1 + rows + tail).fill(OUTPUT_PAD);
      expect(globalAvgPoolForward(ob, xb, rows, spatial, o1, o2)).toBe(ob);
      unchanged();
      expectWrittenOnly(ob, o1, dense, OUTPUT_PAD, 'out');

      const denseDx = globalAvgPoolBackward(new Float32Array(rows * spatial), dz, rows, spatial);
      const dzb = padded(dz, o1, tail, INPUT_PAD);
      const dxb = new Float32Array(o2 + rows * spatial + tail).fill(OUTPUT_PAD);
      globalAvgPoolBackward(dxb, dzb, rows, spatial, o2, o1);
      expectWrittenOnly(dxb, o2, denseDx, OUTPUT_PAD, 'dx');
    },
  );
});

// -----------------------------------------------------------------------------------------------
describe('globalAvgPoolChannelsLastForward / Backward', () => {
  test('hand-worked: 1 sample, 3 positions, 2 channels [[1,4],[2,5],[3,6]] -> [2, 5]; backward', () => {
    const acc = new Float64Array(2);
    const out = new Float32Array(2).fill(NaN);
    expect(globalAvgPoolChannelsLastForward(out, Float32Array.of(1, 4, 2, 5, 3, 6), 1, 3, 2, acc)).toBe(out);
    expect(Array.from(out)).toEqual([2, 5]);
    const dx = new Float32Array(6).fill(NaN);
    expect(globalAvgPoolChannelsLastBackward(dx, Float32Array.of(3, 6), 1, 3, 2)).toBe(dx);
    expect(Array.from(dx)).toEqual([1, 2, 1, 2, 1, 2]);
  });

  test('hand-worked: 2 samples, 2 positions, 1 channel', () => {
    const out = globalAvgPoolChannelsLastForward(new Float32Array(2), Float32Array.of(1, 3, -2, 6), 2, 2, 1, new Float64Array(1));
    expect(Array.from(out)).toEqual([2, 2]);
  });

  test('accumulates in float64 (and resets the scratch between samples)', () => {
    const acc = new Float64Array(1).fill(1e30);
    const x = Float32Array.of(1e8, 1, -1e8, 1, 1, /* sample 2 */ 2, 2, 2, 2, 2);
    const out = globalAvgPoolChannelsLastForward(new Float32Array(2), x, 2, 5, 1, acc);
    expect(Array.from(out)).toEqual([Math.fround(0.6), 2]);
  });

  test.prop([clCase(wide), fc.integer({ min: 0, max: 4 })], RUNS)(
    'forward matches the float64 reference (sumTol), whatever the scratch held or how long it is; inputs unchanged',
    ({ samples, spatial, channels, x }, extra) => {
      const acc = new Float64Array(channels + extra).fill(NaN);
      const unchanged = snapshot(x);
      const out = globalAvgPoolChannelsLastForward(new Float32Array(samples * channels).fill(NaN), x, samples, spatial, channels, acc);
      unchanged();
      const xcf = toChannelsFirst(x, samples, spatial, channels);
      const want = refAvgPool(xcf, samples * channels, spatial);
      const scale = refAbsMeanRows(xcf, samples * channels, spatial);
      expectAllClose(out, want, (i) => sumTol(want[i], scale[i]), 'avg');
    },
  );

  test.prop([clCase(wide)], RUNS)(
    'backward equals float64 central differences (1e-6 rel + 1e-9 abs); dz unchanged',
    ({ samples, spatial, channels, x, dz }) => {
      const unchanged = snapshot(dz);
      const dx = globalAvgPoolChannelsLastBackward(new Float32Array(x.length).fill(NaN), dz, samples, spatial, channels);
      unchanged();
      const L = (p: Float64Array) => dot(dz, refAvgPool(toChannelsFirst(p, samples, spatial, channels), samples * channels, spatial));
      const cd = numericGradient(L, Float64Array.from(x), 0.5, { relativeStep: true });
      expectAllClose(dx, cd, (i) => REL * Math.abs(cd[i]) + 1e-9, 'dx');
    },
  );

  test.prop([clCase(wide), offsetArb, offsetArb, offsetArb], RUNS)(
    'offsets: same values as the dense call, nothing outside written, padding never read',
    ({ samples, spatial, channels, x, dz }, o1, o2, tail) => {
      const acc = new Float64Array(channels);
      const dense = globalAvgPoolChannelsLastForward(new Float32Array(samples * channels), x, samples, spatial, channels, acc);
      const xb = padded(x, o2, tail, INPUT_PAD);
      const unchanged = snapshot(xb);
      const ob = new Float32Array(o1 + samples * channels + tail).fill(OUTPUT_PAD);
      globalAvgPoolChannelsLastForward(ob, xb, samples, spatial, channels, acc, o1, o2);
      unchanged();
      expectWrittenOnly(ob, o1, dense, OUTPUT_PAD, 'out');

      const denseDx = globalAvgPoolChannelsLastBackward(new Float32Array(x.length), dz, samples, spatial, channels);
      const dxb = new Float32Array(o1 + x.length + tail).fill(OUTPUT_PAD);
      globalAvgPoolChannelsLastBackward(dxb, padded(dz, o2, tail, INPUT_PAD), samples, spatial, channels, o1, o2);
      expectWrittenOnly(dxb, o1, denseDx, OUTPUT_PAD, 'dx');
    },
  );
});

// -----------------------------------------------------------------------------------------------
describe('globalMaxPoolForward / globalMaxPoolBackward (channels-first)', () => {
  test('hand-worked 2x3 with a tie: max [7, 5], argmax [1, 0]; backward routes dz to the argmax', () => {
    const out = new Float32Array(2).fill(NaN);
    const argmax = new Int32Array(2).fill(-1);
    expect(globalMaxPoolForward(out, argmax, Float32Array.of(1, 7, 3, 5, 5, 2), 2, 3)).toBe(out);
    expect(Array.from(out)).toEqual([7, 5]);
    expect(Array.from(argmax)).toEqual([1, 0]);
    const dx = new Float32Array(6).fill(NaN);
    expect(globalMaxPoolBackward(dx, Float32Array.of(10, 20), argmax, 2, 3)).toBe(dx);
    expect(Array.from(dx)).toEqual([0, 10, 0, 20, 0, 0]);
  });

  test('ties route the gradient to the FIRST index only', () => {
    const x = Float32Array.of(2, 5, 5, 1, 5);
    const out = new Float32Array(1);
    const argmax = new Int32Array(1);
    globalMaxPoolForward(out, argmax, x, 1, 5);
    expect(argmax[0]).toBe(1);
    const dx = globalMaxPoolBackward(new Float32Array(5).fill(NaN), Float32Array.of(3), argmax, 1, 5);
    expect(Array.from(dx)).toEqual([0, 3, 0, 0, 0]);
  });

  test('NaN: a row with a NaN has max NaN and argmax at its FIRST NaN; the other rows are unaffected', () => {
    const x = Float32Array.of(1, NaN, 9, NaN, /**/ NaN, 2, 3, 4, /**/ 3, 9, 8, NaN, /**/ 1, 2, 4, 3);
    const out = new Float32Array(4);
    const argmax = new Int32Array(4).fill(-1);
    globalMaxPoolForward(out, argmax, x, 4, 4);
    expect(out[0]).toBeNaN();
    expect(out[1]).toBeNaN();
    expect(out[2]).toBeNaN();
    expect(out[3]).toBe(4);
    expect(Array.from(argmax)).toEqual([1, 0, 3, 2]);
  });

  test('all -Infinity, single position, and -0/+0 ties', () => {
    const out = new Float32Array(3);
    const argmax = new Int32Array(3).fill(-1);
    globalMaxPoolForward(out, argmax, Float32Array.of(-Infinity, -Infinity, -5, -5, -0, 0), 3, 2);
    expect(Array.from(out)).toEqual([-Infinity, -5, -0]);
    expect(Array.from(argmax)).toEqual([0, 0, 0]);
    expect(Object.is(out[2], -0)).toBe(true); // -0 and +0 tie: the first, -0, is the one returned
    const one = new Float32Array(2);
    globalMaxPoolForward(one, new Int32Array(2), Float32Array.of(-3, 8), 2, 1);
    expect(Array.from(one)).toEqual([-3, 8]);
  });

  test.prop([cfCase(tiesAndNaN)], RUNS)(
    'forward with ties, -0, -Inf and NaN: argmax is the reference (first max / first NaN), max is x at it; x unchanged',
    ({ rows, spatial, x }) => {
      const unchanged = snapshot(x);
      const out = new Float32Array(rows).fill(OUTPUT_PAD);
      const argmax = new Int32Array(rows).fill(INT_PAD);
      globalMaxPoolForward(out, argmax, x, rows, spatial);
      unchanged();
      const ref = refMaxPool(x, rows, spatial);
      expectSameValues(argmax, ref.argmax, 'argmax');
      expectSameValues(out, Array.from(ref.argmax, (s, r) => x[r * spatial + s]), 'max');
    },
  );

  test.prop([cfCase(tiesAndNaN)], RUNS)(
    'backward: dz lands at the first maximum only, zeros elsewhere; inputs unchanged',
    ({ rows, spatial, x, dz }) => {
      const argmax = new Int32Array(rows);
      globalMaxPoolForward(new Float32Array(rows), argmax, x, rows, spatial);
      const unchanged = snapshot(dz, argmax);
      const dx = globalMaxPoolBackward(new Float32Array(rows * spatial).fill(NaN), dz, argmax, rows, spatial);
      unchanged();
      const ref = refMaxPool(x, rows, spatial);
      const want = new Float32Array(rows * spatial);
      for (let r = 0; r < rows; r++) want[r * spatial + ref.argmax[r]] = dz[r];
      expectSameValues(dx, want, 'dx');
    },
  );

  test.prop([cfCase(distinct)], RUNS)(
    'backward equals float64 central differences of sum(dz * max(x)) on tie-free x (step 1e-4 < half the 1/8 gap; 1e-6 * (|g| + 1))',
    ({ rows, spatial, x, dz }) => {
      const argmax = new Int32Array(rows);
      globalMaxPoolForward(new Float32Array(rows), argmax, x, rows, spatial);
      const dx = globalMaxPoolBackward(new Float32Array(rows * spatial), dz, argmax, rows, spatial);
      const cd = numericGradient((p) => dot(dz, refMaxPool(p, rows, spatial).out), Float64Array.from(x), 1e-4, { relativeStep: true });
      expectAllClose(dx, cd, (i) => 1e-6 * (Math.abs(cd[i]) + 1), 'dx');
    },
  );

  test.prop([cfCase(tiesAndNaN), offsetArb, offsetArb, offsetArb, offsetArb], RUNS)(
    'offsets: same as dense, nothing outside written, padding never read',
    ({ rows, spatial, x, dz }, o1, o2, o3, tail) => {
      const dOut = new Float32Array(rows);
      const dArg = new Int32Array(rows);
      globalMaxPoolForward(dOut, dArg, x, rows, spatial);
      const ob = new Float32Array(o1 + rows + tail).fill(OUTPUT_PAD);
      const ab = new Int32Array(o2 + rows + tail).fill(INT_PAD);
      const xb = padded(x, o3, tail, INPUT_PAD);
      const unchanged = snapshot(xb);
      expect(globalMaxPoolForward(ob, ab, xb, rows, spatial, o1, o2, o3)).toBe(ob);
      unchanged();
      expectWrittenOnly(ob, o1, dOut, OUTPUT_PAD, 'out');
      expectWrittenOnly(ab, o2, dArg, INT_PAD, 'argmax');

      const denseDx = globalMaxPoolBackward(new Float32Array(rows * spatial), dz, dArg, rows, spatial);
      const dxb = new Float32Array(o1 + rows * spatial + tail).fill(OUTPUT_PAD);
      const dzb = padded(dz, o2, tail, INPUT_PAD);
      const argb = paddedInt(dArg, o3, tail, 10_000); // an out-of-range argmax read would write far away
      const unchanged2 = snapshot(dzb, argb);
      globalMaxPoolBackward(dxb, dzb, argb, rows, spatial, o1, o2, o3);
      unchanged2();
      expectWrittenOnly(dxb, o1, denseDx, OUTPUT_PAD, 'dx');
    },
  );
});

// -----------------------------------------------------------------------------------------------
describe('globalMaxPoolChannelsLastForward / Backward', () => {
  test('hand-worked: 1 sample, 3 positions, 2 channels [[1,9],[7,9],[3,2]] -> [7, 9], argmax [1, 0]', () => {
    const out = new Float32Array(2).fill(NaN);
    const argmax = new Int32Array(2).fill(-1);
    expect(globalMaxPoolChannelsLastForward(out, argmax, Float32Array.of(1, 9, 7, 9, 3, 2), 1, 3, 2)).toBe(out);
    expect(Array.from(out)).toEqual([7, 9]);
    expect(Array.from(argmax)).toEqual([1, 0]);
    const dx = new Float32Array(6).fill(NaN);
    expect(globalMaxPoolChannelsLastBackward(dx, Float32Array.of(10, 20), argmax, 1, 3, 2)).toBe(dx);
    expect(Array.from(dx)).toEqual([0, 20, 10, 0, 0, 0]);
  });

  test('NaN per column: first NaN wins, including a NaN at position 0; other columns unaffected', () => {
    // 4 positions x 3 channels; column 0: [NaN, 5, 9, 1], column 1: [1, NaN, 2, NaN], column 2: [1, 2, 8, 3]
    const x = Float32Array.of(NaN, 1, 1, 5, NaN, 2, 9, 2, 8, 1, NaN, 3);
    const out = new Float32Array(3);
    const argmax = new Int32Array(3).fill(-1);
    globalMaxPoolChannelsLastForward(out, argmax, x, 1, 4, 3);
    expect(out[0]).toBeNaN();
    expect(out[1]).toBeNaN();
    expect(out[2]).toBe(8);
    expect(Array.from(argmax)).toEqual([0, 1, 2]);
  });

  test.prop([clCase(tiesAndNaN)], RUNS)(
    'forward with ties, -0, -Inf and NaN matches the reference (first max / first NaN); x unchanged',
    ({ samples, spatial, channels, x }) => {
      const unchanged = snapshot(x);
      const out = new Float32Array(samples * channels).fill(OUTPUT_PAD);
      const argmax = new Int32Array(samples * channels).fill(INT_PAD);
      globalMaxPoolChannelsLastForward(out, argmax, x, samples, spatial, channels);
      unchanged();
      const xcf = toChannelsFirst(x, samples, spatial, channels);
      const ref = refMaxPool(xcf, samples * channels, spatial);
      expectSameValues(argmax, ref.argmax, 'argmax');
      expectSameValues(out, Array.from(ref.argmax, (s, r) => xcf[r * spatial + s]), 'max');
    },
  );

  test.prop([clCase(tiesAndNaN)], RUNS)(
    'backward: dz lands at the first maximum of each (sample, channel) only; inputs unchanged',
    ({ samples, spatial, channels, x, dz }) => {
      const argmax = new Int32Array(samples * channels);
      globalMaxPoolChannelsLastForward(new Float32Array(samples * channels), argmax, x, samples, spatial, channels);
      const unchanged = snapshot(dz, argmax);
      const dx = globalMaxPoolChannelsLastBackward(new Float32Array(x.length).fill(NaN), dz, argmax, samples, spatial, channels);
      unchanged();
      const ref = refMaxPool(toChannelsFirst(x, samples, spatial, channels), samples * channels, spatial);
      const wantCf = new Float64Array(x.length);
      for (let r = 0; r < samples * channels; r++) wantCf[r * spatial + ref.argmax[r]] = dz[r];
      expectSameValues(dx, toChannelsLast(wantCf, samples, spatial, channels), 'dx');
    },
  );

  test.prop([clCase(distinct)], RUNS)(
    'backward equals float64 central differences on tie-free x (1e-6 * (|g| + 1))',
    ({ samples, spatial, channels, x, dz }) => {
      const argmax = new Int32Array(samples * channels);
      globalMaxPoolChannelsLastForward(new Float32Array(samples * channels), argmax, x, samples, spatial, channels);
      const dx = globalMaxPoolChannelsLastBackward(new Float32Array(x.length), dz, argmax, samples, spatial, channels);
      const L = (p: Float64Array) => dot(dz, refMaxPool(toChannelsFirst(p, samples, spatial, channels), samples * channels, spatial).out);
      const cd = numericGradient(L, Float64Array.from(x), 1e-4, { relativeStep: true });
      expectAllClose(dx, cd, (i) => 1e-6 * (Math.abs(cd[i]) + 1), 'dx');
    },
  );

  test.prop([clCase(tiesAndNaN), offsetArb, offsetArb, offsetArb, offsetArb], RUNS)(
    'offsets: same as dense, nothing outside written, padding never read',
    ({ samples, spatial, channels, x, dz }, o1, o2, o3, tail) => {
      const P = samples * channels;
      const dOut = new Float32Array(P);
      const dArg = new Int32Array(P);
      globalMaxPoolChannelsLastForward(dOut, dArg, x, samples, spatial, channels);
      const ob = new Float32Array(o1 + P + tail).fill(OUTPUT_PAD);
      const ab = new Int32Array(o2 + P + tail).fill(INT_PAD);
      const xb = padded(x, o3, tail, INPUT_PAD);
      const unchanged = snapshot(xb);
      expect(globalMaxPoolChannelsLastForward(ob, ab, xb, samples, spatial, channels, o1, o2, o3)).toBe(ob);
      unchanged();
      expectWrittenOnly(ob, o1, dOut, OUTPUT_PAD, 'out');
      expectWrittenOnly(ab, o2, dArg, INT_PAD, 'argmax');

      const denseDx = globalMaxPoolChannelsLastBackward(new Float32Array(x.length), dz, dArg, samples, spatial, channels);
      const dxb = new Float32Array(o1 + x.length + tail).fill(OUTPUT_PAD);
      const dzb = padded(dz, o2, tail, INPUT_PAD);
      const argb = paddedInt(dArg, o3, tail, 10_000);
      const unchanged2 = snapshot(dzb, argb);
      globalMaxPoolChannelsLastBackward(dxb, dzb, argb, samples, spatial, channels, o1, o2, o3);
      unchanged2();
      expectWrittenOnly(dxb, o1, denseDx, OUTPUT_PAD, 'dx');
    },
  );
});
