// @ts-check
/**
 * The JS floors: the fastest plain scalar JS loops, into buffers allocated once, no validation.
 *
 * 'JS floor (passes)': the passes over the data an SE block makes, and nothing else. Per sample (so
 *   the sample's slice is still in cache for its second pass):
 *     forward:  one sum pass over x (z = mean), one scale pass y = s * x;
 *     backward: one dot pass ds = sum dy * x, one axpy pass dx = s * dy + shift.
 *   The per-channel scale s and shift (dz / S) are taken from the reference instead of being
 *   computed (the SE math it leaves out), so its y and dx are the block's real outputs and are
 *   checked like every other system's. A lower bound, not a program anyone can run.
 *
 * 'JS floor (block)': the whole SE block as the best plain scalar loops, the honest floor. Per sample:
 *     forward:  sum pass (z), the reducing layer a = W1 z + b1 and relu, the expanding layer
 *               g = W2 h + b2 and the gate (sigmoid or hardSigmoid), scale pass y = s * x;
 *     backward: dot pass ds = sum dy * x, the gate's and relu's derivatives, the two small layers'
 *               backward dh = W2^T dg and dz = W1^T da, axpy pass dx = s * dy + dz / S;
 *               then the weight gradients for the whole batch: dW1 = dA^T Z, dW2 = dG^T H, bias sums.
 *   The small layers sweep eight weight rows at a time with eight accumulators (a [C, R] product
 *   is N * C * R multiply-adds: at 7x7 as much work as the passes; eight rows measured 10-40 %
 *   faster than four on the standard shapes, and the weight gradients as batch products with
 *   accumulators in registers 2-4x faster than per-sample outer products added into memory). Small per-sample vectors are
 *   Float64Arrays (every sum in float64, as the SPEC asks); y, dx and the weight gradients are
 *   float32, like the library's. All its outputs are checked against the float64 reference.
 *
 * The big passes are small functions called per sample, loops unrolled by 8, reductions with 4
 * independent accumulators: the fastest of the variants tried on this machine (1/4/8/16-way
 * unrolling, one or four accumulators, one function for all passes or one per pass). On a
 * workload, one call runs every block (forward), or every forward then every backward in reverse
 * order. The diagnostic 'JS floor (block)+alloc' allocates its outputs per call, as the plain
 * SPEC calls do.
 */

// ------------------------------------------------------------------------------ the big passes

/**
 * Sum pass over one sample's C rows of S values starting at x[off]: z[zo + c] = mean of row c.
 * @param {Float32Array} x @param {Float32Array} z @param {number} zo @param {number} off
 * @param {number} C @param {number} S
 */
export function sumPass(x, z, zo, off, C, S) {
  const inv = 1 / S;
  for (let c = 0; c < C; c++) {
    const p = off + c * S;
    const e = p + S;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    let i = p;
    for (; i + 7 < e; i += 8) {
      a0 += x[i] + x[i + 4];
      a1 += x[i + 1] + x[i + 5];
      a2 += x[i + 2] + x[i + 6];
      a3 += x[i + 3] + x[i + 7];
    }
    for (; i < e; i++) a0 += x[i];
    z[zo + c] = (a0 + a1 + a2 + a3) * inv;
  }
}

/**
 * Scale pass over one sample: y[row c] = k[ko + c] * x[row c].
 * @param {Float32Array} x @param {Float32Array} y @param {Float32Array} k
 * @param {number} ko @param {number} off @param {number} C @param {number} S
 */
export function scalePass(x, y, k, ko, off, C, S) {
  for (let c = 0; c < C; c++) {
    const m = k[ko + c];
    const p = off + c * S;
    const e = p + S;
    let i = p;
    for (; i + 7 < e; i += 8) {
      y[i] = m * x[i];
      y[i + 1] = m * x[i + 1];
      y[i + 2] = m * x[i + 2];
      y[i + 3] = m * x[i + 3];
      y[i + 4] = m * x[i + 4];
      y[i + 5] = m * x[i + 5];
      y[i + 6] = m * x[i + 6];
      y[i + 7] = m * x[i + 7];
    }
    for (; i < e; i++) y[i] = m * x[i];
  }
}

