/**
 * Optimizers with torch.optim's semantics, for parameters `{ data: Float32Array, grad: Float32Array | null }`
 * (what `SEBlock.parameters()` returns; tape `Variable`s qualify too): {@link SGD}, {@link Adam}, {@link AdamW}.
 * Their trajectories are tested against PyTorch 1.13's (test/fixtures/torch/optim.safetensors).
 * @packageDocumentation
 */
export { Optimizer, type OptimizerParameter } from './optimizer.js';
export type { OptimizerStateDict } from './state.js';
export { SGD, sgdUpdate, type SGDHyperparameters, type SGDOptions, type SGDParamGroup, type SGDState, type SGDStateDict, type SGDStateEntry } from './sgd.js';
export {
  Adam,
  AdamW,
  adamUpdate,
  type AdamHyperparameters,
  type AdamOptions,
  type AdamParamGroup,
  type AdamState,
  type AdamStateDict,
  type AdamStateEntry,
  type AdamWOptions,
} from './adam.js';
