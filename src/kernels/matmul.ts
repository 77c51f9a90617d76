/**
 * Dense matrix product with transpose flags, enough for a linear layer's forward and both of
 * its backward products without copying a transposed matrix.
 */

/**
 * `out = op(A) * op(B)` where `op(A)` is `M x K` and `op(B)` is `K x N`, all row-major.
 * With `transA`, `a` holds A as `K x M` and is read transposed; likewise `transB` with `b` as
 * `N x K`. Every output is accumulated in float64 and stored as float32.
 *
 * Linear layer `y = x W^T + b` (W is `[out, in]`): `matmul(y, x, w, batch, out, in, false, true, 0, 0, 0, null, b)`;
 * its backward `dx = dy W`: `matmul(dx, dy, w, batch, in, out)`;
 * `dW = dy^T x`: `matmul(dw, dy, x, out, in, batch, true, false)`.
 *
 * Without `transB`, a row of op(B) is contiguous but a column is not; pass a float64 scratch `acc`
 * of at least N entries and each output row is built as a sum of B's rows (contiguous reads)
 * instead of N strided dot products. The result is the same up to float64 summation order.
 *
 * With `bias`, `out[i, j] = bias[j] + sum_k ...`: the bias joins the float64 sum, so a linear
 * layer is rounded to float32 once (a separate bias add would round twice and lose digits where
 * the sum cancels).
 *
 * Aliasing: `out` must not overlap `a`, `b` or `bias`.
 * @param out receives the `M x N` product (overwritten)
 * @param a left matrix, `M x K` (or `K x M` with transA)
 * @param b right matrix, `K x N` (or `N x K` with transB)
 * @param acc optional float64 scratch of at least N entries (used when !transB)
 * @param bias optional N values added to every row inside the float64 sum
 * @returns out
 */
export function matmul(
  out: Float32Array,
  a: Float32Array,
  b: Float32Array,
  M: number,
  N: number,
  K: number,
  transA = false,
  transB = false,
  outOffset = 0,
  aOffset = 0,
  bOffset = 0,
  acc: Float64Array | null = null,
  bias: Float32Array | null = null,
): Float32Array {
  // Element (i, k) of op(A) is a[aOffset + i * aRow + k * aStep]; (k, j) of op(B) is b[bOffset + k * bStep + j * bCol].
  const aRow = transA ? 1 : K;
  const aStep = transA ? M : 1;
  if (!transB && acc !== null) {
    for (let i = 0; i < M; i++) {
      if (bias === null) acc.fill(0, 0, N);
      else for (let j = 0; j < N; j++) acc[j] = bias[j];
      let pa = aOffset + i * aRow;
      let pb = bOffset;
      let k = 0;
      // Four rows of B per sweep: a quarter of the loads and stores of acc.
      for (; k + 3 < K; k += 4, pa += 4 * aStep, pb += 4 * N) {
        const a0 = a[pa];
        const a1 = a[pa + aStep];
        const a2 = a[pa + 2 * aStep];
        const a3 = a[pa + 3 * aStep];
        const p1 = pb + N;
        const p2 = pb + 2 * N;
        const p3 = pb + 3 * N;
        for (let j = 0; j < N; j++) acc[j] += a0 * b[pb + j] + a1 * b[p1 + j] + a2 * b[p2 + j] + a3 * b[p3 + j];
      }
      for (; k < K; k++, pa += aStep, pb += N) {
        const aik = a[pa];
        for (let j = 0; j < N; j++) acc[j] += aik * b[pb + j];
      }
      const oi = outOffset + i * N;
      for (let j = 0; j < N; j++) out[oi + j] = acc[j];
    }
    return out;
  }
  const bStep = transB ? 1 : N;
  const bCol = transB ? K : 1;
  if (aStep === 1 && bStep === 1) {
    // Both operands contiguous along k (a linear layer's forward): unrolled dots, four accumulators.
    for (let i = 0; i < M; i++) {
      const ai = aOffset + i * aRow;
      const oi = outOffset + i * N;
      for (let j = 0; j < N; j++) {
        const d = bOffset + j * K - ai;
        let a0 = bias === null ? 0 : bias[j];
        let a1 = 0;
        let a2 = 0;
        let a3 = 0;
        let p = ai;
        const e = ai + K;
        for (; p + 3 < e; p += 4) {
          a0 += a[p] * b[p + d];
          a1 += a[p + 1] * b[p + d + 1];
          a2 += a[p + 2] * b[p + d + 2];
          a3 += a[p + 3] * b[p + d + 3];
        }
        for (; p < e; p++) a0 += a[p] * b[p + d];
        out[oi + j] = a0 + a1 + a2 + a3;
      }
    }
    return out;
  }
  for (let i = 0; i < M; i++) {
    const ai = aOffset + i * aRow;
    const oi = outOffset + i * N;
    for (let j = 0; j < N; j++) {
      let pa = ai;
      let pb = bOffset + j * bCol;
      let sum = bias === null ? 0 : bias[j];
      for (let k = 0; k < K; k++, pa += aStep, pb += bStep) sum += a[pa] * b[pb];
      out[oi + j] = sum;
    }
  }
  return out;
}