/**
 * Axpy pass over one sample: y[row c] = k[ko + c] * x[row c] + b[ko + c].
 * @param {Float32Array} x @param {Float32Array} y @param {Float32Array} k @param {Float32Array} b
 * @param {number} ko @param {number} off @param {number} C @param {number} S
 */
export function axpyPass(x, y, k, b, ko, off, C, S) {
  for (let c = 0; c < C; c++) {
    const m = k[ko + c];
    const a = b[ko + c];
    const p = off + c * S;
    const e = p + S;
    let i = p;
    for (; i + 7 < e; i += 8) {
      y[i] = m * x[i] + a;
      y[i + 1] = m * x[i + 1] + a;
      y[i + 2] = m * x[i + 2] + a;
      y[i + 3] = m * x[i + 3] + a;
      y[i + 4] = m * x[i + 4] + a;
      y[i + 5] = m * x[i + 5] + a;
      y[i + 6] = m * x[i + 6] + a;
      y[i + 7] = m * x[i + 7] + a;
    }
    for (; i < e; i++) y[i] = m * x[i] + a;
  }
}

/**
 * Dot pass over one sample: d[dO + c] = sum over row c of u * v.
 * @param {Float32Array} u @param {Float32Array} v @param {Float32Array} d @param {number} dO
 * @param {number} off @param {number} C @param {number} S
 */
export function dotPass(u, v, d, dO, off, C, S) {
  for (let c = 0; c < C; c++) {
    const p = off + c * S;
    const e = p + S;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    let i = p;
    for (; i + 7 < e; i += 8) {
      a0 += u[i] * v[i] + u[i + 4] * v[i + 4];
      a1 += u[i + 1] * v[i + 1] + u[i + 5] * v[i + 5];
      a2 += u[i + 2] * v[i + 2] + u[i + 6] * v[i + 6];
      a3 += u[i + 3] * v[i + 3] + u[i + 7] * v[i + 7];
    }
    for (; i < e; i++) a0 += u[i] * v[i];
    d[dO + c] = a0 + a1 + a2 + a3;
  }
}

/**
 * Forward passes, per sample: sum (z = mean, kept but unused), then y = s * x.
 * @param {Float32Array} x @param {Float32Array} y @param {Float32Array} z @param {Float32Array} s
 * @param {number} N @param {number} C @param {number} S
 */
export function floorForward(x, y, z, s, N, C, S) {
  for (let n = 0; n < N; n++) {
    sumPass(x, z, n * C, n * C * S, C, S);
    scalePass(x, y, s, n * C, n * C * S, C, S);
  }
}

/**
 * Backward passes, per sample: ds = sum dy * x, then dx = s * dy + shift.
 * @param {Float32Array} x @param {Float32Array} dy @param {Float32Array} dx @param {Float32Array} ds
 * @param {Float32Array} s @param {Float32Array} shift
 * @param {number} N @param {number} C @param {number} S
 */
export function floorBackward(x, dy, dx, ds, s, shift, N, C, S) {
  for (let n = 0; n < N; n++) {
    dotPass(dy, x, ds, n * C, n * C * S, C, S);
    axpyPass(dy, dx, s, shift, n * C, n * C * S, C, S);
  }
}

// ------------------------------------------------------------------ the block floor's loops
// The same pass loops over float64 per-sample vectors (own functions, so each stays monomorphic),
// and the small layers.

/**
 * Sum pass into a float64 vector: z[zo + c] = mean of row c of the sample at x[off].
 * @param {Float32Array} x @param {Float64Array} z @param {number} zo @param {number} off
 * @param {number} C @param {number} S
 */
