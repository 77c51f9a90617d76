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
 * inline into a per-sample loop, and eight output rows per sweep over v (then four, then one), so
 * each element of v is loaded once per eight products (faster than four rows or one dot at a time
 * on the SE shapes; bench/README.md has the measurements).
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
  // Unrolled by 8 rows on purpose (see the doc comment): each element of v loaded once per eight products.
  for (; j + 7 < rows; j += 8) {
    // w[j + r, k] is w[p + dr] for p = vOffset + k.
    const d0 = j * cols - vOffset;
    const d1 = d0 + cols;
    const d2 = d1 + cols;
    const d3 = d2 + cols;
    const d4 = d3 + cols;
    const d5 = d4 + cols;
    const d6 = d5 + cols;
    const d7 = d6 + cols;
    let a0 = bias === null ? 0 : bias[j];
    let a1 = bias === null ? 0 : bias[j + 1];
    let a2 = bias === null ? 0 : bias[j + 2];
    let a3 = bias === null ? 0 : bias[j + 3];
    let a4 = bias === null ? 0 : bias[j + 4];
    let a5 = bias === null ? 0 : bias[j + 5];
    let a6 = bias === null ? 0 : bias[j + 6];
    let a7 = bias === null ? 0 : bias[j + 7];
    for (let p = vOffset; p < e; p++) {
      const t = v[p];
      a0 += t * w[p + d0];
      a1 += t * w[p + d1];
      a2 += t * w[p + d2];
      a3 += t * w[p + d3];
      a4 += t * w[p + d4];
      a5 += t * w[p + d5];
      a6 += t * w[p + d6];
      a7 += t * w[p + d7];
    }
    const o = outOffset + j;
    out[o] = a0;
    out[o + 1] = a1;
    out[o + 2] = a2;
    out[o + 3] = a3;
    out[o + 4] = a4;
    out[o + 5] = a5;
    out[o + 6] = a6;
    out[o + 7] = a7;
  }
  // Unrolled by 4 on purpose (the rows the 8-row sweep above left): v loaded once per four products.
  for (; j + 3 < rows; j += 4) {
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
 * respect to its input), built from contiguous rows of w, eight per sweep (then one), into the
 * float64 scratch `acc` (at least `cols` entries).
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
  // Unrolled by 8 rows on purpose, as matvec: each element of v loaded once per eight products.
  for (; j + 7 < rows; j += 8) {
    const q = vOffset + j;
    const v0 = v[q];
    const v1 = v[q + 1];
    const v2 = v[q + 2];
    const v3 = v[q + 3];
    const v4 = v[q + 4];
    const v5 = v[q + 5];
    const v6 = v[q + 6];
    const v7 = v[q + 7];
    const p0 = j * cols;
    const p1 = p0 + cols;
    const p2 = p1 + cols;
    const p3 = p2 + cols;
    const p4 = p3 + cols;
    const p5 = p4 + cols;
    const p6 = p5 + cols;
    const p7 = p6 + cols;
    for (let k = 0; k < cols; k++) {
      acc[k] += v0 * w[p0 + k] + v1 * w[p1 + k] + v2 * w[p2 + k] + v3 * w[p3 + k] + v4 * w[p4 + k] + v5 * w[p5 + k] + v6 * w[p6 + k] + v7 * w[p7 + k];
    }
  }
  for (; j < rows; j++) {
    const vj = v[vOffset + j];
    const p = j * cols;
    for (let k = 0; k < cols; k++) acc[k] += vj * w[p + k];
  }
  for (let k = 0; k < cols; k++) out[outOffset + k] = acc[k];
  return out;
}

/**
 * `out[r, k] = sum_n u[n, r] * v[n, k]` (u `[N, P]`, v `[N, Q]`, out `[P, Q]`, all row-major):
 * `u^T v`, a weight gradient summed over a batch (dW2 = dG^T H, dW1 = dA^T Z). Eight outputs of a
 * row accumulate in float64 registers over the batch (then four, then one), so a batch of one is a
 * single product per output (no float64 scratch to fill and copy, which makes the general
 * {@link matmul} slower here).
 * Aliasing: `out` must not overlap `u` or `v`. N must be at least 1.
 * @param out receives `P * Q` values
 * @param u `[N, P]`
 * @param v `[N, Q]`
 * @returns out
 */
export function batchOuterProduct(out: Float32Array, u: Float32Array, v: Float32Array, N: number, P: number, Q: number): Float32Array {
  // Each sum starts from sample 0's product (not from 0, so a single product keeps its sign of zero).
  for (let r = 0; r < P; r++) {
    const o = r * Q;
    const d0 = u[r];
    let k = 0;
    // Unrolled by 8 (then 4, then 1) on purpose: independent stores the JIT keeps in registers.
    for (; k + 7 < Q; k += 8) {
      let a0 = d0 * v[k];
      let a1 = d0 * v[k + 1];
      let a2 = d0 * v[k + 2];
      let a3 = d0 * v[k + 3];
      let a4 = d0 * v[k + 4];
      let a5 = d0 * v[k + 5];
      let a6 = d0 * v[k + 6];
      let a7 = d0 * v[k + 7];
      for (let n = 1, pu = r + P, pv = k + Q; n < N; n++, pu += P, pv += Q) {
        const d = u[pu];
        a0 += d * v[pv];
        a1 += d * v[pv + 1];
        a2 += d * v[pv + 2];
        a3 += d * v[pv + 3];
        a4 += d * v[pv + 4];
        a5 += d * v[pv + 5];
        a6 += d * v[pv + 6];
        a7 += d * v[pv + 7];
      }
      out[o + k] = a0;
      out[o + k + 1] = a1;
      out[o + k + 2] = a2;
      out[o + k + 3] = a3;
      out[o + k + 4] = a4;
      out[o + k + 5] = a5;
      out[o + k + 6] = a6;
      out[o + k + 7] = a7;
    }
    for (; k + 3 < Q; k += 4) {
      let a0 = d0 * v[k];
      let a1 = d0 * v[k + 1];
      let a2 = d0 * v[k + 2];
      let a3 = d0 * v[k + 3];
      for (let n = 1, pu = r + P, pv = k + Q; n < N; n++, pu += P, pv += Q) {
        const d = u[pu];
        a0 += d * v[pv];
        a1 += d * v[pv + 1];
        a2 += d * v[pv + 2];
        a3 += d * v[pv + 3];
      }
      out[o + k] = a0;
      out[o + k + 1] = a1;
      out[o + k + 2] = a2;
      out[o + k + 3] = a3;
    }
    for (; k < Q; k++) {
      let a0 = d0 * v[k];
      for (let n = 1, pu = r + P, pv = k + Q; n < N; n++, pu += P, pv += Q) a0 += u[pu] * v[pv];
      out[o + k] = a0;
    }
  }
  return out;
}
