/**
 * A float64 reference SE block for checking results: written directly from the formulas with
 * explicit (n, c, s) index arithmetic, sharing no code with the kernels. Slow and simple on purpose.
 * Also central-difference numerical gradients and the error measure the tests and the demo use.
 */
import { SEOptionError, SETypeError, describeValue } from '../errors.js';
import type { SEActivation, SEGate, SELayout, SEOptions, SESqueeze } from '../options.js';
import type { SEParams } from '../params.js';

/**
 * Input layout.
 * @deprecated the same type as `SELayout` (from the main entry); use that.
 */
export type Layout = SELayout;

/** Resolved reference options. */
export interface RefOptions {
  layout: SELayout;
  squeeze: SESqueeze;
  activation: SEActivation;
  gate: SEGate;
}

/** SEOptions with the defaults filled in. */
export function refOptions(options?: SEOptions | null): RefOptions {
  const o = options ?? {};
  return {
    layout: o.layout ?? 'channels-first',
    squeeze: o.squeeze ?? 'avg',
    activation: o.activation ?? 'relu',
    gate: o.gate ?? 'sigmoid',
  };
}

/** Float64 copies of an SEParams' arrays. */
export interface Params64 {
  C: number;
  R: number;
  w1: Float64Array;
  b1: Float64Array | null;
  w2: Float64Array;
  b2: Float64Array | null;
}

/** Copies an SEParams' arrays to float64. */
export function params64(p: SEParams): Params64 {
  return {
    C: p.channels,
    R: p.hidden,
    w1: Float64Array.from(p.w1),
    b1: p.b1 === null ? null : Float64Array.from(p.b1),
    w2: Float64Array.from(p.w2),
    b2: p.b2 === null ? null : Float64Array.from(p.b2),
  };
}

/** The nonlinearity `kind` applied to one float64 value. */
export function nonlinearity(kind: string, v: number): number {
  switch (kind) {
    case 'relu':
      return Math.max(v, 0);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-v));
    case 'silu':
      return v / (1 + Math.exp(-v));
    case 'gelu':
      // v Phi(v), Phi(v) = erfc(-v / sqrt 2) / 2: relative precision in the lower tail (the rounding
      // of v / sqrt 2 costs about v^2 * 1e-16 relative: 1e-14 at v = -10).
      return 0.5 * v * erfcReference(-v * Math.SQRT1_2);
    case 'geluTanh':
      // 0.5 v (1 + tanh(u)) written as v / (1 + exp(-2u)), which does not cancel for v < 0.
      return v / (1 + Math.exp(-2 * Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
    case 'tanh':
      return Math.tanh(v);
    case 'hardSigmoid':
      return Math.min(1, Math.max(0, (v + 3) / 6));
    case 'identity':
      return v;
    default:
      throw new RangeError(`nonlinearity: unknown kind ${kind}`);
  }
}

/**
 * `exp(-x^2)` with x^2 carried exactly as `h^2 + (x - h)(x + h)`, h the float32 nearest x (so h^2
 * is exact in float64): rounding x^2 first would cost up to x^2 * 2^-53 relative (1e-13 at x = 27).
 */
function expMinusSquare(x: number): number {
  const h = Math.fround(x);
  return Math.exp(-h * h) * Math.exp(-(x - h) * (x + h));
}

/**
 * erf in float64 for the tests, independent of the kernels' `erf` (which uses fitted polynomials):
 * for |x| < 1 the everywhere-positive series `erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (2n+1)!!`
 * summed until the terms stop mattering; beyond, `1 - erfcReference(|x|)`. Relative error about 3e-16.
 */
export function erfReference(x: number): number {
  if (x !== x) return x;
  const a = Math.abs(x);
  if (a >= 1) return Math.sign(x) * (1 - erfcReference(a));
  let term = a;
  let sum = a;
  for (let n = 1; term > 1e-18 * sum; n++) {
    term *= (2 * a * a) / (2 * n + 1);
    sum += term;
  }
  return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * expMinusSquare(a) * sum;
}

/**
 * erfc in float64 for the tests, independent of the kernels' `erfc`: for x >= 1 Laplace's
 * continued fraction `erfc(x) = exp(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...))))`
 * evaluated bottom-up from depth 300 (converged to float64 from x = 1 on); for |x| < 1,
 * `1 - erfReference(x)`; for x <= -1, `2 - erfcReference(-x)`. Relative error within 3e-15 for all
 * x, the far tail included (erfc(20) = 5.4e-176).
 */