export function meanRows(x, z, zo, off, C, S) {
  const inv = 1 / S;
  for (let c = 0; c < C; c++) {
    const p = off + c * S;
    const e = p + S;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    let i = p;
    for (; i + 7 < e; i += 8) {
      a0 += x[i] + x[i + 4];
      a1 += x[i + 1] + x[i + 5];
      a2 += x[i + 2] + x[i + 6];
      a3 += x[i + 3] + x[i + 7];
    }
    for (; i < e; i++) a0 += x[i];
    z[zo + c] = (a0 + a1 + a2 + a3) * inv;
  }
}

/**
 * The reducing layer and relu for one sample: a[ao + j] = b1[j] + sum_c w1[j, c] z[zo + c],
 * h = max(a, 0); eight rows of w1 per sweep over z (then four, then one).
 * @param {Float32Array} w1 [R, C] @param {Float32Array} b1 @param {Float64Array} z @param {number} zo
 * @param {Float64Array} a @param {Float64Array} h @param {number} ao @param {number} C @param {number} R
 */
export function reduceLayer(w1, b1, z, zo, a, h, ao, C, R) {
  let j = 0;
  for (; j + 7 < R; j += 8) {
    const r0 = j * C, r1 = r0 + C, r2 = r1 + C, r3 = r2 + C, r4 = r3 + C, r5 = r4 + C, r6 = r5 + C, r7 = r6 + C;
    let a0 = b1[j], a1 = b1[j + 1], a2 = b1[j + 2], a3 = b1[j + 3], a4 = b1[j + 4], a5 = b1[j + 5], a6 = b1[j + 6], a7 = b1[j + 7];
    for (let c = 0; c < C; c++) {
      const v = z[zo + c];
      a0 += w1[r0 + c] * v;
      a1 += w1[r1 + c] * v;
      a2 += w1[r2 + c] * v;
      a3 += w1[r3 + c] * v;
      a4 += w1[r4 + c] * v;
      a5 += w1[r5 + c] * v;
      a6 += w1[r6 + c] * v;
      a7 += w1[r7 + c] * v;
    }
    const o = ao + j;
    a[o] = a0; a[o + 1] = a1; a[o + 2] = a2; a[o + 3] = a3; a[o + 4] = a4; a[o + 5] = a5; a[o + 6] = a6; a[o + 7] = a7;
  }
  for (; j + 3 < R; j += 4) {
    const r0 = j * C, r1 = r0 + C, r2 = r1 + C, r3 = r2 + C;
    let a0 = b1[j], a1 = b1[j + 1], a2 = b1[j + 2], a3 = b1[j + 3];
    for (let c = 0; c < C; c++) {
      const v = z[zo + c];
      a0 += w1[r0 + c] * v;
      a1 += w1[r1 + c] * v;
      a2 += w1[r2 + c] * v;
      a3 += w1[r3 + c] * v;
    }
    const o = ao + j;
    a[o] = a0; a[o + 1] = a1; a[o + 2] = a2; a[o + 3] = a3;
  }
  for (; j < R; j++) {
    const r0 = j * C;
    let a0 = b1[j];
    for (let c = 0; c < C; c++) a0 += w1[r0 + c] * z[zo + c];
    a[ao + j] = a0;
  }
  for (let k = ao; k < ao + R; k++) {
    const v = a[k];
    h[k] = v > 0 ? v : 0;
  }
}

/**
 * The expanding layer and the gate for one sample: g[go + c] = b2[c] + sum_j w2[c, j] h[ho + j],
 * s = sigmoid(g) or hardSigmoid(g) = clamp((g + 3) / 6, 0, 1); eight rows of w2 per sweep over h.
 * @param {Float32Array} w2 [C, R] @param {Float32Array} b2 @param {Float64Array} h @param {number} ho
 * @param {Float64Array} g @param {Float64Array} s @param {number} go @param {number} C @param {number} R
 * @param {boolean} hard hardSigmoid instead of sigmoid
 */
