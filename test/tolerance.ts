/**
 * Forward tolerances that hold by construction: a first-order rounding-error bound for each output
 * element of the SE block computed in float32, from the float64 reference's own intermediates.
 *
 * A fixed relative tolerance on y fails by chance when the small layers cancel (a gate
 * pre-activation g near 0 made of large terms): float32 storage of z, a, h and g costs a few ulps
 * of the *terms*, not of the small sum, and a tanh / identity / relu gate passes that error on at
 * slope 1 while |y| stays small. This bound follows the magnitudes instead:
 *
 *   z = squeeze(x)        E_z = (S + 2) u mean|x| (avg part) + u |z|
 *   a = b1 + W1 z         E_a = (C + 2) u (|b1| + |W1| |z|) + |W1| E_z
 *   h = act(a)            E_h = L_act E_a + F (|h| + L_act E_a)
 *   g = b2 + W2 h         E_g = (R + 2) u (|b2| + |W2| |h|) + |W2| E_h
 *   s = gate(g)           E_s = L_gate E_g + F (|s| + L_gate E_g) + 3 u / 6 (hardSigmoid's g + 3)
 *   y = s x               E_y = |x| E_s + u |y|
 *
 * with u = 2^-24 (float32 unit roundoff; a length-n sum of products in float32 is within
 * (n + 1) u of the sum of |terms|, one more u for the store), L_* the largest |f'| of each
 * nonlinearity, and F = 1e-6 the relative accuracy the float32 nonlinearity kernels are held to
 * against float64 in test/kernels.activation.test.ts. The bound is first order; the checks use
 * twice it, which covers the second-order terms (products of two errors, each below 1e-4 of the
 * first-order ones at these sizes) and the float64 reference's own rounding.
 */
import { GRADIENT_ERROR_FLOOR, geometry, nonlinearity, type Params64, type RefForward, type RefOptions } from '../src/testing/index.js';
import { refDerivative } from './kernelReference.js';

const U = 2 ** -24;
/** Relative accuracy of every float32 nonlinearity kernel against float64 (kernels.activation.test.ts). */
const F = 1e-6;
/** Largest |f'(v)| over all v: silu' peaks at 1.0998, gelu' and geluTanh' at 1.1289. */
const LIPSCHITZ: Record<string, number> = {
  relu: 1,
  identity: 1,
  silu: 1.1,
  gelu: 1.13,
  geluTanh: 1.13,
  sigmoid: 0.25,
  tanh: 1,
  hardSigmoid: 1 / 6,
};
/** The checks allow twice the first-order bound (see the file comment). */
const SAFETY = 2;

/** First-order absolute error bounds of every float32 forward intermediate, per sample. */
interface ForwardErrors {
  ez: Float64Array; // [N * C]
  ea: Float64Array; // [N * R]
  h: Float64Array; // [N * R] the reference's act(a) (RefForward keeps a, not h)
  eh: Float64Array; // [N * R]
  eg: Float64Array; // [N * C]
  es: Float64Array; // [N * C]
  ey: Float64Array; // [N * C * S], without SAFETY
}

