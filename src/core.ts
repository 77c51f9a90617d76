/**
 * `se-kernels/core`: the whole library without the scijs `ndarray` dependency. scijs ndarray
 * builds its view classes with `new Function`, which a strict Content-Security-Policy blocks;
 * this entry never loads it. `seForward`/`seBackward` here return plain dense tensors
 * `{ data, shape, stride, offset }`; the main `se-kernels` entry returns scijs ndarrays instead.
 * @module se-kernels/core
 */
export { SEError, SEOptionError, SEShapeError, SEStateError, SETypeError, type SEErrorOptions } from './errors.js';
export type { CheckedTensor, FloatTensor, PlainTensor } from './tensor.js';
export {
  DEFAULT_SE_OPTIONS,
  SE_ACTIVATIONS,
  SE_GATES,
  SE_LAYOUTS,
  SE_SQUEEZES,
  type SEActivation,
  type SEGate,
  type SELayout,
  type ResolvedSEOptions,
  type SEOptions,
  type SESqueeze,
} from './options.js';
export {
  createSEParams,
  makeDivisible,
  seHiddenWidth,
  type CreateSEParamsOptions,
  type SEInit,
  type SEParams,
} from './params.js';
export { SECache, seBackward, seForward, SEWorkspace, type SEBackwardResult, type SEForwardResult, type SEForwardBuffers, type SEBackwardBuffers } from './fused/index.js';
export * from './autograd/index.js';
export { SEBlock, type SEBlockBackwardOptions, type SEBlockBehaviour, type SEBlockLoadOptions, type SEBlockLoadResult, type SEBlockOptions, type SEGradients } from './block.js';
export * from './interop/index.js';
export { CHECKPOINT_VERSION, loadCheckpoint, saveCheckpoint, type Checkpoint, type CheckpointOptimizer, type SaveCheckpointOptions } from './checkpoint.js';
export * from './cost/index.js';
export * from './optim/index.js';
export * as kernels from './kernels/index.js';
