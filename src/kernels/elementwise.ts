/**
 * Elementwise arithmetic the tape needs for losses and residual connections.
 * Aliasing: `out` may be any of the inputs (each element is read before it is written).
 */

/**
 * `out[i] = a[i] + b[i]`.
 * @returns out
 */
export function addArrays(out: Float32Array, a: Float32Array, b: Float32Array, n: number): Float32Array {
  for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
  return out;
}

/**
 * `out[i] = a[i] * b[i]`. Its backward is two more products: `da = dy * b`, `db = dy * a`.
 * @returns out
 */
export function mulArrays(out: Float32Array, a: Float32Array, b: Float32Array, n: number): Float32Array {
  for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
  return out;
}

/**
 * `out[i] = alpha * x[i]`.
 * @returns out
 */
export function scaleArray(out: Float32Array, x: Float32Array, alpha: number, n: number): Float32Array {
  for (let i = 0; i < n; i++) out[i] = alpha * x[i];
  return out;
}

/**
 * `sum_i x[i]`, accumulated in float64. Its backward fills the gradient with the upstream value.
 * @returns the sum as a JavaScript number
 */
export function sumReduce(x: Float32Array, n: number, xOffset = 0): number {
  let acc = 0;
  for (let i = 0; i < n; i++) acc += x[xOffset + i];
  return acc;
}

/** @deprecated renamed {@link addArrays} (it has no backward of its own); this alias stays for old callers. */
export const addForward = addArrays;
/** @deprecated renamed {@link mulArrays}; this alias stays for old callers. */
export const mulForward = mulArrays;
/** @deprecated renamed {@link scaleArray}; this alias stays for old callers. */
export const scaleForward = scaleArray;