function forwardErrors(x: ArrayLike<number>, shape: readonly number[], p: Params64, o: RefOptions, f: RefForward): ForwardErrors {
  const { N, C, S, index } = geometry(shape, o.layout);
  const R = p.R;
  const avgWeight = o.squeeze === 'avg' ? 1 : o.squeeze === 'avgmax' ? 0.5 : 0;
  const la = lipschitz(o.activation);
  const lg = lipschitz(o.gate);
  const ez = new Float64Array(N * C);
  const ea = new Float64Array(N * R);
  const h = new Float64Array(N * R);
  const eh = new Float64Array(N * R);
  const eg = new Float64Array(N * C);
  const es = new Float64Array(N * C);
  const ey = new Float64Array(N * C * S);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      let absSum = 0;
      for (let q = 0; q < S; q++) absSum += Math.abs(x[index(n, c, q)]);
      ez[n * C + c] = avgWeight * (S + 2) * U * (absSum / S) + U * Math.abs(f.z[n * C + c]);
    }
    for (let j = 0; j < R; j++) {
      let mag = p.b1 === null ? 0 : Math.abs(p.b1[j]);
      let carried = 0;
      for (let c = 0; c < C; c++) {
        const w = Math.abs(p.w1[j * C + c]);
        mag += w * Math.abs(f.z[n * C + c]);
        carried += w * ez[n * C + c];
      }
      const k = n * R + j;
      ea[k] = (C + 2) * U * mag + carried;
      h[k] = nonlinearity(o.activation, f.a[k]);
      eh[k] = la * ea[k] + F * (Math.abs(h[k]) + la * ea[k]);
    }
    for (let c = 0; c < C; c++) {
      let mag = p.b2 === null ? 0 : Math.abs(p.b2[c]);
      let carried = 0;
      for (let j = 0; j < R; j++) {
        const w = Math.abs(p.w2[c * R + j]);
        mag += w * Math.abs(h[n * R + j]);
        carried += w * eh[n * R + j];
      }
      const k = n * C + c;
      eg[k] = (R + 2) * U * mag + carried;
      es[k] = lg * eg[k] + F * (Math.abs(f.s[k]) + lg * eg[k]) + (o.gate === 'hardSigmoid' ? (3 * U) / 6 : 0);
    }
    for (let c = 0; c < C; c++) {
      for (let q = 0; q < S; q++) {
        const i = index(n, c, q);
        ey[i] = Math.abs(x[i]) * es[n * C + c] + U * Math.abs(f.y[i]);
      }
    }
  }
  return { ez, ea, h, eh, eg, es, ey };
}

function lipschitz(kind: string): number {
  const l = LIPSCHITZ[kind];
  if (l === undefined) throw new Error(`tolerance: no Lipschitz constant for '${kind}'`);
  return l;
}

/**
 * Per-element bound on |y_float32 - y_float64| for the SE forward of dense x (row-major in
 * `o.layout`) with the float64 parameters p, given the reference forward f of the same case.
 */
export function seForwardErrorBound(x: ArrayLike<number>, shape: readonly number[], p: Params64, o: RefOptions, f: RefForward): Float64Array {
  return forwardErrors(x, shape, p, o, f).ey.map((e) => SAFETY * e);
}

/**
 * Largest |f''| of each nonlinearity (0 where f' is piecewise constant; the gradient tests keep
 * away from kinks): silu'' peaks at 0.5 (at 0), gelu'' and geluTanh'' at 0.80 (at 0), tanh'' at
 * 0.77, sigmoid'' at 0.097. A backward kernel may compute f' from its saved output instead of
 * the input (sigmoid's s (1 - s), tanh's 1 - s^2), whose slope in s is at most 2: the bound
 * charges both, |f''| E_input + 2 E_output.
 */
const CURVATURE: Record<string, number> = {
  relu: 0,
  identity: 0,
  hardSigmoid: 0,
  silu: 0.5,
  gelu: 0.8,
  geluTanh: 0.8,
  tanh: 0.77,
  sigmoid: 0.1,
};

/** Per-element bounds of the five SE gradients (null bias entries for a block without biases). */
export interface SEGradientBounds {
  dx: Float64Array;
  dw1: Float64Array;
  db1: Float64Array | null;
  dw2: Float64Array;
  db2: Float64Array | null;
}

/**
 * Per-element first-order bound on |grad_float32 - grad_float64| of each SE gradient for the loss
 * sum(y * dy), propagated through the backward formulas the same way as the forward bound (the
 * file comment): every float32 sum of n products costs (n + 1) u of the sum of |products|, every
 * factor carries the error bound of the forward intermediate it comes from, f' carries
 * |f''| E_input + 2 E_output + F |f'|. Doubled like the forward bound. Any summation order
 * (the fused kernels' or the tape's) is within it.
 */
