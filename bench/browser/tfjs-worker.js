/*
 * TensorFlow.js with its WASM backend in a Web Worker of the bench page (a classic worker: the
 * tfjs bundles are UMD scripts). Kept off the page's thread for the reason the Node bench hosts it
 * in a worker thread: WebAssembly memory growth detaches ArrayBuffers, after which V8 slows every
 * typed-array loop of that isolate (bench/README.md, "Why tfjs-wasm runs in a worker thread").
 * It times its own calls; the page asks for batches (op 'batch') and pairs them with its own.
 *
 * Messages in: { id, op: 'init' | 'case' | 'outputs' | 'batch' | 'dispose', ... }; out: { id, ok, value | error }.
 */
/* global importScripts, tf */
importScripts('/tfjs/tf.min.js', '/tfjs-wasm/tf-backend-wasm.min.js');

let state = null;

function seBlock(N, C) {
  return (x, w1, b1, w2, b2) => {
    const z = tf.mean(x, [2, 3]);
    const h = tf.relu(tf.add(tf.matMul(z, w1, false, true), b1));
    const g = tf.add(tf.matMul(h, w2, false, true), b2);
    return tf.mul(x, tf.reshape(tf.sigmoid(g), [N, C, 1, 1]));
  };
}

function one(pass) {
  return tf.tidy(() => {
    if (pass === 'fwd') return [state.f(...state.inputs)];
    const { value, grads } = state.vg(state.inputs, state.dy);
    return [value, ...grads];
  });
}

const ops = {
  async init() {
    tf.wasm.setWasmPaths('/tfjs-wasm/');
    await tf.setBackend('wasm');
    await tf.ready();
    return {
      version: tf.version.tfjs,
      backend: tf.getBackend(),
      simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
      multithread: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
      crossOriginIsolated: self.crossOriginIsolated === true,
    };
  },
  case({ shape, R, x, dy, w1, b1, w2, b2 }) {
    ops.dispose();
    const [N, C, H, W] = shape;
    const inputs = [tf.tensor4d(x, [N, C, H, W]), tf.tensor2d(w1, [R, C]), tf.tensor1d(b1), tf.tensor2d(w2, [C, R]), tf.tensor1d(b2)];
    const f = seBlock(N, C);
    state = { inputs, dy: tf.tensor4d(dy, [N, C, H, W]), f, vg: tf.valueAndGrads(f) };
    return true;
  },
  outputs({ pass }) {
    const ts = one(pass);
    const d = ts.map((t) => t.dataSync().slice());
    for (const t of ts) t.dispose();
    return pass === 'fwd' ? { y: d[0] } : { y: d[0], dx: d[1], dw1: d[2], db1: d[3], dw2: d[4], db2: d[5] };
  },
  // At least k calls and ms milliseconds, each call timed; results disposed, not read back (as in the Node bench).
  batch({ pass, k, ms }) {
    const times = [];
    const start = performance.now();
    while (times.length < k || performance.now() - start < ms) {
      const t = performance.now();
      const out = one(pass);
      for (const o of out) o.dispose();
      times.push(performance.now() - t);
    }
    return times;
  },
  dispose() {
    if (state) for (const t of [...state.inputs, state.dy]) t.dispose();
    state = null;
    return true;
  },
};

self.onmessage = async (e) => {
  const { id, op } = e.data;
  try {
    self.postMessage({ id, ok: true, value: await ops[op](e.data) });
  } catch (err) {
    self.postMessage({ id, ok: false, error: String(err && err.stack ? err.stack : err) });
  }
};
