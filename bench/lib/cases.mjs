// @ts-check
/**
 * The standard shapes (SPEC section 5) and deterministic inputs for them.
 */
import { se } from './library.mjs';

/** (N, C, H, W) of the five standard shapes; r = 16, bias on. */
export const SHAPES = /** @type {const} */ ([
  [1, 64, 32, 32],
  [8, 64, 56, 56],
  [32, 256, 14, 14],
  [8, 512, 7, 7],
  [16, 128, 28, 28],
]);

export const REDUCTION = 16;

/**
 * @typedef {object} SEParams
 * @property {number} channels
 * @property {number} hidden
 * @property {Float32Array} w1  [R, C]
 * @property {Float32Array} b1  [R]
 * @property {Float32Array} w2  [C, R]
 * @property {Float32Array} b2  [C]
 */

/**
 * One benchmark case: a shape with its input, upstream gradient and parameters.
 * @typedef {object} Case
 * @property {string} key      "N,C,H,W"
 * @property {number[]} shape  [N, C, H, W]
 * @property {number} N
 * @property {number} C
 * @property {number} H
 * @property {number} W
 * @property {number} S        H * W
 * @property {number} R        hidden width
 * @property {Float32Array} x
 * @property {Float32Array} dy
 * @property {SEParams} params
 */

/**
 * mulberry32: a small seeded uniform generator on [0, 1).
 * @param {number} seed
 */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Builds the case for a shape. x has a per-(sample, channel) offset so that the squeezed values,
 * and hence the gates, differ between channels (a zero-mean x would squeeze to almost nothing);
 * the biases are made non-zero (createSEParams starts them at 0) so that the bias paths are checked.
 * @param {readonly number[]} shape
 * @param {number} [seed]
 * @returns {Case}
 */
export function makeCase(shape, seed = 1) {
  const [N, C, H, W] = shape;
  const S = H * W;
  const u = rng(seed * 7919 + N * 31 + C * 17 + S);
  const x = new Float32Array(N * C * S);
  const dy = new Float32Array(N * C * S);
  for (let r = 0; r < N * C; r++) {
    const offset = 2.5 * u() - 1;
    for (let s = 0; s < S; s++) x[r * S + s] = offset + (u() - 0.5);
  }
  for (let i = 0; i < dy.length; i++) dy[i] = 2 * u() - 1;
  const params = se.createSEParams({ channels: C, reduction: REDUCTION, bias: true, seed });
  for (let j = 0; j < params.b1.length; j++) params.b1[j] = 0.2 * u() - 0.1;
  for (let c = 0; c < params.b2.length; c++) params.b2[c] = 0.2 * u() - 0.1;
  return { key: shape.join(','), shape: [...shape], N, C, H, W, S, R: params.hidden, x, dy, params };
}