export function expandLayer(w2, b2, h, ho, g, s, go, C, R, hard) {
  let c = 0;
  for (; c + 7 < C; c += 8) {
    const r0 = c * R, r1 = r0 + R, r2 = r1 + R, r3 = r2 + R, r4 = r3 + R, r5 = r4 + R, r6 = r5 + R, r7 = r6 + R;
    let g0 = b2[c], g1 = b2[c + 1], g2 = b2[c + 2], g3 = b2[c + 3], g4 = b2[c + 4], g5 = b2[c + 5], g6 = b2[c + 6], g7 = b2[c + 7];
    for (let j = 0; j < R; j++) {
      const v = h[ho + j];
      g0 += w2[r0 + j] * v;
      g1 += w2[r1 + j] * v;
      g2 += w2[r2 + j] * v;
      g3 += w2[r3 + j] * v;
      g4 += w2[r4 + j] * v;
      g5 += w2[r5 + j] * v;
      g6 += w2[r6 + j] * v;
      g7 += w2[r7 + j] * v;
    }
    const o = go + c;
    g[o] = g0; g[o + 1] = g1; g[o + 2] = g2; g[o + 3] = g3; g[o + 4] = g4; g[o + 5] = g5; g[o + 6] = g6; g[o + 7] = g7;
  }
  for (; c < C; c++) {
    const r0 = c * R;
    let g0 = b2[c];
    for (let j = 0; j < R; j++) g0 += w2[r0 + j] * h[ho + j];
    g[go + c] = g0;
  }
  if (hard) {
    for (let k = go; k < go + C; k++) {
      const v = (g[k] + 3) / 6;
      s[k] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  } else {
    for (let k = go; k < go + C; k++) s[k] = 1 / (1 + Math.exp(-g[k]));
  }
}

/**
 * Scale pass by a float64 per-channel vector: y[row c] = s[so + c] * x[row c].
 * @param {Float32Array} x @param {Float32Array} y @param {Float64Array} s
 * @param {number} so @param {number} off @param {number} C @param {number} S
 */
export function scaleRows(x, y, s, so, off, C, S) {
  for (let c = 0; c < C; c++) {
    const m = s[so + c];
    const p = off + c * S;
    const e = p + S;
    let i = p;
    for (; i + 7 < e; i += 8) {
      y[i] = m * x[i];
      y[i + 1] = m * x[i + 1];
      y[i + 2] = m * x[i + 2];
      y[i + 3] = m * x[i + 3];
      y[i + 4] = m * x[i + 4];
      y[i + 5] = m * x[i + 5];
      y[i + 6] = m * x[i + 6];
      y[i + 7] = m * x[i + 7];
    }
    for (; i < e; i++) y[i] = m * x[i];
  }
}

/**
 * Dot pass and the gate's derivative for one sample: ds_c = sum over row c of dy * x, then
 * dg[go + c] = ds_c * s (1 - s) (sigmoid) or ds_c / 6 where -3 < g < 3, else 0 (hardSigmoid).
 * @param {Float32Array} dy @param {Float32Array} x @param {Float64Array} g @param {Float64Array} s
 * @param {Float64Array} dg @param {number} go @param {number} off @param {number} C @param {number} S
 * @param {boolean} hard
 */
export function gateGradRows(dy, x, g, s, dg, go, off, C, S, hard) {
  for (let c = 0; c < C; c++) {
    const p = off + c * S;
    const e = p + S;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    let i = p;
    for (; i + 7 < e; i += 8) {
      a0 += dy[i] * x[i] + dy[i + 4] * x[i + 4];
      a1 += dy[i + 1] * x[i + 1] + dy[i + 5] * x[i + 5];
      a2 += dy[i + 2] * x[i + 2] + dy[i + 6] * x[i + 6];
      a3 += dy[i + 3] * x[i + 3] + dy[i + 7] * x[i + 7];
    }
    for (; i < e; i++) a0 += dy[i] * x[i];
    const ds = a0 + a1 + a2 + a3;
    const k = go + c;
    if (hard) {
      const v = g[k];
      dg[k] = v > -3 && v < 3 ? ds / 6 : 0;
    } else {
      const sk = s[k];
      dg[k] = ds * sk * (1 - sk);
    }
  }
}

/**
 * The expanding layer's backward and relu's derivative for one sample: dh_j = sum_c dg[go + c] w2[c, j]
 * (eight rows of w2 per sweep, added into dh), then da[ao + j] = a > 0 ? dh_j : 0.
 * @param {Float32Array} w2 [C, R] @param {Float64Array} dg @param {number} go @param {Float64Array} dh scratch [R]
 * @param {Float64Array} a @param {Float64Array} da @param {number} ao @param {number} C @param {number} R
 */
export function expandLayerBackward(w2, dg, go, dh, a, da, ao, C, R) {
  dh.fill(0);
  let c = 0;
  for (; c + 7 < C; c += 8) {
    const k = go + c;
    const d0 = dg[k], d1 = dg[k + 1], d2 = dg[k + 2], d3 = dg[k + 3], d4 = dg[k + 4], d5 = dg[k + 5], d6 = dg[k + 6], d7 = dg[k + 7];
    const r0 = c * R, r1 = r0 + R, r2 = r1 + R, r3 = r2 + R, r4 = r3 + R, r5 = r4 + R, r6 = r5 + R, r7 = r6 + R;
    for (let j = 0; j < R; j++) {
      dh[j] += d0 * w2[r0 + j] + d1 * w2[r1 + j] + d2 * w2[r2 + j] + d3 * w2[r3 + j] + d4 * w2[r4 + j] + d5 * w2[r5 + j] + d6 * w2[r6 + j] + d7 * w2[r7 + j];
    }
  }
  for (; c < C; c++) {
    const d0 = dg[go + c];
    const r0 = c * R;
    for (let j = 0; j < R; j++) dh[j] += d0 * w2[r0 + j];
  }
  for (let j = 0; j < R; j++) da[ao + j] = a[ao + j] > 0 ? dh[j] : 0;
}

/**
 * The reducing layer's backward for one sample: dz_c = sum_j da[ao + j] w1[j, c], eight rows of w1
 * per sweep (then four, then one).
 * @param {Float32Array} w1 [R, C] @param {Float64Array} da @param {number} ao @param {Float64Array} dz scratch [C]
 * @param {number} C @param {number} R
 */
export function reduceLayerBackward(w1, da, ao, dz, C, R) {
  dz.fill(0);
  let j = 0;
  for (; j + 7 < R; j += 8) {
    const k = ao + j;
    const d0 = da[k], d1 = da[k + 1], d2 = da[k + 2], d3 = da[k + 3], d4 = da[k + 4], d5 = da[k + 5], d6 = da[k + 6], d7 = da[k + 7];
    const r0 = j * C, r1 = r0 + C, r2 = r1 + C, r3 = r2 + C, r4 = r3 + C, r5 = r4 + C, r6 = r5 + C, r7 = r6 + C;
    for (let c = 0; c < C; c++) {
      dz[c] += d0 * w1[r0 + c] + d1 * w1[r1 + c] + d2 * w1[r2 + c] + d3 * w1[r3 + c] + d4 * w1[r4 + c] + d5 * w1[r5 + c] + d6 * w1[r6 + c] + d7 * w1[r7 + c];
    }
  }
  for (; j + 3 < R; j += 4) {
    const k = ao + j;
    const d0 = da[k], d1 = da[k + 1], d2 = da[k + 2], d3 = da[k + 3];
    const r0 = j * C, r1 = r0 + C, r2 = r1 + C, r3 = r2 + C;
    for (let c = 0; c < C; c++) dz[c] += d0 * w1[r0 + c] + d1 * w1[r1 + c] + d2 * w1[r2 + c] + d3 * w1[r3 + c];
  }
  for (; j < R; j++) {
    const d0 = da[ao + j];
    const r0 = j * C;
    for (let c = 0; c < C; c++) dz[c] += d0 * w1[r0 + c];
  }
}

/**
 * Axpy pass for one sample: dx[row c] = s[so + c] * dy[row c] + dz[c] / S.
 * @param {Float32Array} dy @param {Float32Array} dx @param {Float64Array} s @param {number} so
 * @param {Float64Array} dz @param {number} off @param {number} C @param {number} S
 */
export function axpyRows(dy, dx, s, so, dz, off, C, S) {
  const inv = 1 / S;
  for (let c = 0; c < C; c++) {
    const m = s[so + c];
    const b = dz[c] * inv;
    const p = off + c * S;
    const e = p + S;
    let i = p;
    for (; i + 7 < e; i += 8) {
      dx[i] = m * dy[i] + b;
      dx[i + 1] = m * dy[i + 1] + b;
      dx[i + 2] = m * dy[i + 2] + b;
      dx[i + 3] = m * dy[i + 3] + b;
      dx[i + 4] = m * dy[i + 4] + b;
      dx[i + 5] = m * dy[i + 5] + b;
      dx[i + 6] = m * dy[i + 6] + b;
      dx[i + 7] = m * dy[i + 7] + b;
    }
    for (; i < e; i++) dx[i] = m * dy[i] + b;
  }
}

/**
 * A weight gradient over the batch: out[r, k] = sum_n u[n, r] v[n, k] (u [N, P], v [N, Q], out
 * [P, Q]; eight outputs of a row per sweep over the batch, then four, then one), and
 * bias[r] = sum_n u[n, r]. dW2 = dG^T H is (dG, H, C, R); dW1 = dA^T Z is (dA, Z, R, C).
 * @param {Float32Array} out [P, Q] @param {Float32Array} bias [P]
 * @param {Float64Array} u [N, P] @param {Float64Array} v [N, Q]
 * @param {number} N @param {number} P @param {number} Q
 */
export function batchOuter(out, bias, u, v, N, P, Q) {
  for (let r = 0; r < P; r++) {
    let b = 0;
    for (let n = 0; n < N; n++) b += u[n * P + r];
    bias[r] = b;
    const o = r * Q;
    let k = 0;
    for (; k + 7 < Q; k += 8) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
      for (let n = 0; n < N; n++) {
        const d = u[n * P + r];
        const q = n * Q + k;
        a0 += d * v[q];
        a1 += d * v[q + 1];
        a2 += d * v[q + 2];
        a3 += d * v[q + 3];
        a4 += d * v[q + 4];
        a5 += d * v[q + 5];
        a6 += d * v[q + 6];
        a7 += d * v[q + 7];
      }
      out[o + k] = a0; out[o + k + 1] = a1; out[o + k + 2] = a2; out[o + k + 3] = a3;
      out[o + k + 4] = a4; out[o + k + 5] = a5; out[o + k + 6] = a6; out[o + k + 7] = a7;
    }
    for (; k + 3 < Q; k += 4) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let n = 0; n < N; n++) {
        const d = u[n * P + r];
        const q = n * Q + k;
        a0 += d * v[q];
        a1 += d * v[q + 1];
        a2 += d * v[q + 2];
        a3 += d * v[q + 3];
      }
      out[o + k] = a0; out[o + k + 1] = a1; out[o + k + 2] = a2; out[o + k + 3] = a3;
    }
    for (; k < Q; k++) {
      let a0 = 0;
      for (let n = 0; n < N; n++) a0 += u[n * P + r] * v[n * Q + k];
      out[o + k] = a0;
    }
  }
}

