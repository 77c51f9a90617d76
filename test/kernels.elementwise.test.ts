/**
 * Elementwise arithmetic: addArrays, mulArrays, scaleArray, sumReduce.
 * Tolerances: add/mul/scale are one float64 operation stored as float32: 1e-6 relative (+ 2^-149,
 * and for add 1e-9 * (|a| + |b|) where the terms cancel); sumReduce returns a float64 number:
 * sumTol (1e-6 * |ref| + 1e-9 * sum|x| + 2^-149).
 */
import { fc, test } from '@fast-check/jest';
import { addArrays, mulArrays, scaleArray, sumReduce } from '../src/kernels/index.js';
import {
  INPUT_PAD,
  OUTPUT_PAD,
  RUNS,
  dot,
  expectAllClose,
  expectRelClose,
  expectSameValues,
  expectWrittenOnly,
  f32s,
  offsetArb,
  padded,
  snapshot,
  sumTol,
} from './kernelReference.js';
import { numericGradient } from '../src/testing/index.js';

const ewCase = fc
  .integer({ min: 1, max: 40 })
  .chain((n) =>
    fc.record({ n: fc.constant(n), a: f32s(n, -1e3, 1e3), b: f32s(n, -1e3, 1e3), dy: f32s(n, -4, 4), alpha: fc.double({ min: -8, max: 8, noNaN: true }) }),
  );

describe('hand-worked values', () => {
  test('add, mul, scale on [1, 2, 3] and [4, 5, 6]', () => {
    const a = Float32Array.of(1, 2, 3);
    const b = Float32Array.of(4, 5, 6);
    const out = new Float32Array(3).fill(NaN);
    expect(addArrays(out, a, b, 3)).toBe(out);
    expect(Array.from(out)).toEqual([5, 7, 9]);
    expect(mulArrays(out, a, b, 3)).toBe(out);
    expect(Array.from(out)).toEqual([4, 10, 18]);
    expect(scaleArray(out, Float32Array.of(2, 4, -6), 0.5, 3)).toBe(out);
    expect(Array.from(out)).toEqual([1, 2, -3]);
  });

  test('sumReduce: 1 + 2 + 3 + 4 = 10; from offset 1, two values: 5', () => {
    const x = Float32Array.of(1, 2, 3, 4);
    expect(sumReduce(x, 4)).toBe(10);
    expect(sumReduce(x, 2, 1)).toBe(5);
    expect(sumReduce(x, 0)).toBe(0);
  });

  test('sumReduce accumulates in float64: 1e8 + 1 - 1e8 + 1 = 2', () => {
    expect(sumReduce(Float32Array.of(1e8, 1, -1e8, 1), 4)).toBe(2);
  });

  test('sumReduce: a NaN makes the sum NaN; Inf - Inf is NaN; a lone Inf stays Inf', () => {
    expect(sumReduce(Float32Array.of(1, NaN, 2), 3)).toBeNaN();
    expect(sumReduce(Float32Array.of(Infinity, 1, -Infinity), 3)).toBeNaN();
    expect(sumReduce(Float32Array.of(1, Infinity, 2), 3)).toBe(Infinity);
  });

  test('add, mul, scale propagate NaN and Inf elementwise', () => {
    const a = Float32Array.of(NaN, Infinity, 1);
    const b = Float32Array.of(1, 1, 2);
    expect(Array.from(addArrays(new Float32Array(3), a, b, 3))).toEqual([NaN, Infinity, 3]);
    expect(Array.from(mulArrays(new Float32Array(3), a, b, 3))).toEqual([NaN, Infinity, 2]);
    expect(Array.from(scaleArray(new Float32Array(3), a, 2, 3))).toEqual([NaN, Infinity, 2]);
  });
});

