// @ts-check
/**
 * Float64 reference for one SE block (avg squeeze, relu, bias; sigmoid or hardSigmoid gate),
 * forward and backward with dy as the upstream gradient, written from SPEC section 1. Every
 * system's outputs are checked against it, block by block, before timing.
 *
 * It is itself checked against `se-kernels/testing`: its forward against `seReference` (an
 * independent float64 forward) on every block, its gradients against float64 central differences
 * (`seReferenceGradients`) on a small shape, once per gate.
 */
import { testing } from './library.mjs';
import { makeBlock } from './cases.mjs';

/**
 * @typedef {object} Reference
 * @property {Float64Array} y
 * @property {Float64Array} z   [N, C] squeezed
 * @property {Float64Array} a   [N, R] before relu
 * @property {Float64Array} h   [N, R]
 * @property {Float64Array} g   [N, C] before the gate
 * @property {Float64Array} s   [N, C] gates
 * @property {Float64Array} dx
 * @property {Float64Array} dw1
 * @property {Float64Array} db1
 * @property {Float64Array} dw2
 * @property {Float64Array} db2
 * @property {Float64Array} ds     [N, C] sum_s dy * x
 * @property {Float64Array} shift  [N, C] dz / S, the squeeze path's share of dx
 */

/**
 * @param {import('./cases.mjs').Block} c
 * @param {'sigmoid' | 'hardSigmoid'} gate
 * @returns {Reference}
 */
export function reference(c, gate) {
  const hard = gate === 'hardSigmoid';
  const { N, C, S, R, x, dy } = c;
  const { w1, b1, w2, b2 } = c.params;
  const y = new Float64Array(N * C * S);
  const dx = new Float64Array(N * C * S);
  const z = new Float64Array(N * C);
  const a = new Float64Array(N * R);
  const h = new Float64Array(N * R);
  const s = new Float64Array(N * C);
  const g = new Float64Array(N * C);
  const ds = new Float64Array(N * C);
  const shift = new Float64Array(N * C);
  const dw1 = new Float64Array(R * C);
  const db1 = new Float64Array(R);
  const dw2 = new Float64Array(C * R);
  const db2 = new Float64Array(C);
  const dg = new Float64Array(C);
  const da = new Float64Array(R);
  for (let n = 0; n < N; n++) {
    for (let c2 = 0; c2 < C; c2++) {
      let sum = 0;
      for (let q = 0; q < S; q++) sum += x[(n * C + c2) * S + q];
      z[n * C + c2] = sum / S;
    }
    for (let j = 0; j < R; j++) {
      let acc = b1[j];
      for (let k = 0; k < C; k++) acc += w1[j * C + k] * z[n * C + k];
      a[n * R + j] = acc;
      h[n * R + j] = Math.max(acc, 0);
    }
    for (let k = 0; k < C; k++) {
      let acc = b2[k];
      for (let j = 0; j < R; j++) acc += w2[k * R + j] * h[n * R + j];
      g[n * C + k] = acc;
      s[n * C + k] = hard ? Math.min(1, Math.max(0, (acc + 3) / 6)) : 1 / (1 + Math.exp(-acc));
    }
    for (let k = 0; k < C; k++) {
      const sk = s[n * C + k];
      let dot = 0;
      for (let q = 0; q < S; q++) {
        const i = (n * C + k) * S + q;
        y[i] = sk * x[i];
        dot += dy[i] * x[i];
      }
      ds[n * C + k] = dot;
      const gk = g[n * C + k];
      dg[k] = hard ? (gk > -3 && gk < 3 ? dot / 6 : 0) : dot * sk * (1 - sk);
      db2[k] += dg[k];
      for (let j = 0; j < R; j++) dw2[k * R + j] += dg[k] * h[n * R + j];
    }
    for (let j = 0; j < R; j++) {
      let dh = 0;
      for (let k = 0; k < C; k++) dh += dg[k] * w2[k * R + j];
      da[j] = a[n * R + j] > 0 ? dh : 0;
      db1[j] += da[j];
      for (let k = 0; k < C; k++) dw1[j * C + k] += da[j] * z[n * C + k];
    }
    for (let k = 0; k < C; k++) {
      let dz = 0;
      for (let j = 0; j < R; j++) dz += da[j] * w1[j * C + k];
      shift[n * C + k] = dz / S;
      const sk = s[n * C + k];
      for (let q = 0; q < S; q++) {
        const i = (n * C + k) * S + q;
        dx[i] = sk * dy[i] + dz / S;
      }
    }
  }
  return { y, z, a, h, g, s, dx, dw1, db1, dw2, db2, ds, shift };
}

/**
 * Checks this reference's forward on a block against se-kernels/testing's independent
 * `seReference`. Throws if they disagree.
 * @param {import('./cases.mjs').Block} c
 * @param {'sigmoid' | 'hardSigmoid'} gate
 * @param {Reference} ref
 * @returns {number} the forward's max relative difference
 */
export function checkForwardAgainstTesting(c, gate, ref) {
  const t = testing.seReference(c.x, c.shape, testing.params64(c.params), testing.refOptions({ gate }));
  const err = testing.relativeError(ref.y, t.y);
  if (!(err < 1e-12)) throw new Error(`bench reference: forward differs from se-kernels/testing seReference on ${c.key}: ${err}`);
  return err;
}

/**
 * Checks this reference's gradients against float64 central differences on a small block
 * (N = 2, C = 32, 3x3, R = 4; with this seed 5 of its 8 relu inputs are positive and, with
 * hardSigmoid, 9 of its 64 gates saturate, none within 0.05 of a kink). Throws if they disagree.
 * @param {'sigmoid' | 'hardSigmoid'} gate
 * @returns {number} the max relative difference of the analytic gradients from central differences
 */
export function checkGradientsAgainstTesting(gate) {
  const c = makeBlock([2, 32, 3, 3], 4, 1);
  const ref = reference(c, gate);
  const num = testing.seReferenceGradients(c.x, c.shape, c.params, testing.refOptions({ gate }), Float64Array.from(c.dy));
  let worst = 0;
  for (const k of /** @type {const} */ (['dx', 'dw1', 'db1', 'dw2', 'db2'])) {
    const err = testing.relativeError(ref[k], num[k]);
    if (!(err < 1e-6)) throw new Error(`bench reference: ${k} differs from central differences by ${err}`);
    worst = Math.max(worst, err);
  }
  return worst;
}
