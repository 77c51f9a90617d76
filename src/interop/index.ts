/**
 * Interop with other frameworks: the safetensors file format (every dtype read, F32/F16/BF16/F64,
 * integers and BOOL written), SE weight naming conventions, and finding the SE blocks of a state dict.
 */
export * from './safetensors/index.js';
export * from './weights.js';
