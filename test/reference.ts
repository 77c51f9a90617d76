/**
 * A re-export of se-kernels/testing's float64 reference, kept only for test files that still import
 * it from here (test/torch.se.test.ts); new tests import '../src/testing/index.js' directly.
 */
export * from '../src/testing/reference.js';
