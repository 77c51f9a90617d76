/** Interop with other frameworks: the safetensors file format and SE weight naming conventions. */
export * from './safetensors.js';
export * from './weights.js';