export function seGradientErrorBounds(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  shape: readonly number[],
  p: Params64,
  o: RefOptions,
  f: RefForward,
): SEGradientBounds {
  const { N, C, S, index } = geometry(shape, o.layout);
  const R = p.R;
  const e = forwardErrors(x, shape, p, o, f);
  const ka = CURVATURE[o.activation];
  const kg = CURVATURE[o.gate];
  const dAct = refDerivative[o.activation];
  const dGate = refDerivative[o.gate];
  if (ka === undefined || kg === undefined || !dAct || !dGate) throw new Error(`tolerance: no curvature for ${o.activation} / ${o.gate}`);
  const avgWeight = o.squeeze === 'avg' ? 1 : o.squeeze === 'avgmax' ? 0.5 : 0;
  const maxWeight = 1 - avgWeight;
  const dx = new Float64Array(N * C * S);
  const dw1 = new Float64Array(R * C);
  const dw2 = new Float64Array(C * R);
  const db1 = p.b1 === null ? null : new Float64Array(R);
  const db2 = p.b2 === null ? null : new Float64Array(C);
  // Magnitudes (sums of |terms|) of the batch sums, for their own rounding.
  const dw1Mag = new Float64Array(R * C);
  const dw2Mag = new Float64Array(C * R);
  const db1Mag = new Float64Array(R);
  const db2Mag = new Float64Array(C);
  const dg = new Float64Array(C);
  const edg = new Float64Array(C);
  const da = new Float64Array(R);
  const eda = new Float64Array(R);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      let ds = 0;
      let dsMag = 0;
      let eds = 0;
      for (let q = 0; q < S; q++) {
        const i = index(n, c, q);
        ds += dy[i] * x[i];
        dsMag += Math.abs(dy[i] * x[i]);
      }
      eds = (S + 1) * U * dsMag;
      const k = n * C + c;
      const d = dGate(f.g[k]);
      const ed = kg * e.eg[k] + 2 * e.es[k] + F * Math.abs(d);
      dg[c] = ds * d;
      edg[c] = Math.abs(d) * eds + (Math.abs(ds) + eds) * ed + U * Math.abs(dg[c]);
    }
    for (let j = 0; j < R; j++) {
      let dh = 0;
      let dhMag = 0;
      let carried = 0;
      for (let c = 0; c < C; c++) {
        const w = p.w2[c * R + j];
        dh += w * dg[c];
        dhMag += Math.abs(w * dg[c]);
        carried += Math.abs(w) * edg[c];
      }
      const edh = (C + 1) * U * dhMag + carried;
      const k = n * R + j;
      const d = dAct(f.a[k]);
      const ed = ka * e.ea[k] + 2 * e.eh[k] + F * Math.abs(d);
      da[j] = dh * d;
      eda[j] = Math.abs(d) * edh + (Math.abs(dh) + edh) * ed + U * Math.abs(da[j]);
    }
    for (let c = 0; c < C; c++) {
      const k = n * C + c;
      for (let j = 0; j < R; j++) {
        const hk = n * R + j;
        dw2[c * R + j] += Math.abs(dg[c]) * e.eh[hk] + edg[c] * Math.abs(e.h[hk]);
        dw2Mag[c * R + j] += Math.abs(dg[c] * e.h[hk]);
        dw1[j * C + c] += Math.abs(da[j]) * e.ez[k] + eda[j] * Math.abs(f.z[k]);
        dw1Mag[j * C + c] += Math.abs(da[j] * f.z[k]);
      }
      if (db2 !== null) {
        db2[c] += edg[c];
        db2Mag[c] += Math.abs(dg[c]);
      }
    }
    if (db1 !== null) {
      for (let j = 0; j < R; j++) {
        db1[j] += eda[j];
        db1Mag[j] += Math.abs(da[j]);
      }
    }
    for (let c = 0; c < C; c++) {
      let dz = 0;
      let dzMag = 0;
      let carried = 0;
      for (let j = 0; j < R; j++) {
        const w = p.w1[j * C + c];
        dz += w * da[j];
        dzMag += Math.abs(w * da[j]);
        carried += Math.abs(w) * eda[j];
      }
      const edz = (R + 1) * U * dzMag + carried;
      const k = n * C + c;
      // The route of dz back to x: avg spreads it over S positions, max sends it to the argmax
      // (the tests keep away from ties, so the float32 argmax is the reference's).
      let argmax = 0;
      for (let q = 1; q < S; q++) if (x[index(n, c, q)] > x[index(n, c, argmax)]) argmax = q;
      for (let q = 0; q < S; q++) {
        const i = index(n, c, q);
        const share = avgWeight / S + (q === argmax ? maxWeight : 0);
        const direct = Math.abs(dy[i]) * e.es[k] + U * Math.abs(dy[i] * f.s[k]);
        const routed = share * (edz + U * Math.abs(dz));
        dx[i] = direct + routed + U * (Math.abs(dy[i] * f.s[k]) + share * Math.abs(dz));
      }
    }
  }
  const finish = (b: Float64Array, mag: Float64Array) => b.map((v, i) => SAFETY * (v + (N + 1) * U * mag[i]));
  return {
    dx: dx.map((v) => SAFETY * v),
    dw1: finish(dw1, dw1Mag),
    db1: db1 === null ? null : finish(db1, db1Mag),
    dw2: finish(dw2, dw2Mag),
    db2: db2 === null ? null : finish(db2, db2Mag),
  };
}

