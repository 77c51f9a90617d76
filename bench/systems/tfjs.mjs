// @ts-check
/**
 * TensorFlow.js 4.22 on its CPU and WASM backends, the block as tf ops, per block:
 *   z = mean(x, [2, 3]);  h = relu(z W1^T + b1);  s = gate(h W2^T + b2);  y = x * reshape(s, [N, C, 1, 1])
 * with gate = sigmoid, or hardSigmoid as relu6(g + 3) / 6 (tfjs has no hardSigmoid op; this is
 * PyTorch's clamp((g + 3) / 6, 0, 1)). Backward: tf.valueAndGrads of that function w.r.t.
 * (x, w1, b1, w2, b2) with dy as the upstream gradient (it runs the forward too, so it is the
 * forward + backward time). On a workload one call runs every block's ops (forward) or every
 * block's valueAndGrads, block after block (tfjs has no gradient call for several outputs without
 * extra ops that would cost it passes).
 *
 * Inputs are uploaded once per backend and case; the timed call runs the ops and disposes the results.
 * Outputs are not read back into JS in the timed call (the ops are synchronous on both backends),
 * which favours tfjs a little. `@tensorflow/tfjs` is imported (not only tfjs-core): its Node build
 * registers the gradients. tf.enableProdMode() is on.
 *
 * tfjs-cpu runs in the main thread. tfjs-wasm runs in a worker thread of the same process
 * (lib/isolate.mjs): its WASM memory growth detaches ArrayBuffers, which would slow down every
 * typed-array loop of the isolate it runs in. It runs with SIMD and one thread (its threaded build
 * does not start under Node). tfjs-cpu is very slow on SE-ResNet-50 at batch 8 (seconds per call):
 * quick mode skips it there.
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
 * @param {number} N @param {number} C @param {'sigmoid' | 'hardSigmoid'} gate
 * @returns {(x: any, w1: any, b1: any, w2: any, b2: any) => any}
 */
function seBlock(N, C, gate) {
  return (x, w1, b1, w2, b2) => {
    const z = tf.mean(x, [2, 3]);
    const h = tf.relu(tf.add(tf.matMul(z, w1, false, true), b1));
    const g = tf.add(tf.matMul(h, w2, false, true), b2);
    const s = gate === 'hardSigmoid' ? tf.mul(tf.relu6(tf.add(g, 3)), 1 / 6) : tf.sigmoid(g);
    return tf.mul(x, tf.reshape(s, [N, C, 1, 1]));
  };
}

/** Keeps results reachable. */
export let sink = /** @type {unknown} */ (null);

/**
 * A case's inputs uploaded to a backend, per block, shared by that backend's forward and
 * forward + backward instances (disposed with the last of them).
 * @type {Map<string, { blocks: { x: any, dy: any, inputs: any[], f: (x: any, w1: any, b1: any, w2: any, b2: any) => any, vg: any }[], users: number }>}
 */
const uploads = new Map();

/** @param {'cpu' | 'wasm'} backend @param {import('../lib/cases.mjs').Case} c (call with the backend active) */
function uploaded(backend, c) {
  const key = `${backend}/${c.id}`;
  let u = uploads.get(key);
  if (!u) {
    const blocks = c.blocks.map((b) => {
      const { N, C, R, params } = b;
      const x = tf.tensor4d(b.x, [N, C, b.H, b.W]);
      const dy = tf.tensor4d(b.dy, [N, C, b.H, b.W]);
      const w1 = tf.tensor2d(params.w1, [R, C]);
      const b1 = tf.tensor1d(params.b1);
      const w2 = tf.tensor2d(params.w2, [C, R]);
      const b2 = tf.tensor1d(params.b2);
      const f = seBlock(N, C, c.gate);
      return { x, dy, inputs: [x, w1, b1, w2, b2], f, vg: tf.valueAndGrads(f) };
    });
    u = { blocks, users: 0 };
    uploads.set(key, u);
  }
  u.users++;
  return u.blocks;
}

/** @param {'cpu' | 'wasm'} backend @param {import('../lib/cases.mjs').Case} c (call with the backend active) */
function release(backend, c) {
  const key = `${backend}/${c.id}`;
  const u = uploads.get(key);
  if (u && --u.users === 0) {
    for (const b of u.blocks) for (const t of [...b.inputs, b.dy]) t.dispose();
    uploads.delete(key);
  }
}

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
    skip: (c, mode) =>
      backend === 'cpu' && c.id === 'seresnet50' && mode === 'quick' ? 'one call takes 5-30 s here, so quick mode leaves it out (full mode times it)' : null,
    fewerRounds: (c) => (backend === 'cpu' && c.id === 'seresnet50' ? { rounds: 2, why: 'one call takes 5-30 s here' } : null),
    async setup(c) {
      await useBackend(backend);
      const blocks = uploaded(backend, c);
      /** @param {(typeof blocks)[number]} b @returns {any[]} y, then the gradients when pass is 'fb' */
      const one = (b) =>
        tf.tidy(() => {
          if (pass === 'fwd') {
            const [x, w1, b1, w2, b2] = b.inputs;
            return [b.f(x, w1, b1, w2, b2)];
          }
          const { value, grads } = b.vg(b.inputs, b.dy);
          return [value, ...grads];
        });
      return {
        activate: () => useBackend(backend),
        run: () => {
          // Every block's results are disposed after the whole call, as a network keeps them.
          const out = blocks.map(one);
          sink = out;
          for (const ts of out) for (const t of ts) t.dispose();
        },
        outputs: async () => {
          await useBackend(backend);
          // Block by block (read back and disposed before the next): a workload's results are large.
          return blocks.map((b) => {
            const ts = one(b);
            const d = ts.map((t) => t.dataSync().slice());
            for (const t of ts) t.dispose();
            if (pass === 'fwd') return { y: d[0] };
            return { y: d[0], dx: d[1], dw1: d[2], db1: d[3], dw2: d[4], db2: d[5] };
          });
        },
        dispose: async () => {
          await useBackend(backend);
          release(backend, c);
        },
      };
    },
  };
}

/** The systems as defined here (the worker hosting tfjs-wasm sets them up from this list). */
export const rawSystems = [tfSystem('wasm', 'fwd'), tfSystem('wasm', 'fb'), tfSystem('cpu', 'fwd'), tfSystem('cpu', 'fb')];

/** @type {import('./types.mjs').System[]} */
export const systems = rawSystems.map((s) => (s.family === 'tfjs-wasm' ? isolated(import.meta.url, s) : s));
