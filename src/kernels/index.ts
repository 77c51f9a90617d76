/**
 * The kernels: pure functions on Float32Array with explicit sizes. Conventions, for all of them:
 * the output buffer comes first and is returned; nothing is allocated; sums are accumulated in
 * float64 and stored as float32; optional trailing `...Offset` arguments give where each array's
 * data starts, in the order the arrays appear; each file documents whether outputs may alias inputs.
 * Kernels trust their callers: sizes are checked at the public API boundary, not here.
 * @packageDocumentation
 */
export * from './activation.js';
export * from './bias.js';
export * from './channelScale.js';
export * from './elementwise.js';
export * from './erf.js';
export * from './matmul.js';
export * from './pooling.js';
