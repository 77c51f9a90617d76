// The pool's cases for the browser test, run the same way in the page (the prebuilt
// se-kernels-threads.js) and in Node (dist/esm/core.js, one thread): deterministic inputs, outputs
// as base64 of the Float32Array bytes so that equal strings mean identical bits.
import { f32ToBase64 } from './cases.mjs';

export const THREAD_CASES = [
  { shape: [4, 8, 6, 6], options: {}, hidden: 3 },
  { shape: [5, 6, 4, 4, 3], options: { squeeze: 'avgmax', activation: 'gelu', gate: 'tanh' }, hidden: 3 },
  { shape: [3, 7, 9, 8], options: { layout: 'channels-last', squeeze: 'max', activation: 'silu', gate: 'hardSigmoid' }, hidden: 3 },
  { shape: [7, 16, 33], options: { gate: 'relu', activation: 'identity' }, hidden: 4 },
];

/** x, dy (in ordinary memory, or on a SharedArrayBuffer) and params of case `c`. */
export function makeCase(core, c, index, shared = false) {
  const { shape, options } = c;
  const C = options.layout === 'channels-last' ? shape[shape.length - 1] : shape[1];
  const params = core.createSEParams({ channels: C, hidden: c.hidden, seed: 11 + index });
  params.b1.fill(0.05);
  const size = shape.reduce((a, b) => a * b, 1);
  const alloc = (n) => (shared ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float32Array(n));
  const x = alloc(size);
  const dy = alloc(size);
  for (let i = 0; i < size; i++) {
    x[i] = Math.fround(Math.sin(i * 0.61 + 0.2) * 2);
    dy[i] = Math.fround(Math.cos(i * 0.3));
  }
  return { x: { data: x, shape }, dy: { data: dy, shape }, params, options };
}

const grads = (y, g) => ({
  y: f32ToBase64(y.data),
  dx: f32ToBase64(g.dx.data),
  dw1: f32ToBase64(g.dw1.data),
  db1: g.db1 === null ? null : f32ToBase64(g.db1.data),
  dw2: f32ToBase64(g.dw2.data),
  db2: g.db2 === null ? null : f32ToBase64(g.db2.data),
});

/** One thread: the core's seForward / seBackward. */
export function runSingle(core) {
  return THREAD_CASES.map((c, i) => {
    const { x, dy, params, options } = makeCase(core, c, i);
    const { y, cache } = core.seForward(x, params, options);
    return grads(y, core.seBackward(dy, cache));
  });
}

/** The pool's async calls (inputs in ordinary memory, then on shared memory where there is any). */
export async function runPoolAsync(core, pool) {
  const out = [];
  for (const shared of typeof SharedArrayBuffer === 'function' ? [false, true] : [false]) {
    for (let i = 0; i < THREAD_CASES.length; i++) {
      const { x, dy, params, options } = makeCase(core, THREAD_CASES[i], i, shared);
      const { y, cache } = await pool.seForwardAsync(x, params, options);
      out.push(grads(y, await pool.seBackwardAsync(dy, cache)));
    }
  }
  return out;
}

/** The pool's sync calls (where this thread may block). */
export function runPoolSync(core, pool) {
  return THREAD_CASES.map((c, i) => {
    const { x, dy, params, options } = makeCase(core, c, i);
    const { y, cache } = pool.seForward(x, params, options);
    return grads(y, pool.seBackward(dy, cache));
  });
}

export const caught = async (f) => {
  try {
    await f();
    return 'no error';
  } catch (e) {
    return `${e.name}: ${e.message}`;
  }
};
