/** Bias add over the last axis of a `[rows, cols]` matrix, and its gradient. */

/**
 * `out[r, c] = x[r, c] + bias[c]`.
 * Aliasing: `out` may be `x` (in place).
 * @param out receives `rows * cols` values
 * @param x input matrix
 * @param bias `cols` values
 * @returns out
 */
export function biasAddForward(
  out: Float32Array,
  x: Float32Array,
  bias: Float32Array,
  rows: number,
  cols: number,
  outOffset = 0,
  xOffset = 0,
): Float32Array {
  for (let r = 0; r < rows; r++) {
    const o = outOffset + r * cols;
    const i = xOffset + r * cols;
    for (let c = 0; c < cols; c++) out[o + c] = x[i + c] + bias[c];
  }
  return out;
}

/**
 * Gradient of the bias: `dbias[c] = sum_r dy[r, c]`, accumulated in float64.
 * The gradient of x is dy itself.
 * @param dbias receives `cols` sums (overwritten)
 * @param dy gradient of the output, `rows * cols` values
 * @returns dbias
 */
export function biasBackward(
  dbias: Float32Array,
  dy: Float32Array,
  rows: number,
  cols: number,
  dbiasOffset = 0,
  dyOffset = 0,
): Float32Array {
  for (let c = 0; c < cols; c++) {
    let acc = 0;
    for (let r = 0, p = dyOffset + c; r < rows; r++, p += cols) acc += dy[p];
    dbias[dbiasOffset + c] = acc;
  }
  return dbias;
}
