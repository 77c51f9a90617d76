/**
 * matvec, matvecTransposed (the per-sample small layers of the fused SE path) and
 * channelScaleGradient (its first backward pass): hand-worked cases, the float64 reference over
 * random sizes (tolerance `sumTol`: 1e-6 relative plus 1e-9 of the sum of |terms|), agreement with
 * the general matmul, offsets (writes only their range, reads only theirs), inputs unchanged.
 */
import { fc, test } from '@fast-check/jest';
import { channelScaleGradient, matmul, matvec, matvecTransposed } from '../src/kernels/index.js';
import {
  INPUT_PAD,
  OUTPUT_PAD,
  RUNS,
  expectAllClose,
  expectWrittenOnly,
  f32s,
  offsetArb,
  padded,
  snapshot,
  sumTol,
} from './kernelReference.js';

const dims = fc.integer({ min: 1, max: 11 });

/** out[j] = bias[j] + sum_k w[j, k] v[k], in float64, with the sum of |terms| for the tolerance. */
function refMatvec(w: ArrayLike<number>, v: ArrayLike<number>, rows: number, cols: number, bias: ArrayLike<number> | null) {
  const out = new Float64Array(rows);
  const abs = new Float64Array(rows);
  for (let j = 0; j < rows; j++) {
    let s = bias === null ? 0 : bias[j];
    let a = Math.abs(s);
    for (let k = 0; k < cols; k++) {
      s += w[j * cols + k] * v[k];
      a += Math.abs(w[j * cols + k] * v[k]);
    }
    out[j] = s;
    abs[j] = a;
  }
  return { out, abs };
}

describe('matvec', () => {
  test('hand-worked: [[1, 2, 3], [4, 5, 6]] [1, -1, 2] + [0.5, -0.5] = [5.5, 10.5]', () => {
    const out = matvec(new Float32Array(2), Float32Array.of(1, 2, 3, 4, 5, 6), Float32Array.of(1, -1, 2), 2, 3, Float32Array.of(0.5, -0.5));
    expect(Array.from(out)).toEqual([5.5, 10.5]);
  });

  test('five rows (a block of four and one left over), no bias', () => {
    const w = Float32Array.from({ length: 10 }, (_, i) => i + 1); // rows [1,2], [3,4], ... [9,10]
    expect(Array.from(matvec(new Float32Array(5), w, Float32Array.of(1, 10), 5, 2, null))).toEqual([21, 43, 65, 87, 109]);
  });

  test.prop([dims, dims, fc.boolean(), fc.integer({ min: 1, max: 1e9 })], RUNS)('float64 reference, and equal to matmul with transB and bias', (rows, cols, withBias, seed) => {
    const rand = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + k * 31 + i * 1.7) * 4);
    const w = rand(rows * cols, 1);
    const v = rand(cols, 2);
    const bias = withBias ? rand(rows, 3) : null;
    const restore = snapshot(w, v, ...(bias === null ? [] : [bias]));
    const got = matvec(new Float32Array(rows), w, v, rows, cols, bias);
    const { out, abs } = refMatvec(w, v, rows, cols, bias);
    expectAllClose(got, out, (i) => sumTol(out[i], abs[i]), 'matvec');
    const viaMatmul = matmul(new Float32Array(rows), v, w, 1, rows, cols, false, true, 0, 0, 0, null, bias);
    expectAllClose(got, viaMatmul, (i) => sumTol(out[i], abs[i]), 'matvec vs matmul');
    restore();
  });

  test.prop([dims, dims, offsetArb, offsetArb, f32s(40)], RUNS)('offsets read and write only their ranges', (rows, cols, oo, vo, vals) => {
    const w = Float32Array.from({ length: rows * cols }, (_, i) => vals[i % vals.length]);
    const v = Float32Array.from({ length: cols }, (_, i) => vals[(i * 7) % vals.length]);
    const dense = matvec(new Float32Array(rows), w, v, rows, cols, null);
    const out = padded(new Float32Array(rows).fill(OUTPUT_PAD), oo, 3, OUTPUT_PAD);
    matvec(out, w, padded(v, vo, 3, INPUT_PAD), rows, cols, null, oo, vo);
    expectWrittenOnly(out, oo, dense, OUTPUT_PAD, 'matvec with offsets');
  });
});