/**
 * One block's state for the block floor: its data, weights, per-sample vectors and outputs.
 * @typedef {object} FloorBlock
 * @property {number} N @property {number} C @property {number} S @property {number} R
 * @property {boolean} hard
 * @property {Float32Array} x @property {Float32Array} dy
 * @property {Float32Array} w1 @property {Float32Array} b1 @property {Float32Array} w2 @property {Float32Array} b2
 * @property {Float64Array} z [N, C] @property {Float64Array} a [N, R] @property {Float64Array} h [N, R]
 * @property {Float64Array} g [N, C] @property {Float64Array} s [N, C]
 * @property {Float64Array} dg [N, C] @property {Float64Array} da [N, R]
 * @property {Float64Array} dh [R] @property {Float64Array} dz [C]
 * @property {Float32Array} y @property {Float32Array} dx
 * @property {Float32Array} dw1 @property {Float32Array} db1 @property {Float32Array} dw2 @property {Float32Array} db2
 */

/**
 * The block floor's forward: per sample, sum pass, both small layers with relu and the gate, scale pass.
 * @param {FloorBlock} b @param {Float32Array} y
 */
export function blockForward(b, y) {
  const { N, C, S, R, x, w1, b1, w2, b2, z, a, h, g, s, hard } = b;
  for (let n = 0; n < N; n++) {
    const off = n * C * S;
    meanRows(x, z, n * C, off, C, S);
    reduceLayer(w1, b1, z, n * C, a, h, n * R, C, R);
    expandLayer(w2, b2, h, n * R, g, s, n * C, C, R, hard);
    scaleRows(x, y, s, n * C, off, C, S);
  }
}