/**
 * Throws unless |y[i] - ref[i]| <= bound[i] for every i; the message names the worst element
 * (largest error / bound) with its values.
 */
export function expectWithinBound(what: string, y: ArrayLike<number>, ref: ArrayLike<number>, bound: ArrayLike<number>): void {
  if (y.length !== ref.length || y.length !== bound.length) throw new Error(`${what}: lengths differ (${y.length}, ${ref.length}, ${bound.length})`);
  let worst = -1;
  let worstRatio = 0;
  for (let i = 0; i < y.length; i++) {
    const err = Math.abs(y[i] - ref[i]);
    const ratio = err === 0 ? 0 : err / bound[i];
    if (!(ratio <= 1)) {
      if (worst < 0 || !(ratio <= worstRatio)) {
        worst = i;
        worstRatio = ratio;
      }
    }
  }
  if (worst >= 0) {
    throw new Error(
      `${what}: |value - ref| exceeds its bound at element ${worst}: y ${y[worst]}, ref ${ref[worst]}, ` +
        `error ${Math.abs(y[worst] - ref[worst])} > bound ${bound[worst]} (${worstRatio.toFixed(2)}x)`,
    );
  }
}

/** Largest |y[i] - ref[i]| / bound[i] (0 where both are 0): how much of the bound a case uses. */
export function boundRatio(y: ArrayLike<number>, ref: ArrayLike<number>, bound: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < y.length; i++) {
    const err = Math.abs(y[i] - ref[i]);
    if (err !== 0) worst = Math.max(worst, err / bound[i]);
  }
  return worst;
}

/**
 * Throws unless |a[i] - ref[i]| <= tol * max(max |ref|, GRADIENT_ERROR_FLOOR) + bound[i] for
 * every i: gradientError's fixed relative tolerance (it covers the float64 central differences'
 * own truncation and rounding, which the rounding bound does not model) plus the case's float32
 * rounding bound from seGradientErrorBounds, which grows where the small layers cancel.
 */
export function expectGradientWithin(what: string, a: ArrayLike<number>, ref: ArrayLike<number>, tol: number, bound: ArrayLike<number>): void {
  let scale = GRADIENT_ERROR_FLOOR;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]));
  const allowed = Float64Array.from(bound, (b) => tol * scale + b);
  expectWithinBound(what, a, ref, allowed);
}
