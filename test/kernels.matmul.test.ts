/**
 * matmul (all four transpose-flag combinations) and the bias-add kernels.
 * Tolerances: products and sums vs the float64 reference use `sumTol`
 * (1e-6 * |ref| + 1e-9 * sum|terms| + 2^-149, see kernelReference.ts); gradients vs float64
 * central differences use the same relative part plus an absolute 1e-9 * sum|terms of L|.
 */
import { fc, test } from '@fast-check/jest';
import { biasAddForward, biasBackward, matmul } from '../src/kernels/index.js';
import {
  INPUT_PAD,
  OUTPUT_PAD,
  RUNS,
  dot,
  expectAllClose,
  expectSameValues,
  expectWrittenOnly,
  f32s,
  offsetArb,
  padded,
  refMatmul,
  snapshot,
  sumTol,
  transpose,
} from './kernelReference.js';
import { numericGradient } from '../src/testing/index.js';

const FLAGS: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

/** Stores a row-major matrix the way matmul reads it with the given transpose flag. */
const store = (m: Float32Array, rows: number, cols: number, trans: boolean) => (trans ? transpose(m, rows, cols) : m);

describe('matmul', () => {
  // A = [[1, 2], [3, 4]], B = [[5, 6], [7, 8]]: A B = [[19, 22], [43, 50]].
  const A = Float32Array.of(1, 2, 3, 4);
  const B = Float32Array.of(5, 6, 7, 8);
  test.each(FLAGS)('hand-worked 2x2, transA=%s transB=%s: [[19, 22], [43, 50]]', (ta, tb) => {
    const a = ta ? Float32Array.of(1, 3, 2, 4) : A;
    const b = tb ? Float32Array.of(5, 7, 6, 8) : B;
    const out = new Float32Array(4).fill(NaN);
    expect(matmul(out, a, b, 2, 2, 2, ta, tb)).toBe(out);
    expect(Array.from(out)).toEqual([19, 22, 43, 50]);
  });

  // A = [[1, 2, 3], [4, 5, 6]] (2x3), B = [[1, 0], [0, 1], [1, 1]] (3x2): A B = [[4, 5], [10, 11]].
  test.each(FLAGS)('hand-worked non-square 2x3 * 3x2, transA=%s transB=%s: [[4, 5], [10, 11]]', (ta, tb) => {
    const a = ta ? Float32Array.of(1, 4, 2, 5, 3, 6) : Float32Array.of(1, 2, 3, 4, 5, 6);
    const b = tb ? Float32Array.of(1, 0, 1, 0, 1, 1) : Float32Array.of(1, 0, 0, 1, 1, 1);
    const out = new Float32Array(4).fill(NaN);
    matmul(out, a, b, 2, 2, 3, ta, tb);
    expect(Array.from(out)).toEqual([4, 5, 10, 11]);
  });

  test('hand-worked 3x1 * 1x2 outer product (K = 1)', () => {
    const out = matmul(new Float32Array(6), Float32Array.of(1, -2, 3), Float32Array.of(10, 0.5), 3, 2, 1);
    expect(Array.from(out)).toEqual([10, 0.5, -20, -1, 30, 1.5]);
  });

  test('accumulates each dot product in float64: [1e8, 1, -1e8, 1] . [1, 1, 1, 1] = 2', () => {
    const out = matmul(new Float32Array(1), Float32Array.of(1e8, 1, -1e8, 1), Float32Array.of(1, 1, 1, 1), 1, 1, 4);
    expect(out[0]).toBe(2);
  });

  test('NaN and Inf propagate to the entries they touch', () => {
    // [[NaN, 0], [1, 1]] * [[1, 0], [Inf, 1]] = [[NaN, NaN], [Inf, 1]]
    const out = matmul(new Float32Array(4), Float32Array.of(NaN, 0, 1, 1), Float32Array.of(1, 0, Infinity, 1), 2, 2, 2);
    expect(out[0]).toBeNaN();
    expect(out[1]).toBeNaN();
    expect(Array.from(out.subarray(2))).toEqual([Infinity, 1]);
  });

  const mmCase = fc
    .record({
      M: fc.integer({ min: 1, max: 7 }),
      N: fc.integer({ min: 1, max: 7 }),
      K: fc.integer({ min: 1, max: 9 }),
      ta: fc.boolean(),
      tb: fc.boolean(),
    })
    .chain((d) => fc.record({ d: fc.constant(d), a: f32s(d.M * d.K, -50, 50), b: f32s(d.K * d.N, -50, 50) }));

  test.prop([mmCase], RUNS)(
    'matches the float64 reference for random sizes and flags (sumTol); out fully overwritten; a, b unchanged',
    ({ d: { M, N, K, ta, tb }, a, b }) => {
      const unchanged = snapshot(a, b);
      const out = new Float32Array(M * N).fill(NaN);
      matmul(out, a, b, M, N, K, ta, tb);
      unchanged();
      const ref = refMatmul(a, b, M, N, K, ta, tb);
      expectAllClose(out, ref.out, (i) => sumTol(ref.out[i], ref.sumAbs[i]), 'out');
    },
  );

  test.prop([mmCase], RUNS)(
    'the four flag combinations agree (sumTol) on the same matrices stored transposed',
    ({ d: { M, N, K }, a, b }) => {
      // Interpret a as A (M x K) and b as B (K x N), row-major. The contiguous-dot path
      // (!transA, transB) sums in a different float64 order, so agreement is to sumTol, not bits.
      const ref = refMatmul(a, b, M, N, K, false, false);
      for (const [ta, tb] of FLAGS) {
        const got = matmul(new Float32Array(M * N), store(a, M, K, ta), store(b, K, N, tb), M, N, K, ta, tb);
        expectAllClose(got, ref.out, (i) => sumTol(ref.out[i], ref.sumAbs[i]), `transA=${ta} transB=${tb}`);
      }
    },
  );

  const linearCase = fc
    .record({ batch: fc.integer({ min: 1, max: 5 }), nIn: fc.integer({ min: 1, max: 6 }), nOut: fc.integer({ min: 1, max: 6 }) })
    .chain((d) =>
      fc.record({ d: fc.constant(d), x: f32s(d.batch * d.nIn), w: f32s(d.nOut * d.nIn), dy: f32s(d.batch * d.nOut, -4, 4) }),
    );

  test.prop([linearCase], RUNS)(
    'the documented linear-layer recipes (y = x W^T, dx = dy W, dW = dy^T x) match float64 central differences',
    ({ d: { batch, nIn, nOut }, x, w, dy }) => {
      const y = matmul(new Float32Array(batch * nOut), x, w, batch, nOut, nIn, false, true);
      const yRef = refMatmul(x, w, batch, nOut, nIn, false, true);
      expectAllClose(y, yRef.out, (i) => sumTol(yRef.out[i], yRef.sumAbs[i]), 'y');

      const dx = matmul(new Float32Array(batch * nIn), dy, w, batch, nIn, nOut);
      const dw = matmul(new Float32Array(nOut * nIn), dy, x, nOut, nIn, batch, true, false);
      // L(x, W) = sum(dy * (x W^T)) is linear in each coordinate: a step of 0.5 is exact up to rounding.
      const Labs = dot(
        Array.from(dy, Math.abs),
        refMatmul(Array.from(x, Math.abs), Array.from(w, Math.abs), batch, nOut, nIn, false, true).out,
      );
      const gx = numericGradient((p) => dot(dy, refMatmul(p, w, batch, nOut, nIn, false, true).out), Float64Array.from(x), 0.5, { relativeStep: true });
      const gw = numericGradient((p) => dot(dy, refMatmul(x, p, batch, nOut, nIn, false, true).out), Float64Array.from(w), 0.5, { relativeStep: true });
      expectAllClose(dx, gx, (i) => sumTol(gx[i], Labs), 'dx');
      expectAllClose(dw, gw, (i) => sumTol(gw[i], Labs), 'dW');
    },
  );

  test.prop([mmCase, offsetArb, offsetArb, offsetArb, offsetArb], RUNS)(
    'offsets: same as dense, nothing outside the M x N block written, padding never read',
    ({ d: { M, N, K, ta, tb }, a, b }, o1, o2, o3, tail) => {
      const dense = matmul(new Float32Array(M * N), a, b, M, N, K, ta, tb);
      const ob = new Float32Array(o1 + M * N + tail).fill(OUTPUT_PAD);
      const ab = padded(a, o2, tail, INPUT_PAD);
      const bb = padded(b, o3, tail, INPUT_PAD);
      const unchanged = snapshot(ab, bb);
      expect(matmul(ob, ab, bb, M, N, K, ta, tb, o1, o2, o3)).toBe(ob);
      unchanged();
      expectWrittenOnly(ob, o1, dense, OUTPUT_PAD, 'out');
    },
  );

  test('a and b may be the same buffer (Gram matrix A^T A), since only out must not overlap them', () => {
    // A = [[1, 2], [3, 4], [5, 6]]: A^T A = [[35, 44], [44, 56]].
    const a = Float32Array.of(1, 2, 3, 4, 5, 6);
    const out = matmul(new Float32Array(4), a, a, 2, 2, 3, true, false);
    expect(Array.from(out)).toEqual([35, 44, 44, 56]);
  });
});