/**
 * The block floor's backward (after its forward): per sample, dot pass with the gate's derivative,
 * both small layers' backward with relu's derivative, axpy pass; then the weight gradients.
 * @param {FloorBlock} b @param {Float32Array} dx
 * @param {Float32Array} dw1 @param {Float32Array} db1 @param {Float32Array} dw2 @param {Float32Array} db2
 */
export function blockBackward(b, dx, dw1, db1, dw2, db2) {
  const { N, C, S, R, x, dy, w1, w2, z, a, h, g, s, dg, da, dh, dz, hard } = b;
  for (let n = 0; n < N; n++) {
    const off = n * C * S;
    gateGradRows(dy, x, g, s, dg, n * C, off, C, S, hard);
    expandLayerBackward(w2, dg, n * C, dh, a, da, n * R, C, R);
    reduceLayerBackward(w1, da, n * R, dz, C, R);
    axpyRows(dy, dx, s, n * C, dz, off, C, S);
  }
  batchOuter(dw2, db2, dg, h, N, C, R);
  batchOuter(dw1, db1, da, z, N, R, C);
}

/** Keeps results reachable. */
export let sink = /** @type {unknown} */ (null);

/**
 * Output buffers shared by the floors' instances of one case, per block (they never run at the
 * same time; the check copies what it reads), so a workload's floors hold one y and one dx.
 * @type {WeakMap<import('../lib/cases.mjs').Block, { y: Float32Array, dx: Float32Array }>}
 */