export function erfcReference(x: number): number {
  if (x !== x) return x;
  if (x <= -1) return 2 - erfcReference(-x);
  if (x < 1) return 1 - erfReference(x);
  if (x > 30) return 0; // erfc(27.3) is below the smallest float64
  let t = x;
  for (let k = 300; k >= 1; k--) t = x + k / 2 / t;
  return expMinusSquare(x) / Math.sqrt(Math.PI) / t;
}

/** Kinks of each nonlinearity, where a finite-difference check is meaningless. */
export function kinks(kind: string): number[] {
  if (kind === 'relu') return [0];
  if (kind === 'hardSigmoid') return [-3, 3];
  return [];
}

/** Geometry of a dense input: N, C, S and a function giving the flat index of (n, c, s). */
export function geometry(shape: readonly number[], layout: SELayout) {
  const rank = shape.length;
  const N = shape[0];
  const C = layout === 'channels-first' ? shape[1] : shape[rank - 1];
  let S = 1;
  for (let k = 1; k < rank; k++) if (k !== (layout === 'channels-first' ? 1 : rank - 1)) S *= shape[k];
  /** Flat index of sample n, channel c, spatial position s. */
  const index =
    layout === 'channels-first'
      ? (n: number, c: number, s: number) => (n * C + c) * S + s
      : (n: number, c: number, s: number) => (n * S + s) * C + c;
  return { N, C, S, index };
}

/** Every intermediate of the reference forward. */
export interface RefForward {
  y: Float64Array;
  z: Float64Array;
  a: Float64Array;
  g: Float64Array;
  s: Float64Array;
  /** Per (n, c): the gap between the largest and second-largest spatial value (for tie checks). */
  maxGap: Float64Array;
  /**
   * Condition number of the two small layers: the largest (sum of |terms|) / |sum| over every
   * element of a and g. Float32 storage of z and h costs about this many float32 ulps of relative
   * error in a and g; a case with a large one (cancellation) cannot agree with float64 to 1e-6.
   */
  condition: number;
}

/** The SE block in float64, straight from the SPEC formulas. x is dense row-major. */
export function seReference(x: ArrayLike<number>, shape: readonly number[], p: Params64, o: RefOptions): RefForward {
  const { N, C, S, index } = geometry(shape, o.layout);
  const R = p.R;
  const y = new Float64Array(N * C * S);
  const z = new Float64Array(N * C);
  const a = new Float64Array(N * R);
  const g = new Float64Array(N * C);
  const s = new Float64Array(N * C);
  const maxGap = new Float64Array(N * C);
  let condition = 1;
  const conditionOf = (sum: number, absSum: number): number => (absSum === 0 ? 1 : absSum / Math.abs(sum));
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      let sum = 0;
      let max = -Infinity;
      let second = -Infinity;
      for (let q = 0; q < S; q++) {
        const v = x[index(n, c, q)];
        sum += v;
        if (v > max) {
          second = max;
          max = v;
        } else if (v > second) second = v;
      }
      const avg = sum / S;
      z[n * C + c] = o.squeeze === 'avg' ? avg : o.squeeze === 'max' ? max : 0.5 * avg + 0.5 * max;
      maxGap[n * C + c] = S === 1 ? Infinity : max - second;
    }
    for (let j = 0; j < R; j++) {
      let acc = p.b1 === null ? 0 : p.b1[j];
      let abs = Math.abs(acc);
      for (let c = 0; c < C; c++) {
        acc += p.w1[j * C + c] * z[n * C + c];
        abs += Math.abs(p.w1[j * C + c] * z[n * C + c]);
      }
      a[n * R + j] = acc;
      condition = Math.max(condition, conditionOf(acc, abs));
    }
    for (let c = 0; c < C; c++) {
      let acc = p.b2 === null ? 0 : p.b2[c];
      let abs = Math.abs(acc);
      for (let j = 0; j < R; j++) {
        const t = p.w2[c * R + j] * nonlinearity(o.activation, a[n * R + j]);
        acc += t;
        abs += Math.abs(t);
      }
      g[n * C + c] = acc;
      condition = Math.max(condition, conditionOf(acc, abs));
      s[n * C + c] = nonlinearity(o.gate, acc);
    }
    for (let c = 0; c < C; c++) {
      for (let q = 0; q < S; q++) {
        const i = index(n, c, q);
        y[i] = s[n * C + c] * x[i];
      }
    }
  }
  return { y, z, a, g, s, maxGap, condition };
}