// -----------------------------------------------------------------------------------------------
describe('biasAddForward / biasBackward', () => {
  test('hand-worked: [[1, 2], [3, 4]] + [10, 20] = [[11, 22], [13, 24]]', () => {
    const out = new Float32Array(4).fill(NaN);
    expect(biasAddForward(out, Float32Array.of(1, 2, 3, 4), Float32Array.of(10, 20), 2, 2)).toBe(out);
    expect(Array.from(out)).toEqual([11, 22, 13, 24]);
  });

  test('hand-worked backward: column sums of [[1, 2], [3, 4], [5, 6]] are [9, 12]', () => {
    const db = new Float32Array(2).fill(NaN);
    expect(biasBackward(db, Float32Array.of(1, 2, 3, 4, 5, 6), 3, 2)).toBe(db);
    expect(Array.from(db)).toEqual([9, 12]);
  });

  test('backward accumulates in float64 and propagates NaN per column', () => {
    const db = biasBackward(new Float32Array(2), Float32Array.of(1e8, 1, 1, NaN, -1e8, 2, 1, 3), 4, 2);
    expect(db[0]).toBe(2);
    expect(db[1]).toBeNaN();
  });

  const biasCase = fc
    .record({ rows: fc.integer({ min: 1, max: 8 }), cols: fc.integer({ min: 1, max: 8 }) })
    .chain(({ rows, cols }) =>
      fc.record({
        rows: fc.constant(rows),
        cols: fc.constant(cols),
        x: f32s(rows * cols, -100, 100),
        bias: f32s(cols, -100, 100),
        dy: f32s(rows * cols, -100, 100),
      }),
    );

  test.prop([biasCase], RUNS)('forward matches float64 x + bias (1e-6 relative + 2^-149); inputs unchanged', ({ rows, cols, x, bias }) => {
    const unchanged = snapshot(x, bias);
    const out = biasAddForward(new Float32Array(rows * cols).fill(NaN), x, bias, rows, cols);
    unchanged();
    const want = Float64Array.from(x, (v, i) => v + bias[i % cols]);
    const absTerms = Float64Array.from(x, (v, i) => Math.abs(v) + Math.abs(bias[i % cols]));
    expectAllClose(out, want, (i) => sumTol(want[i], absTerms[i]), 'out');
  });

  test.prop([biasCase], RUNS)(
    'backward matches the float64 column sum (sumTol) and float64 central differences of sum(dy * (x + b)); dy unchanged',
    ({ rows, cols, x, bias, dy }) => {
      const unchanged = snapshot(dy);
      const db = biasBackward(new Float32Array(cols).fill(NaN), dy, rows, cols);
      unchanged();
      const sums = new Float64Array(cols);
      const abs = new Float64Array(cols);
      for (let i = 0; i < dy.length; i++) {
        sums[i % cols] += dy[i];
        abs[i % cols] += Math.abs(dy[i]);
      }
      expectAllClose(db, sums, (c) => sumTol(sums[c], abs[c]), 'dbias');
      const L = (b: Float64Array) => dot(dy, Float64Array.from(x, (v, i) => v + b[i % cols]));
      // The central differences evaluate L at b +- 0.5 max(1, |b|): their own float64 rounding scales with that.
      const Labs = dot(
        Array.from(dy, Math.abs),
        Array.from(x, (v, i) => Math.abs(v) + Math.abs(bias[i % cols]) + 0.5 * Math.max(1, Math.abs(bias[i % cols]))),
      );
      const cd = numericGradient(L, Float64Array.from(bias), 0.5, { relativeStep: true });
      expectAllClose(db, cd, (c) => sumTol(cd[c], Labs), 'dbias vs central differences');
    },
  );

  test.prop([biasCase], RUNS)('in place (out === x) is bit-identical to a separate out', ({ rows, cols, x, bias }) => {
    const separate = biasAddForward(new Float32Array(rows * cols), x, bias, rows, cols);
    const inPlace = x.slice();
    expect(biasAddForward(inPlace, inPlace, bias, rows, cols)).toBe(inPlace);
    expectSameValues(inPlace, separate, 'in place');
  });

  test.prop([biasCase, offsetArb, offsetArb, offsetArb], RUNS)(
    'offsets: same as dense, nothing outside written, padding never read',
    ({ rows, cols, x, bias, dy }, o1, o2, tail) => {
      const dense = biasAddForward(new Float32Array(rows * cols), x, bias, rows, cols);
      const ob = new Float32Array(o1 + rows * cols + tail).fill(OUTPUT_PAD);
      const xb = padded(x, o2, tail, INPUT_PAD);
      const unchanged = snapshot(xb, bias);
      biasAddForward(ob, xb, bias, rows, cols, o1, o2);
      unchanged();
      expectWrittenOnly(ob, o1, dense, OUTPUT_PAD, 'out');

      // In place at an offset, too.
      const ib = padded(x, o1, tail, OUTPUT_PAD);
      biasAddForward(ib, ib, bias, rows, cols, o1, o1);
      expectWrittenOnly(ib, o1, dense, OUTPUT_PAD, 'in place at an offset');

      const denseDb = biasBackward(new Float32Array(cols), dy, rows, cols);
      const dbb = new Float32Array(o1 + cols + tail).fill(OUTPUT_PAD);
      const dyb = padded(dy, o2, tail, INPUT_PAD);
      const unchanged2 = snapshot(dyb);
      biasBackward(dbb, dyb, rows, cols, o1, o2);
      unchanged2();
      expectWrittenOnly(dbb, o1, denseDb, OUTPUT_PAD, 'dbias');
    },
  );
});