const outBuffers = new WeakMap();
/** @param {import('../lib/cases.mjs').Block} blk */
function buffersOf(blk) {
  let o = outBuffers.get(blk);
  if (!o) {
    o = { y: new Float32Array(blk.x.length), dx: new Float32Array(blk.x.length) };
    outBuffers.set(blk, o);
  }
  return o;
}

/**
 * @param {import('./types.mjs').Pass} pass
 * @returns {import('./types.mjs').System}
 */
function passesSystem(pass) {
  return {
    id: `floor-passes/${pass}`,
    family: 'JS floor (passes)',
    pass,
    tol: 1e-5,
    setup(c, refs) {
      if (refs === null) throw new Error('the passes floor needs the reference');
      const blocks = c.blocks.map((blk, i) => {
        const { N, C, S, x, dy } = blk;
        const { y, dx } = buffersOf(blk);
        return { N, C, S, x, dy, y, dx, s: Float32Array.from(refs[i].s), shift: Float32Array.from(refs[i].shift), z: new Float32Array(N * C), ds: new Float32Array(N * C) };
      });
      const once = () => {
        for (const b of blocks) floorForward(b.x, b.y, b.z, b.s, b.N, b.C, b.S);
        if (pass === 'fb') {
          for (let i = blocks.length - 1; i >= 0; i--) {
            const b = blocks[i];
            floorBackward(b.x, b.dy, b.dx, b.ds, b.s, b.shift, b.N, b.C, b.S);
          }
        }
      };
      return {
        run: () => {
          once();
          sink = blocks;
        },
        outputs: () => {
          once();
          // z and ds too: they are what the sum and dot passes produce.
          return blocks.map((b) => (pass === 'fb' ? { y: b.y.slice(), z: b.z.slice(), dx: b.dx.slice(), ds: b.ds.slice() } : { y: b.y.slice(), z: b.z.slice() }));
        },
      };
    },
  };
}

