/** The fused SE block: the public calls and types (the internals stay in their modules). */
export { SECache } from './cache.js';
export { seBackward, type SEBackwardBuffers } from './backward.js';
export { seForward, type SEForwardBuffers } from './forward.js';
export { SEWorkspace, type SEBackwardResult, type SEForwardResult } from './workspace.js';
