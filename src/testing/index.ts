/**
 * `se-kernels/testing`: what you need to check SE results and gradients of your own: an
 * independent float64 reference SE block, float64 central differences, and the error measure
 * (max abs error / max abs value) the library's own tests use.
 */
export * from './reference.js';
