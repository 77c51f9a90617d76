/**
 * Channel broadcast-multiply `y[n, c, s] = scale[n, c] * x[n, c, s] (+ shift[n, c])`, forward and
 * backward, in both layouts. This is the "scale" step of an SE block; with a shift it is also
 * the SE block's fused `dx = s * dy + dz / S` pass.
 *
 * Channels-first: `rows` (= samples x channels) contiguous rows of `spatial` values, one scale
 * per row. Channels-last: `samples` blocks of `spatial x channels`, scale `[samples, channels]`.
 * Dot products are accumulated in float64.
 *
 * Aliasing: `out` may be `x` (in place); `dx` may be `dy` only if `dscale` is computed first,
 * which {@link channelScaleBackward} does, so `dx === dy` is allowed there too.
 * `scale`, `shift` and `dscale` must not overlap the spatial arrays.
 */

/**
 * Channels-first `out[r, s] = scale[r] * x[r, s] + (shift ? shift[r] : 0)`.
 * @param out receives `rows * spatial` values
 * @param x input, `rows * spatial` values
 * @param scale one factor per row
 * @param shift one addend per row, or null for none
 * @returns out
 */
export function channelScaleForward(
  out: Float32Array,
  x: Float32Array,
  scale: Float32Array,
  shift: Float32Array | null,
  rows: number,
  spatial: number,
  outOffset = 0,
  xOffset = 0,
  scaleOffset = 0,
  shiftOffset = 0,
): Float32Array {
  for (let r = 0; r < rows; r++) {
    const a = scale[scaleOffset + r];
    const b = shift === null ? 0 : shift[shiftOffset + r];
    const o = outOffset + r * spatial;
    const i = xOffset + r * spatial;
    let s = 0;
    for (; s + 3 < spatial; s += 4) {
      out[o + s] = a * x[i + s] + b;
      out[o + s + 1] = a * x[i + s + 1] + b;
      out[o + s + 2] = a * x[i + s + 2] + b;
      out[o + s + 3] = a * x[i + s + 3] + b;
    }
    for (; s < spatial; s++) out[o + s] = a * x[i + s] + b;
  }
  return out;
}

/**
 * Backward of {@link channelScaleForward} (without shift), channels-first:
 * `dscale[r] = sum_s dy[r, s] * x[r, s]` and `dx[r, s] = scale[r] * dy[r, s]`.
 * Pass null for an output that is not needed.
 * @param dx receives `rows * spatial` values, or null
 * @param dscale receives `rows` values, or null
 * @returns nothing; writes dx and dscale
 */
export function channelScaleBackward(
  dx: Float32Array | null,
  dscale: Float32Array | null,
  dy: Float32Array,
  x: Float32Array,
  scale: Float32Array,
  rows: number,
  spatial: number,
  dxOffset = 0,
  dscaleOffset = 0,
  dyOffset = 0,
  xOffset = 0,
  scaleOffset = 0,
): void {
  if (dscale !== null) {
    for (let r = 0; r < rows; r++) {
      const p = dyOffset + r * spatial;
      const q = xOffset + r * spatial;
      let acc = 0;
      let s = 0;
      for (; s + 3 < spatial; s += 4) {
        acc += dy[p + s] * x[q + s] + dy[p + s + 1] * x[q + s + 1] + dy[p + s + 2] * x[q + s + 2] + dy[p + s + 3] * x[q + s + 3];
      }
      for (; s < spatial; s++) acc += dy[p + s] * x[q + s];
      dscale[dscaleOffset + r] = acc;
    }
  }
  if (dx !== null) channelScaleForward(dx, dy, scale, null, rows, spatial, dxOffset, dyOffset, scaleOffset);
}

/**
 * Channels-last `out[n, s, c] = scale[n, c] * x[n, s, c] + (shift ? shift[n, c] : 0)`.
 * @returns out
 */
export function channelScaleChannelsLastForward(
  out: Float32Array,
  x: Float32Array,
  scale: Float32Array,
  shift: Float32Array | null,
  samples: number,
  spatial: number,
  channels: number,
  outOffset = 0,
  xOffset = 0,
  scaleOffset = 0,
  shiftOffset = 0,
): Float32Array {
  for (let n = 0; n < samples; n++) {
    const sc = scaleOffset + n * channels;
    const sh = shiftOffset + n * channels;
    let o = outOffset + n * spatial * channels;
    let i = xOffset + n * spatial * channels;
    for (let s = 0; s < spatial; s++, o += channels, i += channels) {
      if (shift === null) {
        for (let c = 0; c < channels; c++) out[o + c] = scale[sc + c] * x[i + c];
      } else {
        for (let c = 0; c < channels; c++) out[o + c] = scale[sc + c] * x[i + c] + shift[sh + c];
      }
    }
  }
  return out;
}

/**
 * Backward of {@link channelScaleChannelsLastForward} (without shift):
 * `dscale[n, c] = sum_s dy[n, s, c] * x[n, s, c]`, `dx[n, s, c] = scale[n, c] * dy[n, s, c]`.
 * @param acc float64 scratch of at least `channels` entries (so the call allocates nothing)
 */
export function channelScaleChannelsLastBackward(
  dx: Float32Array | null,
  dscale: Float32Array | null,
  dy: Float32Array,
  x: Float32Array,
  scale: Float32Array,
  samples: number,
  spatial: number,
  channels: number,
  acc: Float64Array,
  dxOffset = 0,
  dscaleOffset = 0,
  dyOffset = 0,
  xOffset = 0,
  scaleOffset = 0,
): void {
  if (dscale !== null) {
    for (let n = 0; n < samples; n++) {
      acc.fill(0, 0, channels);
      let p = dyOffset + n * spatial * channels;
      let q = xOffset + n * spatial * channels;
      for (let s = 0; s < spatial; s++, p += channels, q += channels) {
        for (let c = 0; c < channels; c++) acc[c] += dy[p + c] * x[q + c];
      }
      const o = dscaleOffset + n * channels;
      for (let c = 0; c < channels; c++) dscale[o + c] = acc[c];
    }
  }
  if (dx !== null) {
    channelScaleChannelsLastForward(dx, dy, scale, null, samples, spatial, channels, dxOffset, dyOffset, scaleOffset);
  }
}
