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
import { geometry, nonlinearity, type Params64, type RefForward, type RefOptions } from '../src/testing/index.js';

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

/**
 * Per-element bound on |y_float32 - y_float64| for the SE forward of dense x (row-major in
 * `o.layout`) with the float64 parameters p, given the reference forward f of the same case.
 */
export function seForwardErrorBound(x: ArrayLike<number>, shape: readonly number[], p: Params64, o: RefOptions, f: RefForward): Float64Array {
  const { N, C, S, index } = geometry(shape, o.layout);
  const R = p.R;
  const avgWeight = o.squeeze === 'avg' ? 1 : o.squeeze === 'avgmax' ? 0.5 : 0;
  const la = LIPSCHITZ[o.activation];
  const lg = LIPSCHITZ[o.gate];
  if (la === undefined || lg === undefined) throw new Error(`seForwardErrorBound: no Lipschitz constant for ${o.activation} / ${o.gate}`);
  const bound = new Float64Array(N * C * S);
  const ez = new Float64Array(C);
  const ea = new Float64Array(R);
  const eh = new Float64Array(R);
  const es = new Float64Array(C);
  const h = new Float64Array(R); // |act(a)|: the reference keeps a, not h
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      let absSum = 0;
      for (let q = 0; q < S; q++) absSum += Math.abs(x[index(n, c, q)]);
      ez[c] = avgWeight * (S + 2) * U * (absSum / S) + U * Math.abs(f.z[n * C + c]);
    }
    for (let j = 0; j < R; j++) {
      let mag = p.b1 === null ? 0 : Math.abs(p.b1[j]);
      let carried = 0;
      for (let c = 0; c < C; c++) {
        const w = Math.abs(p.w1[j * C + c]);
        mag += w * Math.abs(f.z[n * C + c]);
        carried += w * ez[c];
      }
      ea[j] = (C + 2) * U * mag + carried;
      h[j] = Math.abs(nonlinearity(o.activation, f.a[n * R + j]));
      eh[j] = la * ea[j] + F * (h[j] + la * ea[j]);
    }
    for (let c = 0; c < C; c++) {
      let mag = p.b2 === null ? 0 : Math.abs(p.b2[c]);
      let carried = 0;
      for (let j = 0; j < R; j++) {
        const w = Math.abs(p.w2[c * R + j]);
        mag += w * h[j];
        carried += w * eh[j];
      }
      const eg = (R + 2) * U * mag + carried;
      es[c] = lg * eg + F * (Math.abs(f.s[n * C + c]) + lg * eg) + (o.gate === 'hardSigmoid' ? (3 * U) / 6 : 0);
    }
    for (let c = 0; c < C; c++) {
      for (let q = 0; q < S; q++) {
        const i = index(n, c, q);
        bound[i] = SAFETY * (Math.abs(x[i]) * es[c] + U * Math.abs(f.y[i]));
      }
    }
  }
  return bound;
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
      `${what}: |y - ref| exceeds the rounding bound at element ${worst}: y ${y[worst]}, ref ${ref[worst]}, ` +
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
