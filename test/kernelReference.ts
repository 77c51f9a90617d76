/**
 * Independent float64 reference implementations of the kernels in src/kernels, written from
 * their doc comments (not from their bodies), plus the helpers the kernel tests share:
 * closeness checks with an explicit tolerance, bit-level comparisons, input snapshots, padded
 * buffers for offset tests, scalar central differences and fast-check arbitraries.
 *
 * The references are deliberately plain: one loop per formula, no unrolling, results in
 * Float64Array, and they never look at a kernel's output.
 */
import { fc } from '@fast-check/jest';
import type { Arbitrary } from 'fast-check';
import { erfcReference, numericGradient } from '../src/testing/index.js';

// ---------------------------------------------------------------------------------------------
// Tolerances (every test states which one it uses)
// ---------------------------------------------------------------------------------------------

/**
 * Relative bound for a float32 result against a float64 reference of the same float32 inputs.
 * Storing a float64 value as float32 costs at most 2^-24 ~ 6e-8 relative, so 1e-6 has a 16x margin
 * and still catches any real formula error.
 */
export const REL = 1e-6;

/**
 * Absolute bound, per unit of sum_i |term_i|, for results that are sums of many terms (pooling,
 * matmul, bias and scale gradients, sumReduce). This is the looser part of a sum's tolerance:
 * it absorbs a different float64 summation order when the terms cancel (float64 order error
 * is < n * 1.1e-16 * sum|terms|, so 1e-9 has a wide margin). It is still far below what a
 * float32 accumulator would cost (~n * 6e-8 * sum|terms|), so the spec's "accumulate in
 * float64" is checked too. (The spec allows 1e-5 absolute for such gradients; we are tighter.)
 */
export const SUM_ABS = 1e-9;

/**
 * float32's smallest subnormal step, 2^-149. Rounding into the subnormal range is absolute, not
 * relative, so every relative bound below also allows this much.
 */
export const F32_TINY = 2 ** -149;

/** `|got - want| <= REL * |want| + SUM_ABS * sumAbs + F32_TINY`: the bound used for sums. */
export function sumTol(want: number, sumAbs: number): number {
  return REL * Math.abs(want) + SUM_ABS * sumAbs + F32_TINY;
}

// ---------------------------------------------------------------------------------------------
// Comparisons
// ---------------------------------------------------------------------------------------------

/**
 * Throws unless `|got[i] - want[i]| <= tol(i)` for every i. NaN is only accepted against NaN,
 * and an infinity only against the same infinity.
 */
export function expectAllClose(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: (i: number) => number,
  what: string,
): void {
  if (got.length !== want.length) throw new Error(`${what}: length ${got.length}, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    const t = tol(i);
    const ok = Number.isNaN(w) ? Number.isNaN(g) : g === w || Math.abs(g - w) <= t;
    if (!ok) throw new Error(`${what}[${i}]: got ${g}, expected ${w} (tolerance ${t})`);
  }
}

/** `expectAllClose` with the plain relative bound `REL * |want| + F32_TINY + abs`. */
export function expectRelClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, abs = 0): void {
  expectAllClose(got, want, (i) => REL * Math.abs(want[i]) + F32_TINY + abs, what);
}

/**
 * Throws unless the two arrays hold the same values in the `Object.is` sense: same bits for
 * every number except that any NaN matches any NaN (NaN payloads are not observable in JS
 * without reinterpreting, and kernels pass values through JS numbers); -0 and +0 differ.
 */
export function expectSameValues(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  if (got.length !== want.length) throw new Error(`${what}: length ${got.length}, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) throw new Error(`${what}[${i}]: got ${got[i]}, expected ${want[i]}`);
  }
}

/** Byte-exact copies of the given arrays, to check later that nobody wrote to them. */
export function snapshot(...arrays: (Float32Array | Int32Array | Float64Array)[]): () => void {
  const copies = arrays.map((a) => new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)));
  return () => {
    arrays.forEach((a, k) => {
      const now = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      const was = copies[k];
      for (let i = 0; i < was.length; i++) {
        if (now[i] !== was[i]) throw new Error(`input #${k} was modified (byte ${i})`);
      }
    });
  };
}

// ---------------------------------------------------------------------------------------------
// Offsets: data placed inside larger buffers
// ---------------------------------------------------------------------------------------------

/** Value written around input data in offset tests: any read outside the range shows up as NaN. */
export const INPUT_PAD = NaN;
/** Value pre-filled into output buffers in offset tests: must survive outside the written range. */
export const OUTPUT_PAD = 1234.5;
/** The same for Int32Array outputs (argmax). */
export const INT_PAD = -7;

/** A Float32Array of `before + data.length + after` values with `data` at offset `before`. */
export function padded(data: ArrayLike<number>, before: number, after: number, fill: number): Float32Array {
  const out = new Float32Array(before + data.length + after).fill(fill);
  out.set(data, before);
  return out;
}

