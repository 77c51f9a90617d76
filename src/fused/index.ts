/** The fused SE block: the public calls and types (the internals stay in their modules; a workspace's state in workspaceState.ts, a cache's in cache.ts). */
export { SECache } from './cache.js';
export { seBackward, type SEBackwardBuffers } from './backward.js';
export { seForward, type SEForwardBuffers } from './forward.js';
export { SEWorkspace, type SEBackwardResult, type SEForwardResult } from './workspace.js';

// The steps `se-kernels/threads` drives (not part of the public API): the same begin -> sample
// loops over a range -> end sequence `seForward` / `seBackward` run, so the pool holds no copy of
// it. @internal
export { beginBackward, endBackward, newBackwardResult } from './backward.js';
export { beginForward, endForward } from './forward.js';
export { SEFrame, SEScratch } from './frame.js';
export { backwardSamples, forwardSamples } from './samples.js';
export { cacheStateOf } from './cache.js';
export {
  acquireWorkspace,
  discardBuffers,
  isShared,
  markShared,
  noteXShare,
  releaseWorkspace,
  shareCopy,
  type WorkspaceState,
} from './workspaceState.js';
