/**
 * `se-kernels`: Squeeze-and-Excitation blocks forward and backward on hand-written Float32Array
 * kernels, with a small reverse-mode autograd tape. Everything in `se-kernels/core` is here too;
 * the difference is that `seForward`/`seBackward` here return scijs ndarrays, which chain into
 * `ndarray-ops` and other scijs code.
 * @module se-kernels
 */
import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';
import { SEBlock as CoreSEBlock, type SEBlockBackwardOptions } from './block.js';
import { loadCheckpointAs, type Checkpoint } from './checkpoint.js';
import * as core from './core.js';
import { SECache, SEWorkspace, type SEBackwardBuffers, type SEForwardBuffers } from './fused/index.js';
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

/** Wrappers made for a workspace's reused result tensors, so steady-state calls allocate nothing. */
const wrappers = new WeakMap<PlainTensor, NdArray<Float32Array>>();
const ndResults = new WeakMap<SEWorkspace, { forward: SEForwardNdResult; backward: SEBackwardNdResult }>();

function toNdArray(t: PlainTensor, reuse: boolean): NdArray<Float32Array> {
  if (!reuse) return ndarray(t.data, t.shape, t.stride, t.offset);
  const w = wrappers.get(t);
  let same = w !== undefined && w.data === t.data && w.shape.length === t.shape.length;
  for (let k = 0; same && w !== undefined && k < t.shape.length; k++) same = w.shape[k] === t.shape[k];
  if (same && w !== undefined) return w;
  const fresh = ndarray(t.data, t.shape, t.stride, t.offset);
  wrappers.set(t, fresh);
  return fresh;
}

function resultsFor(ws: SEWorkspace | undefined) {
  if (ws === undefined || !(ws instanceof SEWorkspace)) return null;
  let r = ndResults.get(ws);
  if (r === undefined) {
    r = {
      forward: { y: ndarray(new Float32Array(0)), cache: new SECache() },
      backward: { dx: ndarray(new Float32Array(0)), dw1: ndarray(new Float32Array(0)), db1: null, dw2: ndarray(new Float32Array(0)), db2: null },
    };
    ndResults.set(ws, r);
  }
  return r;
}

/**
 * {@link CoreSEBlock} whose `forward` and `backward` return scijs ndarrays (the `se-kernels/core`
 * entry's returns plain tensors).
 */
export class SEBlock extends CoreSEBlock {
  /** The block's forward (see the core `SEBlock.forward`); y as a scijs ndarray. */
  override forward(x: FloatTensor): NdArray<Float32Array> {
    return toNdArray(super.forward(x), false);
  }
  /** The backward of the latest forward (see the core `SEBlock.backward`); dx as a scijs ndarray. */
  override backward(dy: FloatTensor, options?: SEBlockBackwardOptions): NdArray<Float32Array> {
    return toNdArray(super.backward(dy, options), false);
  }
  /** The gate values s `[N, C]` of the latest forward (see the core `SEBlock.excitations`), as a scijs ndarray. */
  override excitations(): NdArray<Float32Array> {
    return toNdArray(super.excitations(), false);
  }
}

/**
 * Reads a checkpoint (see the core `loadCheckpoint`); the block is this entry's {@link SEBlock}.
 * @param bytes the file's bytes, from `saveCheckpoint`
 */
export function loadCheckpoint(bytes: Uint8Array): Checkpoint<SEBlock> {
  return loadCheckpointAs('loadCheckpoint', SEBlock, bytes);
}

/**
 * Runs an SE block forward: per (sample, channel) `y = x * gate(W2 act(W1 squeeze(x) + b1) + b2)`.
 * @param x input `[N, C, ...spatial]` (or `[N, ...spatial, C]` channels-last), spatial rank 1-3;
 *   any FloatTensor, including every scijs ndarray view
 * @param params the block's weights, e.g. from `createSEParams`
 * @param options the variant: layout, squeeze, activation, gate
 * @param buffers optional output array `y` and/or a reusable `SEWorkspace` (allocation-free calls;
 *   the results then live in the workspace until its next call)
 * @returns y as a scijs ndarray shaped like x, and the cache for seBackward
 */
export function seForward(x: FloatTensor, params: SEParams, options?: SEOptions, buffers?: SEForwardBuffers): SEForwardNdResult {
  const r = core.seForward(x, params, options, buffers);
  const reuse = resultsFor(buffers?.workspace);
  if (reuse === null) return { y: toNdArray(r.y, false), cache: r.cache };
  reuse.forward.y = toNdArray(r.y, true);
  reuse.forward.cache = r.cache;
  return reuse.forward;
}

/**
 * Runs an SE block backward.
 * @param dy gradient of the loss with respect to y, shaped like x (any FloatTensor)
 * @param cache from the matching seForward; see SECache for the rule on reusing buffers
 * @param buffers optional output arrays (`dx` may be dy's own buffer) and/or a reusable `SEWorkspace`
 * @returns dx and the parameter gradients as scijs ndarrays (bias gradients null without biases)
 */
export function seBackward(dy: FloatTensor, cache: SECache, buffers?: SEBackwardBuffers): SEBackwardNdResult {
  const g = core.seBackward(dy, cache, buffers);
  const reuse = resultsFor(buffers?.workspace);
  if (reuse === null) {
    return {
      dx: toNdArray(g.dx, false),
      dw1: toNdArray(g.dw1, false),
      db1: g.db1 === null ? null : toNdArray(g.db1, false),
      dw2: toNdArray(g.dw2, false),
      db2: g.db2 === null ? null : toNdArray(g.db2, false),
    };
  }
  const b = reuse.backward;
  b.dx = toNdArray(g.dx, true);
  b.dw1 = toNdArray(g.dw1, true);
  b.db1 = g.db1 === null ? null : toNdArray(g.db1, true);
  b.dw2 = toNdArray(g.dw2, true);
  b.db2 = g.db2 === null ? null : toNdArray(g.db2, true);
  return b;
}