describe('properties', () => {
  test.prop([ewCase], RUNS)('add, mul, scale match float64 references; inputs unchanged', ({ n, a, b, alpha }) => {
    const unchanged = snapshot(a, b);
    const sum = addArrays(new Float32Array(n).fill(NaN), a, b, n);
    const prod = mulArrays(new Float32Array(n).fill(NaN), a, b, n);
    const scaled = scaleArray(new Float32Array(n).fill(NaN), a, alpha, n);
    unchanged();
    const want = Float64Array.from(a, (v, i) => v + b[i]);
    expectAllClose(sum, want, (i) => sumTol(want[i], Math.abs(a[i]) + Math.abs(b[i])), 'add');
    expectRelClose(prod, Float64Array.from(a, (v, i) => v * b[i]), 'mul');
    expectRelClose(scaled, Float64Array.from(a, (v) => alpha * v), 'scale');
  });

  test.prop([ewCase], RUNS)(
    "mul's documented backward (da = dy * b, db = dy * a) matches float64 central differences of sum(dy * a * b)",
    ({ n, a, b, dy }) => {
      const da = mulArrays(new Float32Array(n), dy, b, n);
      const db = mulArrays(new Float32Array(n), dy, a, n);
      const Labs = dot(Array.from(dy, Math.abs), Array.from(a, (v, i) => Math.abs(v * b[i])));
      const ga = numericGradient((p) => dot(dy, Float64Array.from(p, (v, i) => v * b[i])), Float64Array.from(a), 0.5, { relativeStep: true });
      const gb = numericGradient((p) => dot(dy, Float64Array.from(p, (v, i) => a[i] * v)), Float64Array.from(b), 0.5, { relativeStep: true });
      expectAllClose(da, ga, (i) => sumTol(ga[i], Labs), 'da');
      expectAllClose(db, gb, (i) => sumTol(gb[i], Labs), 'db');
    },
  );

  test.prop([ewCase], RUNS)(
    'aliasing: out may be a, b, or both (a === b) for add and mul, and x for scale, bit-identical to separate out',
    ({ n, a, b, alpha }) => {
      for (const [name, op] of [
        ['add', addArrays],
        ['mul', mulArrays],
      ] as const) {
        const separate = op(new Float32Array(n), a, b, n);
        const outA = a.slice();
        expect(op(outA, outA, b, n)).toBe(outA);
        expectSameValues(outA, separate, `${name} out === a`);
        const outB = b.slice();
        op(outB, a, outB, n);
        expectSameValues(outB, separate, `${name} out === b`);
        const square = op(new Float32Array(n), a, a, n);
        const outAA = a.slice();
        op(outAA, outAA, outAA, n);
        expectSameValues(outAA, square, `${name} out === a === b`);
      }
      const separate = scaleArray(new Float32Array(n), a, alpha, n);
      const xs = a.slice();
      expect(scaleArray(xs, xs, alpha, n)).toBe(xs);
      expectSameValues(xs, separate, 'scale out === x');
    },
  );

  test.prop([ewCase, offsetArb], RUNS)(
    'add, mul, scale write exactly the first n elements of a longer out and read only the first n of the inputs',
    ({ n, a, b, alpha }, tail) => {
      const ab = padded(a, 0, tail, INPUT_PAD);
      const bb = padded(b, 0, tail, INPUT_PAD);
      const unchanged = snapshot(ab, bb);
      for (const [name, run, dense] of [
        ['add', (o: Float32Array) => addArrays(o, ab, bb, n), addArrays(new Float32Array(n), a, b, n)],
        ['mul', (o: Float32Array) => mulArrays(o, ab, bb, n), mulArrays(new Float32Array(n), a, b, n)],
        ['scale', (o: Float32Array) => scaleArray(o, ab, alpha, n), scaleArray(new Float32Array(n), a, alpha, n)],
      ] as const) {
        const ob = new Float32Array(n + tail).fill(OUTPUT_PAD);
        run(ob);
        expectWrittenOnly(ob, 0, dense, OUTPUT_PAD, name);
      }
      unchanged();
    },
  );

  test.prop([ewCase, offsetArb, offsetArb], RUNS)(
    'sumReduce matches the float64 sum (sumTol), reads only [offset, offset + n), and leaves x unchanged',
    ({ n, a }, before, after) => {
      const xb = padded(a, before, after, INPUT_PAD);
      const unchanged = snapshot(xb);
      const got = sumReduce(xb, n, before);
      unchanged();
      let want = 0;
      let abs = 0;
      for (const v of a) {
        want += v;
        abs += Math.abs(v);
      }
      expect(Math.abs(got - want)).toBeLessThanOrEqual(sumTol(want, abs));
      expect(got).toBe(sumReduce(a, n)); // same values, same order, same float64 result
    },
  );
});