describe('matvecTransposed', () => {
  test('hand-worked: [1, -1] [[1, 2, 3], [4, 5, 6]] = [-3, -3, -3]', () => {
    const out = matvecTransposed(new Float32Array(3), Float32Array.of(1, 2, 3, 4, 5, 6), Float32Array.of(1, -1), 2, 3, new Float64Array(3));
    expect(Array.from(out)).toEqual([-3, -3, -3]);
  });

  test.prop([dims, dims, fc.integer({ min: 1, max: 1e9 })], RUNS)('float64 reference, and equal to matmul', (rows, cols, seed) => {
    const rand = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => Math.cos(seed + k * 17 + i * 0.9) * 3);
    const w = rand(rows * cols, 1);
    const v = rand(rows, 2);
    const restore = snapshot(w, v);
    const got = matvecTransposed(new Float32Array(cols), w, v, rows, cols, new Float64Array(cols + 2));
    const want = new Float64Array(cols);
    const abs = new Float64Array(cols);
    for (let k = 0; k < cols; k++) {
      for (let j = 0; j < rows; j++) {
        want[k] += v[j] * w[j * cols + k];
        abs[k] += Math.abs(v[j] * w[j * cols + k]);
      }
    }
    expectAllClose(got, want, (i) => sumTol(want[i], abs[i]), 'matvecTransposed');
    const viaMatmul = matmul(new Float32Array(cols), v, w, 1, cols, rows);
    expectAllClose(got, viaMatmul, (i) => sumTol(want[i], abs[i]), 'matvecTransposed vs matmul');
    restore();
  });

  test.prop([dims, dims, offsetArb, offsetArb], RUNS)('offsets read and write only their ranges', (rows, cols, oo, vo) => {
    const w = Float32Array.from({ length: rows * cols }, (_, i) => (i % 7) - 3);
    const v = Float32Array.from({ length: rows }, (_, i) => (i % 5) - 2);
    const dense = matvecTransposed(new Float32Array(cols), w, v, rows, cols, new Float64Array(cols));
    const out = padded(new Float32Array(cols).fill(OUTPUT_PAD), oo, 3, OUTPUT_PAD);
    matvecTransposed(out, w, padded(v, vo, 3, INPUT_PAD), rows, cols, new Float64Array(cols), oo, vo);
    expectWrittenOnly(out, oo, dense, OUTPUT_PAD, 'matvecTransposed with offsets');
  });
});

describe('channelScaleGradient', () => {
  test('hand-worked: rows [1, 2, 3] . [1, 1, 1] = 6 and [4, 5, 6] . [2, 0, -1] = 2', () => {
    const out = channelScaleGradient(new Float32Array(2), Float32Array.of(1, 1, 1, 2, 0, -1), Float32Array.of(1, 2, 3, 4, 5, 6), 2, 3);
    expect(Array.from(out)).toEqual([6, 2]);
  });

  test.prop([dims, fc.integer({ min: 1, max: 40 }), offsetArb, offsetArb, offsetArb, fc.integer({ min: 1, max: 1e9 })], RUNS)(
    'float64 reference with offsets; inputs unchanged; NaN propagates',
    (rows, spatial, go, yo, xo, seed) => {
      const n = rows * spatial;
      const dy = Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i));
      const x = Float32Array.from({ length: n }, (_, i) => Math.cos(seed * 3 + i * 0.5));
      if (seed % 5 === 0) x[seed % n] = NaN;
      const want = new Float64Array(rows);
      const abs = new Float64Array(rows);
      for (let r = 0; r < rows; r++) {
        for (let s = 0; s < spatial; s++) {
          want[r] += dy[r * spatial + s] * x[r * spatial + s];
          abs[r] += Math.abs(dy[r * spatial + s] * x[r * spatial + s]);
        }
      }
      const dyP = padded(dy, yo, 2, INPUT_PAD);
      const xP = padded(x, xo, 2, INPUT_PAD);
      const restore = snapshot(dyP, xP);
      const out = padded(new Float32Array(rows).fill(OUTPUT_PAD), go, 2, OUTPUT_PAD);
      channelScaleGradient(out, dyP, xP, rows, spatial, go, yo, xo);
      expectAllClose(out.subarray(go, go + rows), want, (i) => sumTol(want[i], abs[i]), 'channelScaleGradient');
      expect(out[go - 1] === undefined || Object.is(out[go - 1], OUTPUT_PAD)).toBe(true);
      expect(Object.is(out[go + rows], OUTPUT_PAD)).toBe(true);
      restore();
    },
  );
});