/**
 * `out[j] = bias[j] + sum_k w[j, k] * v[k]` for `j < rows`, w row-major `[rows, cols]`: a linear
 * layer applied to one vector (PyTorch's `(out, in)` weight), accumulated in float64. The same as
 * `matmul(out, v, w, 1, rows, cols, false, true, ..., bias)`, but small enough for the JIT to
 * inline into a per-sample loop, and four output rows at a time, so each element of v is loaded
 * once per four products (measured about 2x faster than one dot at a time).
 * Aliasing: `out` must not overlap `w`, `v` or `bias`.
 * @param out receives `rows` values
 * @param w the weight, `rows x cols`
 * @param v the input vector, `cols` values from `vOffset`
 * @param bias `rows` values, or null
 * @returns out
 */
export function matvec(
  out: Float32Array,
  w: Float32Array,
  v: Float32Array,
  rows: number,
  cols: number,
  bias: Float32Array | null,
  outOffset = 0,
  vOffset = 0,
): Float32Array {
  const e = vOffset + cols;
  let j = 0;
  for (; j + 3 < rows; j += 4) {
    // w[j + r, k] is w[p + dr] for p = vOffset + k.
    const d0 = j * cols - vOffset;
    const d1 = d0 + cols;
    const d2 = d1 + cols;
    const d3 = d2 + cols;
    let a0 = bias === null ? 0 : bias[j];
    let a1 = bias === null ? 0 : bias[j + 1];
    let a2 = bias === null ? 0 : bias[j + 2];
    let a3 = bias === null ? 0 : bias[j + 3];
    for (let p = vOffset; p < e; p++) {
      const t = v[p];
      a0 += t * w[p + d0];
      a1 += t * w[p + d1];
      a2 += t * w[p + d2];
      a3 += t * w[p + d3];
    }
    out[outOffset + j] = a0;
    out[outOffset + j + 1] = a1;
    out[outOffset + j + 2] = a2;
    out[outOffset + j + 3] = a3;
  }
  for (; j < rows; j++) {
    const d = j * cols - vOffset;
    let a = bias === null ? 0 : bias[j];
    for (let p = vOffset; p < e; p++) a += v[p] * w[p + d];
    out[outOffset + j] = a;
  }
  return out;
}

/**
 * `out[k] = sum_j v[j] * w[j, k]` for `k < cols` (w^T v, the backward of {@link matvec} with
 * respect to its input), built from contiguous rows of w, four at a time, into the float64
 * scratch `acc` (at least `cols` entries).
 * Aliasing: `out` must not overlap `w` or `v`.
 * @returns out
 */
export function matvecTransposed(
  out: Float32Array,
  w: Float32Array,
  v: Float32Array,
  rows: number,
  cols: number,
  acc: Float64Array,
  outOffset = 0,
  vOffset = 0,
): Float32Array {
  acc.fill(0, 0, cols);
  let j = 0;
  for (; j + 3 < rows; j += 4) {
    const v0 = v[vOffset + j];
    const v1 = v[vOffset + j + 1];
    const v2 = v[vOffset + j + 2];
    const v3 = v[vOffset + j + 3];
    const p0 = j * cols;
    const p1 = p0 + cols;
    const p2 = p1 + cols;
    const p3 = p2 + cols;
    for (let k = 0; k < cols; k++) acc[k] += v0 * w[p0 + k] + v1 * w[p1 + k] + v2 * w[p2 + k] + v3 * w[p3 + k];
  }
  for (; j < rows; j++) {
    const vj = v[vOffset + j];
    const p = j * cols;
    for (let k = 0; k < cols; k++) acc[k] += vj * w[p + k];
  }
  for (let k = 0; k < cols; k++) out[outOffset + k] = acc[k];
  return out;
}
