// @ts-check
/**
 * The inputs of one benchmark block, with no Node import so that the browser bench page
 * (bench/browser/page.mjs) builds the very same inputs as the Node bench (lib/cases.mjs).
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
 * One block's x, dy and parameters (see lib/cases.mjs makeBlock), from a build's `createSEParams`.
 * @param {(opts: { channels: number, hidden: number, bias: boolean, seed: number }) => import('./cases.mjs').SEParams} createSEParams
 * @param {readonly number[]} shape [N, C, H, W]
 * @param {number} hidden R
 * @param {number} seed
 * @returns {import('./cases.mjs').Block}
 */
export function blockData(createSEParams, shape, hidden, seed) {
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
  const params = createSEParams({ channels: C, hidden, bias: true, seed });
  for (let j = 0; j < params.b1.length; j++) params.b1[j] = 0.2 * u() - 0.1;
  for (let c = 0; c < params.b2.length; c++) params.b2[c] = 0.2 * u() - 0.1;
  return { key: shape.join(','), shape: [...shape], N, C, H, W, S, R: params.hidden, x, dy, params };
}
