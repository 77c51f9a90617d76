// @ts-check
/**
 * onnxruntime-node (CPU execution provider), forward only: the ONNX model of lib/onnx-model.mjs
 * (a workload's blocks side by side in one graph), one session per case and thread count,
 * intraOpNumThreads 1 or 2 (interOpNumThreads 1, sequential execution, all graph optimisations).
 * The input tensors are created once; the timed call is `await session.run({ x0, x1, ... })`,
 * which includes the binding's setImmediate hop and the copy of every y into a new JS
 * Float32Array (as se-kernels allocates y per call too).
 */
import ort from 'onnxruntime-node';
import { seOnnxModel } from '../lib/onnx-model.mjs';

export const version = ort.env.versions?.node ?? 'unknown';

/** Keeps results reachable. */
export let sink = /** @type {unknown} */ (null);

/**
 * @param {number} threads
 * @returns {import('./types.mjs').System}
 */
function ortSystem(threads) {
  return {
    id: `ort-${threads}t/fwd`,
    family: `ORT ${threads}T`,
    pass: 'fwd',
    tol: 1e-4,
    async setup(c) {
      const session = await ort.InferenceSession.create(seOnnxModel(c), {
        executionProviders: ['cpu'],
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      /** @type {Record<string, any>} */
      const feeds = {};
      c.blocks.forEach((b, i) => {
        feeds[`x${i}`] = new ort.Tensor('float32', b.x, b.shape);
      });
      return {
        async: true,
        run: async () => {
          sink = await session.run(feeds);
        },
        outputs: async () => {
          const out = await session.run(feeds);
          return c.blocks.map((_, i) => ({ y: /** @type {Float32Array} */ (out[`y${i}`].data) }));
        },
        dispose: () => session.release(),
      };
    },
  };
}

/** @type {import('./types.mjs').System[]} */
export const systems = [ortSystem(1), ortSystem(2)];
