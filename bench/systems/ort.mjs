// @ts-check
/**
 * onnxruntime-node (CPU execution provider), forward only: the ONNX model of lib/onnx-model.mjs,
 * one session per case and thread count, intraOpNumThreads 1 or 2 (interOpNumThreads 1,
 * sequential execution, all graph optimisations). The input tensor is created once; the timed
 * call is `await session.run({ x })`, which includes the binding's setImmediate hop and the copy
 * of y into a new JS Float32Array (as se-kernels allocates y per call too).
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
      const feeds = { x: new ort.Tensor('float32', c.x, c.shape) };
      return {
        async: true,
        run: async () => {
          sink = await session.run(feeds);
        },
        outputs: async () => {
          const out = await session.run(feeds);
          return { y: /** @type {Float32Array} */ (out.y.data) };
        },
        dispose: () => session.release(),
      };
    },
  };
}

/** @type {import('./types.mjs').System[]} */
export const systems = [ortSystem(1), ortSystem(2)];