/** Int32Array counterpart of {@link padded}. */
export function paddedInt(data: ArrayLike<number>, before: number, after: number, fill: number): Int32Array {
  const out = new Int32Array(before + data.length + after).fill(fill);
  out.set(data, before);
  return out;
}

/**
 * Throws unless `buf[start .. start + want.length)` equals `want` (Object.is) and every other
 * element still equals `fill`.
 */
export function expectWrittenOnly(
  buf: ArrayLike<number>,
  start: number,
  want: ArrayLike<number>,
  fill: number,
  what: string,
): void {
  for (let i = 0; i < buf.length; i++) {
    const inside = i >= start && i < start + want.length;
    const w = inside ? want[i - start] : fill;
    if (!Object.is(buf[i], w)) {
      throw new Error(`${what}[${i}] (${inside ? 'inside' : 'outside'} the written range): got ${buf[i]}, expected ${w}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Central differences in float64 (se-kernels/testing's numericGradient)
// ---------------------------------------------------------------------------------------------

/**
 * Derivative of a scalar function by central differences, step `h * max(1, |v|)`: the
 * one-element case of {@link numericGradient} with `relativeStep`. (For gradients of functions of
 * a vector, the kernel tests call numericGradient itself, with a large step for functions that
 * are linear in each coordinate, where any step is exact up to rounding.)
 */
export function numericDeriv(f: (v: number) => number, v: number, h = 1e-5): number {
  return numericGradient((p) => f(p[0]), Float64Array.of(v), h, { relativeStep: true })[0];
}

/** `sum_i a[i] * b[i]` in float64. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

// ---------------------------------------------------------------------------------------------
// Reference kernels (float64)
// ---------------------------------------------------------------------------------------------

/** Channels-first element (r, s) lives at r * spatial + s. */
export function refAvgPool(x: ArrayLike<number>, rows: number, spatial: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let k = 0; k < spatial; k++) s += x[r * spatial + k];
    out[r] = s / spatial;
  }
  return out;
}

/** Sum of |x| per row, the scale of {@link refAvgPool}'s rounding. */
export function refAbsMeanRows(x: ArrayLike<number>, rows: number, spatial: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let k = 0; k < spatial; k++) s += Math.abs(x[r * spatial + k]);
    out[r] = s / spatial;
  }
  return out;
}

/** Transposes channels-last `[samples, spatial, channels]` to channels-first `[samples, channels, spatial]`. */
export function toChannelsFirst(x: ArrayLike<number>, samples: number, spatial: number, channels: number): Float64Array {
  const out = new Float64Array(samples * spatial * channels);
  for (let n = 0; n < samples; n++) {
    for (let s = 0; s < spatial; s++) {
      for (let c = 0; c < channels; c++) out[(n * channels + c) * spatial + s] = x[(n * spatial + s) * channels + c];
    }
  }
  return out;
}

/** Inverse of {@link toChannelsFirst}. */
export function toChannelsLast(x: ArrayLike<number>, samples: number, spatial: number, channels: number): Float64Array {
  const out = new Float64Array(samples * spatial * channels);
  for (let n = 0; n < samples; n++) {
    for (let c = 0; c < channels; c++) {
      for (let s = 0; s < spatial; s++) out[(n * spatial + s) * channels + c] = x[(n * channels + c) * spatial + s];
    }
  }
  return out;
}

/**
 * Max over each row and the FIRST index attaining it; if the row holds a NaN, the value is NaN
 * and the index is the first NaN's.
 */
export function refMaxPool(x: ArrayLike<number>, rows: number, spatial: number): { out: Float64Array; argmax: Int32Array } {
  const out = new Float64Array(rows);
  const argmax = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const row = Array.from({ length: spatial }, (_, k) => x[r * spatial + k]);
    const firstNaN = row.findIndex((v) => Number.isNaN(v));
    if (firstNaN >= 0) {
      out[r] = NaN;
      argmax[r] = firstNaN;
    } else {
      const m = Math.max(...row);
      argmax[r] = row.findIndex((v) => v === m);
      out[r] = row[argmax[r]];
    }
  }
  return { out, argmax };
}

/** `out = op(A) op(B)`, op(A) `M x K`, op(B) `K x N`; `transA` means `a` stores A as `K x M`. */
export function refMatmul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  M: number,
  N: number,
  K: number,
  transA: boolean,
  transB: boolean,
): { out: Float64Array; sumAbs: Float64Array } {
  const A = (i: number, k: number) => (transA ? a[k * M + i] : a[i * K + k]);
  const B = (k: number, j: number) => (transB ? b[j * K + k] : b[k * N + j]);
  const out = new Float64Array(M * N);
  const sumAbs = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      let t = 0;
      for (let k = 0; k < K; k++) {
        s += A(i, k) * B(k, j);
        t += Math.abs(A(i, k) * B(k, j));
      }
      out[i * N + j] = s;
      sumAbs[i * N + j] = t;
    }
  }
  return { out, sumAbs };
}

/** Transpose of a row-major `rows x cols` matrix. */
export function transpose(m: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c];
  return out;
}

/** tanh through expm1 (accurate near 0, no overflow): an independent route from Math.tanh. */
export function refTanh(v: number): number {
  if (Math.abs(v) > 20) return Math.sign(v);
  const e = Math.expm1(2 * v);
  return e / (e + 2);
}

/** Logistic function; accurate to a few float64 ulps for either sign (no cancellation). */
const logistic = (z: number) => 1 / (1 + Math.exp(-z));
const GELU_K = Math.sqrt(2 / Math.PI);
const geluInner = (v: number) => GELU_K * (v + 0.044715 * v ** 3);
/** The standard normal CDF Phi(v) = erfc(-v / sqrt 2) / 2, from the testing entry's series / continued-fraction erfc. */
const normalCdf64 = (v: number) => 0.5 * erfcReference(-v * Math.SQRT1_2);

/**
 * Elementwise nonlinearities in float64. `gelu` is the exact form `v Phi(v)`, Phi through erfc so
 * that the lower tail keeps its relative precision. `geluTanh` (the tanh approximation) is
 * evaluated through the exact identity `0.5 * (1 + tanh(u)) = logistic(2u)`, which keeps its
 * relative accuracy in the negative tail where `1 + tanh(u)` cancels.
 */
export const refActivation = {
  relu: (v: number) => (v > 0 ? v : 0),
  sigmoid: logistic,
  silu: (v: number) => v / (1 + Math.exp(-v)),
  gelu: (v: number) => v * normalCdf64(v),
  geluTanh: (v: number) => v * logistic(2 * geluInner(v)),
  tanh: refTanh,
  hardSigmoid: (v: number) => Math.min(1, Math.max(0, (v + 3) / 6)),
  identity: (v: number) => v,
} as const;

/**
 * Closed-form derivatives in float64, written without cancellation so that they keep their
 * relative accuracy where the functions saturate (the tests check them against central
 * differences first). Kinks take the documented values: relu'(0) = 0, hardSigmoid'(+-3) = 0.
 */
export const refDerivative = {
  relu: (v: number) => (v > 0 ? 1 : 0),
  // s (1 - s) = e / (1 + e)^2 with e = exp(-|v|)
  sigmoid: (v: number) => {
    const e = Math.exp(-Math.abs(v));
    return e / ((1 + e) * (1 + e));
  },
  silu: (v: number) => logistic(v) * (1 + v * logistic(-v)),
  // Phi(v) + v phi(v); phi underflows to 0 before v * phi would overflow.
  gelu: (v: number) => {
    const phi = Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
    return normalCdf64(v) + (phi === 0 ? 0 : v * phi);
  },
  geluTanh: (v: number) => {
    const u = geluInner(v);
    const du = GELU_K * (1 + 3 * 0.044715 * v * v);
    return logistic(2 * u) + 2 * v * logistic(2 * u) * logistic(-2 * u) * du;
  },
  // 1 - tanh^2 = 4 e / (1 + e)^2 with e = exp(-2|v|)
  tanh: (v: number) => {
    const e = Math.exp(-2 * Math.abs(v));
    return (4 * e) / ((1 + e) * (1 + e));
  },
  hardSigmoid: (v: number) => (v > -3 && v < 3 ? 1 / 6 : 0),
  identity: () => 1,
} as const;

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

/** Float32Array of exactly `len` finite values in [min, max] (fast-check's float bias included: 0, -0, tiny, bounds). */
export function f32s(len: number, min = -10, max = 10): Arbitrary<Float32Array> {
  return fc.float32Array({
    minLength: len,
    maxLength: len,
    min: Math.fround(min),
    max: Math.fround(max),
    noNaN: true,
    noDefaultInfinity: true,
  });
}

/** Float32Array of `len` values drawn from few integers (many ties) with an occasional NaN. */
export function tiesAndNaN(len: number): Arbitrary<Float32Array> {
  return fc
    .array(
      fc.oneof(
        { weight: 1, arbitrary: fc.constant(NaN) },
        { weight: 1, arbitrary: fc.constantFrom(-0, 0, -Infinity) },
        { weight: 12, arbitrary: fc.integer({ min: -3, max: 3 }) },
      ),
      { minLength: len, maxLength: len },
    )
    .map((v) => Float32Array.from(v));
}

/** Float32Array of `len` pairwise distinct multiples of 1/8 in [-125, 125] (exact in float32): no ties. */
export function distinct(len: number): Arbitrary<Float32Array> {
  return fc
    .uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: len, maxLength: len })
    .map((v) => Float32Array.from(v, (k) => k / 8));
}

/** Small non-negative offset, for the offset tests. */
export const offsetArb = fc.integer({ min: 0, max: 9 });
/** Number of property runs per test: enough to hit edge cases, small enough to keep the suite fast. */
export const RUNS = { numRuns: 100 } as const;
