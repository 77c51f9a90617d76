/**
 * Channel broadcast-multiply `y[n, c, s] = scale[n, c] * x[n, c, s]`, forward and backward, in
 * both layouts. This is the "scale" step of an SE block; with a per-channel shift added it is
 * also the SE block's fused `dx = s * dy + dz / S` pass.
 *
 * Channels-first: `rows` (= samples x channels) contiguous rows of `spatial` values, one scale
 * per row. Channels-last: `samples` blocks of `spatial x channels`, scale `[samples, channels]`.
 * Dot products are accumulated in float64.
 *
 * Aliasing: `out` may be `x` (in place, same offset); `dx` may be `dy` only if `dscale` is
 * computed first, which {@link channelScaleBackward} does, so `dx === dy` is allowed there too.
 * `scale`, `shift` and `dscale` must not overlap the spatial arrays.
 */

/**
 * Channels-first `out[r, s] = scale[r] * x[r, s]`.
 * @param out receives `rows * spatial` values
 * @param x input, `rows * spatial` values
 * @param scale one factor per row
 * @returns out
 */
export function channelScaleForward(
  out: Float32Array,
  x: Float32Array,
  scale: Float32Array,
  rows: number,
  spatial: number,
  outOffset = 0,
  xOffset = 0,
  scaleOffset = 0,
): Float32Array {
  // One induction variable, unrolled by 8. Kept small and flat so the JIT inlines it into its
  // caller's sample loop (compiled on its own, the same loop runs markedly slower).
  const d = xOffset - outOffset;
  for (let r = 0; r < rows; r++) {
    const a = scale[scaleOffset + r];
    let p = outOffset + r * spatial;
    const e = p + spatial;
    for (; p + 7 < e; p += 8) {
      const q = p + d;
      out[p] = a * x[q];
      out[p + 1] = a * x[q + 1];
      out[p + 2] = a * x[q + 2];
      out[p + 3] = a * x[q + 3];
      out[p + 4] = a * x[q + 4];
      out[p + 5] = a * x[q + 5];
      out[p + 6] = a * x[q + 6];
      out[p + 7] = a * x[q + 7];
    }
    for (; p < e; p++) out[p] = a * x[p + d];
  }
  return out;
}

/**
 * Channels-first `out[r, s] = scale[r] * x[r, s] + shift[r]`: the SE block's fused
 * `dx = s * dy + dz / S` pass. (A separate loop from {@link channelScaleForward}: adding a zero
 * shift would slow this memory-bound pass, and the add cannot be skipped for a zero shift since it turns -0
 * into +0.)
 * @returns out
 */
export function channelScaleShift(
  out: Float32Array,
  x: Float32Array,
  scale: Float32Array,
  shift: Float32Array,
  rows: number,
  spatial: number,
  outOffset = 0,
  xOffset = 0,
  scaleOffset = 0,
  shiftOffset = 0,
): Float32Array {
  // Unrolled by 8 on purpose, like channelScaleForward: small and flat for the JIT to inline.
  const d = xOffset - outOffset;
  for (let r = 0; r < rows; r++) {
    const a = scale[scaleOffset + r];
    const b = shift[shiftOffset + r];
    let p = outOffset + r * spatial;
    const e = p + spatial;
    for (; p + 7 < e; p += 8) {
      const q = p + d;
      out[p] = a * x[q] + b;
      out[p + 1] = a * x[q + 1] + b;
      out[p + 2] = a * x[q + 2] + b;
      out[p + 3] = a * x[q + 3] + b;
      out[p + 4] = a * x[q + 4] + b;
      out[p + 5] = a * x[q + 5] + b;
      out[p + 6] = a * x[q + 6] + b;
      out[p + 7] = a * x[q + 7] + b;
    }
    for (; p < e; p++) out[p] = a * x[p + d] + b;
  }
  return out;
}

/**
 * The scale's gradient, channels-first: `dscale[r] = sum_s dy[r, s] * x[r, s]` (one dot product
 * per row, float64, four accumulators). Small and flat, so it inlines into a per-sample loop.
 * @param dscale receives `rows` values
 * @returns dscale
 */
export function channelScaleGradient(
  dscale: Float32Array,
  dy: Float32Array,
  x: Float32Array,
  rows: number,
  spatial: number,
  dscaleOffset = 0,
  dyOffset = 0,
  xOffset = 0,
): Float32Array {
  // Unrolled by 8 with four accumulators on purpose, like channelScaleForward: the JIT inlines it into the sample loop.
  const d = xOffset - dyOffset;
  for (let r = 0; r < rows; r++) {
    let p = dyOffset + r * spatial;
    const e = p + spatial;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (; p + 7 < e; p += 8) {
      const q = p + d;
      a0 += dy[p] * x[q] + dy[p + 4] * x[q + 4];
      a1 += dy[p + 1] * x[q + 1] + dy[p + 5] * x[q + 5];
      a2 += dy[p + 2] * x[q + 2] + dy[p + 6] * x[q + 6];
      a3 += dy[p + 3] * x[q + 3] + dy[p + 7] * x[q + 7];
    }
    for (; p < e; p++) a0 += dy[p] * x[p + d];
    dscale[dscaleOffset + r] = a0 + a1 + a2 + a3;
  }
  return dscale;
}

/**
 * Backward of {@link channelScaleForward}, channels-first: `dscale[r] = sum_s dy[r, s] * x[r, s]`
 * ({@link channelScaleGradient}) and `dx[r, s] = scale[r] * dy[r, s]`. Pass null for an output
 * that is not needed.
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
  // dscale first: then dx may be dy itself.
  if (dscale !== null) channelScaleGradient(dscale, dy, x, rows, spatial, dscaleOffset, dyOffset, xOffset);
  if (dx !== null) channelScaleForward(dx, dy, scale, rows, spatial, dxOffset, dyOffset, scaleOffset);
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

/** @deprecated renamed {@link channelScaleShift} (the fused backward uses it too); this alias stays for old callers. */
export const channelScaleShiftForward = channelScaleShift;
