/**
 * Global pooling over the spatial axis, forward and backward.
 *
 * Channels-first data is `rows` contiguous rows of `spatial` values (row = sample x channel):
 * `x[r * spatial + s]`. Channels-last data is `samples` blocks of `spatial x channels` values:
 * `x[(n * spatial + s) * channels + c]`. Pooled values are `[rows]` resp. `[samples, channels]`.
 * Sums are accumulated in float64 and stored as float32. Trailing `...Offset` arguments shift
 * where each array's data starts, so one sample of a batch can be processed in place.
 *
 * Aliasing: the pooled array never overlaps the spatial array (they differ in size).
 */

/**
 * Global average pooling, channels-first: `out[r] = (1/spatial) * sum_s x[r, s]`.
 * @param out receives `rows` means
 * @param x input, `rows * spatial` values
 * @returns out
 */
export function globalAvgPoolForward(
  out: Float32Array,
  x: Float32Array,
  rows: number,
  spatial: number,
  outOffset = 0,
  xOffset = 0,
): Float32Array {
  const inv = 1 / spatial;
  for (let r = 0; r < rows; r++) {
    let p = xOffset + r * spatial;
    const e = p + spatial;
    // Unrolled by 8 with four independent float64 accumulators on purpose: the sum is latency-bound with one.
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (; p + 7 < e; p += 8) {
      a0 += x[p] + x[p + 4];
      a1 += x[p + 1] + x[p + 5];
      a2 += x[p + 2] + x[p + 6];
      a3 += x[p + 3] + x[p + 7];
    }
    for (; p < e; p++) a0 += x[p];
    out[outOffset + r] = (a0 + a1 + a2 + a3) * inv;
  }
  return out;
}

/**
 * Backward of {@link globalAvgPoolForward}, channels-first: `dx[r, s] = dz[r] / spatial`.
 * @param dx receives `rows * spatial` gradients (overwritten)
 * @param dz gradient of the pooled values, `rows` values
 * @returns dx
 */
export function globalAvgPoolBackward(
  dx: Float32Array,
  dz: Float32Array,
  rows: number,
  spatial: number,
  dxOffset = 0,
  dzOffset = 0,
): Float32Array {
  const inv = 1 / spatial;
  for (let r = 0; r < rows; r++) {
    const p = dxOffset + r * spatial;
    dx.fill(dz[dzOffset + r] * inv, p, p + spatial);
  }
  return dx;
}

/**
 * Global average pooling, channels-last: `out[n, c] = (1/spatial) * sum_s x[n, s, c]`.
 * @param out receives `samples * channels` means
 * @param x input, `samples * spatial * channels` values
 * @param acc float64 scratch of at least `channels` entries (so the call allocates nothing)
 * @returns out
 */
export function globalAvgPoolChannelsLastForward(
  out: Float32Array,
  x: Float32Array,
  samples: number,
  spatial: number,
  channels: number,
  acc: Float64Array,
  outOffset = 0,
  xOffset = 0,
): Float32Array {
  const inv = 1 / spatial;
  for (let n = 0; n < samples; n++) {
    acc.fill(0, 0, channels);
    let p = xOffset + n * spatial * channels;
    for (let s = 0; s < spatial; s++, p += channels) {
      for (let c = 0; c < channels; c++) acc[c] += x[p + c];
    }
    const o = outOffset + n * channels;
    for (let c = 0; c < channels; c++) out[o + c] = acc[c] * inv;
  }
  return out;
}

/**
 * Backward of {@link globalAvgPoolChannelsLastForward}: `dx[n, s, c] = dz[n, c] / spatial`.
 * @returns dx
 */
export function globalAvgPoolChannelsLastBackward(
  dx: Float32Array,
  dz: Float32Array,
  samples: number,
  spatial: number,
  channels: number,
  dxOffset = 0,
  dzOffset = 0,
): Float32Array {
  const inv = 1 / spatial;
  for (let n = 0; n < samples; n++) {
    const z = dzOffset + n * channels;
    let p = dxOffset + n * spatial * channels;
    for (let s = 0; s < spatial; s++, p += channels) {
      for (let c = 0; c < channels; c++) dx[p + c] = dz[z + c] * inv;
    }
  }
  return dx;
}

