/**
 * `se-kernels`: Squeeze-and-Excitation blocks forward and backward on hand-written Float32Array
 * kernels, with a small reverse-mode autograd tape. Everything in `se-kernels/core` is here too;
 * the difference is that `seForward`/`seBackward` here return scijs ndarrays, which chain into
 * `ndarray-ops` and other scijs code.
 */
import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';
import * as core from './core.js';
import type { SECache } from './se.js';
import type { SEOptions } from './options.js';
import type { SEParams } from './params.js';
import type { FloatTensor, PlainTensor } from './tensor.js';

export * from './core.js';
export type { NdArray } from 'ndarray';

/** Output of {@link seForward}: y (x's shape, row-major) and the cache for {@link seBackward}. */
export interface SEForwardNdResult {
  y: NdArray<Float32Array>;
  cache: SECache;
}

/** Output of {@link seBackward}: the gradients as scijs ndarrays. */
export interface SEBackwardNdResult {
  dx: NdArray<Float32Array>;
  dw1: NdArray<Float32Array>;
  db1: NdArray<Float32Array> | null;
  dw2: NdArray<Float32Array>;
  db2: NdArray<Float32Array> | null;
}

function toNdArray(t: PlainTensor): NdArray<Float32Array> {
  return ndarray(t.data, t.shape, t.stride, t.offset);
}

/**
 * Runs an SE block forward: per (sample, channel) `y = x * gate(W2 act(W1 squeeze(x) + b1) + b2)`.
 * @param x input `[N, C, ...spatial]` (or `[N, ...spatial, C]` channels-last), spatial rank 1-3;
 *   any FloatTensor, including every scijs ndarray view
 * @param params the block's weights, e.g. from `createSEParams`
 * @param options the variant: layout, squeeze, activation, gate
 * @returns y as a scijs ndarray shaped like x, and the cache for seBackward
 */
export function seForward(x: FloatTensor, params: SEParams, options?: SEOptions): SEForwardNdResult {
  const { y, cache } = core.seForward(x, params, options);
  return { y: toNdArray(y), cache };
}

/**
 * Runs an SE block backward.
 * @param dy gradient of the loss with respect to y, shaped like x (any FloatTensor)
 * @param cache from the matching seForward; see SECache for the rule on reusing buffers
 * @returns dx and the parameter gradients as scijs ndarrays (bias gradients null without biases)
 */
export function seBackward(dy: FloatTensor, cache: SECache): SEBackwardNdResult {
  const g = core.seBackward(dy, cache);
  return {
    dx: toNdArray(g.dx),
    dw1: toNdArray(g.dw1),
    db1: g.db1 === null ? null : toNdArray(g.db1),
    dw2: toNdArray(g.dw2),
    db2: g.db2 === null ? null : toNdArray(g.db2),
  };
}