/**
 * @param {import('./types.mjs').Pass} pass
 * @param {boolean} alloc allocate the outputs per call
 * @returns {import('./types.mjs').System}
 */
function blockSystem(pass, alloc) {
  return {
    id: `floor-block${alloc ? '+alloc' : ''}/${pass}`,
    family: alloc ? 'JS floor (block)+alloc' : 'JS floor (block)',
    pass,
    tol: 1e-5,
    diagnostic: alloc,
    setup(c) {
      const hard = c.gate === 'hardSigmoid';
      /** @type {FloorBlock[]} */
      const blocks = c.blocks.map((blk) => {
        const { N, C, S, R, x, dy, params } = blk;
        const { y, dx } = buffersOf(blk);
        return {
          N, C, S, R, hard, x, dy,
          w1: params.w1, b1: params.b1, w2: params.w2, b2: params.b2,
          z: new Float64Array(N * C), a: new Float64Array(N * R), h: new Float64Array(N * R),
          g: new Float64Array(N * C), s: new Float64Array(N * C),
          dg: new Float64Array(N * C), da: new Float64Array(N * R), dh: new Float64Array(R), dz: new Float64Array(C),
          y, dx,
          dw1: new Float32Array(R * C), db1: new Float32Array(R), dw2: new Float32Array(C * R), db2: new Float32Array(C),
        };
      });
      const last = blocks.length - 1;
      /** Every block forward (and every backward in reverse order) into the preallocated outputs. */
      const inPlace = () => {
        for (let i = 0; i <= last; i++) blockForward(blocks[i], blocks[i].y);
        if (pass === 'fb') {
          for (let i = last; i >= 0; i--) {
            const b = blocks[i];
            blockBackward(b, b.dx, b.dw1, b.db1, b.dw2, b.db2);
          }
        }
      };
      /**
       * The same into outputs allocated for this call, as the plain SPEC calls return them.
       * @returns {{ y: Float32Array, dx?: Float32Array, dw1?: Float32Array, db1?: Float32Array, dw2?: Float32Array, db2?: Float32Array }[]}
       */
      const allocating = () => {
        const outs = blocks.map((b) => ({ y: new Float32Array(b.y.length) }));
        for (let i = 0; i <= last; i++) blockForward(blocks[i], outs[i].y);
        if (pass === 'fwd') return outs;
        return outs.reverse().map((o, k) => {
          const b = blocks[last - k];
          const g = { dx: new Float32Array(b.dx.length), dw1: new Float32Array(b.dw1.length), db1: new Float32Array(b.db1.length), dw2: new Float32Array(b.dw2.length), db2: new Float32Array(b.db2.length) };
          blockBackward(b, g.dx, g.dw1, g.db1, g.dw2, g.db2);
          return { ...o, ...g };
        }).reverse();
      };
      return {
        run: alloc
          ? () => {
              sink = allocating();
            }
          : () => {
              inPlace();
              sink = blocks;
            },
        outputs: () => {
          if (alloc) return allocating();
          inPlace();
          return blocks.map((b) =>
            pass === 'fb'
              ? { y: b.y.slice(), dx: b.dx.slice(), dw1: b.dw1.slice(), db1: b.db1.slice(), dw2: b.dw2.slice(), db2: b.db2.slice() }
              : { y: b.y.slice() },
          );
        },
      };
    },
  };
}

/** @type {import('./types.mjs').System[]} */
export const systems = [
  blockSystem('fwd', false),
  blockSystem('fb', false),
  passesSystem('fwd'),
  passesSystem('fb'),
  blockSystem('fwd', true),
  blockSystem('fb', true),
];