/** Distance of the nearest pre-activation / pre-gate value from a kink, relative to the values' scale. */
export function kinkMargin(f: RefForward, o: RefOptions): number {
  let margin = Infinity;
  for (const [values, kind] of [
    [f.a, o.activation],
    [f.g, o.gate],
  ] as const) {
    for (const k of kinks(kind)) for (const v of values) margin = Math.min(margin, Math.abs(v - k));
  }
  return margin;
}

/** Smallest top-two gap over all (n, c) (Infinity unless the squeeze uses max). */
export function tieMargin(f: RefForward, o: RefOptions): number {
  if (o.squeeze === 'avg') return Infinity;
  let m = Infinity;
  for (const v of f.maxGap) m = Math.min(m, v);
  return m;
}

/** Options of {@link numericGradient}. */
export interface NumericGradientOptions {
  /**
   * Scale the step with the value: `eps * max(1, |v[i]|)` instead of `eps` (default false). Keeps
   * the step's relative size when values span several orders of magnitude.
   */
  relativeStep?: boolean;
}

/**
 * Central differences `(f(v + h e_i) - f(v - h e_i)) / 2h` of a scalar function of a float64
 * vector, for every i. `f` is called with `v` itself, changed in place at one element at a time;
 * `v` holds its original values again when this returns (or throws).
 * @param f the function (it may read `v` through its argument or through a closure)
 * @param v the point; its values are restored
 * @param eps the step h (default 1e-6)
 * @param options `relativeStep: true` for steps `eps * max(1, |v[i]|)`
 */
export function numericGradient(f: (v: Float64Array) => number, v: Float64Array, eps = 1e-6, options: NumericGradientOptions = {}): Float64Array {
  const fn = 'numericGradient';
  if (typeof f !== 'function') throw new SETypeError(`${fn}: f must be a function returning a number but got ${describeValue(f)}`);
  if (!(v instanceof Float64Array)) throw new SETypeError(`${fn}: v must be a Float64Array but got ${describeValue(v)}`);
  if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) {
    throw new SEOptionError(`${fn}: eps must be a positive finite number but is ${describeValue(eps)}`);
  }
  if (options === null || typeof options !== 'object') throw new SETypeError(`${fn}: options must be an object but got ${describeValue(options)}`);
  const { relativeStep = false } = options;
  if (typeof relativeStep !== 'boolean') throw new SETypeError(`${fn}: options.relativeStep must be a boolean but got ${describeValue(relativeStep)}`);
  const n = v.length;
  const grad = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const old = v[i];
    const h = relativeStep ? eps * Math.max(1, Math.abs(old)) : eps;
    try {
      v[i] = old + h;
      const up = f(v);
      v[i] = old - h;
      const down = f(v);
      grad[i] = (up - down) / (2 * h);
    } finally {
      v[i] = old;
    }
  }
  return grad;
}

/** max |a - b| / max(max |b|, floor): the error measure used throughout the tests. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-6): number {
  if (a.length !== b.length) throw new RangeError(`relativeError: lengths differ (${a.length} vs ${b.length})`);
  let err = 0;
  let scale = floor;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / scale;
}

/**
 * Below this magnitude {@link gradientError} compares absolutely. A gradient that is a sum over
 * samples or positions can cancel to far less than its terms; float32 storage of the terms then
 * costs a relative error the sum's size cannot bound. At the 2e-5 bound this is the SPEC's
 * "1e-5 absolute for gradients that are sums" (1e-6 absolute below 0.05).
 */
export const GRADIENT_ERROR_FLOOR = 0.05;

/** max |a - b| / max(max |b|, GRADIENT_ERROR_FLOOR): the gradient comparison the tests use. */
export function gradientError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return relativeError(a, b, GRADIENT_ERROR_FLOOR);
}

/** SE gradients of loss = sum(y * w) by float64 central differences of loss = sum(y * w) in float64. */
export function seReferenceGradients(
  x: Float32Array,
  shape: readonly number[],
  p: SEParams,
  o: RefOptions,
  w: Float64Array,
  eps = 1e-6,
) {
  const x64 = Float64Array.from(x);
  const p64 = params64(p);
  const loss = () => {
    const { y } = seReference(x64, shape, p64, o);
    let l = 0;
    for (let i = 0; i < y.length; i++) l += y[i] * w[i];
    return l;
  };
  return {
    dx: numericGradient(loss, x64, eps),
    dw1: numericGradient(loss, p64.w1, eps),
    db1: p64.b1 === null ? null : numericGradient(loss, p64.b1, eps),
    dw2: numericGradient(loss, p64.w2, eps),
    db2: p64.b2 === null ? null : numericGradient(loss, p64.b2, eps),
  };
}