/**
 * Global max pooling, channels-first: `out[r] = max_s x[r, s]`, `argmax[r]` = the FIRST s
 * attaining it. A NaN in a row makes the row's max NaN and its argmax the first NaN.
 * @param out receives `rows` maxima
 * @param argmax receives `rows` spatial indices (what backward needs)
 * @param x input, `rows * spatial` values
 * @returns out
 */
export function globalMaxPoolForward(
  out: Float32Array,
  argmax: Int32Array,
  x: Float32Array,
  rows: number,
  spatial: number,
  outOffset = 0,
  argmaxOffset = 0,
  xOffset = 0,
): Float32Array {
  for (let r = 0; r < rows; r++) {
    const p = xOffset + r * spatial;
    let best = x[p];
    let at = 0;
    if (best === best) {
      for (let s = 1; s < spatial; s++) {
        const v = x[p + s];
        if (v > best) {
          best = v;
          at = s;
        } else if (v !== v) {
          best = v;
          at = s;
          break;
        }
      }
    }
    out[outOffset + r] = best;
    argmax[argmaxOffset + r] = at;
  }
  return out;
}

/**
 * Backward of {@link globalMaxPoolForward}: `dx[r, s] = dz[r]` where `s == argmax[r]`, else 0.
 * @param dx receives `rows * spatial` gradients (overwritten)
 * @returns dx
 */
export function globalMaxPoolBackward(
  dx: Float32Array,
  dz: Float32Array,
  argmax: Int32Array,
  rows: number,
  spatial: number,
  dxOffset = 0,
  dzOffset = 0,
  argmaxOffset = 0,
): Float32Array {
  dx.fill(0, dxOffset, dxOffset + rows * spatial);
  for (let r = 0; r < rows; r++) dx[dxOffset + r * spatial + argmax[argmaxOffset + r]] = dz[dzOffset + r];
  return dx;
}

/**
 * Global max pooling, channels-last: `out[n, c] = max_s x[n, s, c]`, `argmax[n, c]` = the FIRST
 * s attaining it (the first NaN if the column holds one).
 * @returns out
 */
export function globalMaxPoolChannelsLastForward(
  out: Float32Array,
  argmax: Int32Array,
  x: Float32Array,
  samples: number,
  spatial: number,
  channels: number,
  outOffset = 0,
  argmaxOffset = 0,
  xOffset = 0,
): Float32Array {
  for (let n = 0; n < samples; n++) {
    const o = outOffset + n * channels;
    const a = argmaxOffset + n * channels;
    const base = xOffset + n * spatial * channels;
    for (let c = 0; c < channels; c++) {
      out[o + c] = x[base + c];
      argmax[a + c] = 0;
    }
    let p = base + channels;
    for (let s = 1; s < spatial; s++, p += channels) {
      for (let c = 0; c < channels; c++) {
        const best = out[o + c];
        const v = x[p + c];
        // Once a column's max is NaN it stays at its first NaN.
        if (best === best && (v > best || v !== v)) {
          out[o + c] = v;
          argmax[a + c] = s;
        }
      }
    }
  }
  return out;
}

/**
 * Backward of {@link globalMaxPoolChannelsLastForward}: `dx[n, s, c] = dz[n, c]` where
 * `s == argmax[n, c]`, else 0.
 * @returns dx
 */
export function globalMaxPoolChannelsLastBackward(
  dx: Float32Array,
  dz: Float32Array,
  argmax: Int32Array,
  samples: number,
  spatial: number,
  channels: number,
  dxOffset = 0,
  dzOffset = 0,
  argmaxOffset = 0,
): Float32Array {
  dx.fill(0, dxOffset, dxOffset + samples * spatial * channels);
  for (let n = 0; n < samples; n++) {
    const base = dxOffset + n * spatial * channels;
    for (let c = 0; c < channels; c++) {
      const i = n * channels + c;
      dx[base + argmax[argmaxOffset + i] * channels + c] = dz[dzOffset + i];
    }
  }
  return dx;
}
