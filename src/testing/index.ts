/**
 * `se-kernels/testing`: what you need to property-test SE code and gradients of your own:
 * `gradCheck` (tape gradients against float64 central differences, worst element reported),
 * fast-check arbitraries for tensors and SE configurations (needs `fast-check`), an independent
 * float64 reference SE block, the error measure the library's own tests use, and seeded
 * reproducible data (`seededUniform`, `uniformFloat32`, `uniformSEParams`, `seededCase`).
 * @module se-kernels/testing
 */
export * from './reference.js';
export * from './gradcheck.js';
export * from './arbitraries.js';
export * from './seeded.js';
