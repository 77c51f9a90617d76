// @ts-check
/**
 * TensorFlow.js 4.22 on its CPU and WASM backends, the block as tf ops:
 *   z = mean(x, [2, 3]);  h = relu(z W1^T + b1);  s = sigmoid(h W2^T + b2);  y = x * reshape(s, [N, C, 1, 1])
 * Backward: tf.valueAndGrads of that function w.r.t. (x, w1, b1, w2, b2) with dy as the upstream
 * gradient (it runs the forward too, so it is the forward+backward time).
 *
 * Inputs are uploaded once per system; the timed call runs the ops and disposes the results.
 * Outputs are not read back into JS in the timed call (the ops are synchronous on both backends),
 * which favours tfjs a little. `@tensorflow/tfjs` is imported (not only tfjs-core): its Node build
 * registers the gradients. tf.enableProdMode() is on.
 *
 * tfjs-cpu runs in the main thread. tfjs-wasm runs in a worker thread of the same process
 * (lib/isolate.mjs): its WASM memory growth detaches ArrayBuffers, which would slow down every
 * typed-array loop of the isolate it runs in. It runs with SIMD and one thread (its threaded build
 * does not start under Node).
 */
import { isolated, request } from '../lib/isolate.mjs';

// tfjs prints a hint to install tfjs-node; keep the benchmark's output clean.
for (const method of /** @type {const} */ (['log', 'warn'])) {
  const original = console[method];
  console[method] = (...args) => {
    const text = String(args[0] ?? '');
    if (!text.includes('tfjs-node') && !/^=+$/.test(text.trim())) original(...args);
  };
}
const tf = await import('@tensorflow/tfjs');
tf.enableProdMode();

let wasmLoaded = false;
/** @param {'cpu' | 'wasm'} backend */
async function useBackend(backend) {
  if (backend === 'wasm' && !wasmLoaded) {
    await import('@tensorflow/tfjs-backend-wasm');
    wasmLoaded = true;
  }
  if (tf.getBackend() !== backend) await tf.setBackend(backend);
  await tf.ready();
}
// Choose the CPU backend before anything lets tfjs pick (and initialise) another one.
await useBackend('cpu');

/** Versions and the WASM flavour (call it in the worker that hosts tfjs-wasm). */
export async function describe() {
  await useBackend('wasm');
  return {
    version: tf.version.tfjs,
    wasmSimd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    wasmMultithread: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
  };
}

/** tfjs version and WASM flavour, asked of the worker that hosts tfjs-wasm. */
export function describeFromWorker() {
  return request(import.meta.url, { op: 'call', fn: 'describe' });
}

/**
 * @param {number} N @param {number} C
 * @returns {(x: any, w1: any, b1: any, w2: any, b2: any) => any}
 */
function seBlock(N, C) {
  return (x, w1, b1, w2, b2) => {
    const z = tf.mean(x, [2, 3]);
    const h = tf.relu(tf.add(tf.matMul(z, w1, false, true), b1));
    const s = tf.sigmoid(tf.add(tf.matMul(h, w2, false, true), b2));
    return tf.mul(x, tf.reshape(s, [N, C, 1, 1]));
  };
}

/** Keeps results reachable. */
export let sink = /** @type {unknown} */ (null);

/**
 * @param {'cpu' | 'wasm'} backend
 * @param {import('./types.mjs').Pass} pass
 * @returns {import('./types.mjs').System}
 */
function tfSystem(backend, pass) {
  return {
    id: `tfjs-${backend}/${pass}`,
    family: `tfjs-${backend}`,
    pass,
    tol: 1e-4,
    async setup(c) {
      await useBackend(backend);
      const { N, C, R, params } = c;
      const x = tf.tensor4d(c.x, [N, C, c.H, c.W]);
      const dy = tf.tensor4d(c.dy, [N, C, c.H, c.W]);
      const w1 = tf.tensor2d(params.w1, [R, C]);
      const b1 = tf.tensor1d(params.b1);
      const w2 = tf.tensor2d(params.w2, [C, R]);
      const b2 = tf.tensor1d(params.b2);
      const inputs = [x, w1, b1, w2, b2];
      const f = seBlock(N, C);
      const vg = tf.valueAndGrads(f);
      /** @returns {any[]} y, then the gradients when pass is 'fb' */
      const once = () =>
        tf.tidy(() => {
          if (pass === 'fwd') return [f(x, w1, b1, w2, b2)];
          const { value, grads } = vg(inputs, dy);
          return [value, ...grads];
        });
      return {
        activate: () => useBackend(backend),
        run: () => {
          const out = once();
          sink = out;
          for (const t of out) t.dispose();
        },
        outputs: async () => {
          await useBackend(backend);
          const out = once();
          const d = out.map((t) => t.dataSync().slice());
          for (const t of out) t.dispose();
          if (pass === 'fwd') return { y: d[0] };
          return { y: d[0], dx: d[1], dw1: d[2], db1: d[3], dw2: d[4], db2: d[5] };
        },
        dispose: async () => {
          await useBackend(backend);
          for (const t of [...inputs, dy]) t.dispose();
        },
      };
    },
  };
}

/** The systems as defined here (the worker hosting tfjs-wasm sets them up from this list). */
export const rawSystems = [tfSystem('wasm', 'fwd'), tfSystem('wasm', 'fb'), tfSystem('cpu', 'fwd'), tfSystem('cpu', 'fb')];

/** @type {import('./types.mjs').System[]} */
export const systems = rawSystems.map((s) => (s.family === 'tfjs-wasm' ? isolated(import.meta.url, s) : s));
