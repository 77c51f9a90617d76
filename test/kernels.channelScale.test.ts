/**
 * Channel broadcast-multiply: channelScaleForward / channelScaleBackward (channels-first) and
 * channelScaleChannelsLastForward / channelScaleChannelsLastBackward.
 * Tolerances: forward `scale * x + shift` is one float64 expression stored as float32:
 * sumTol (1e-6 * |ref| + 1e-9 * (|scale x| + |shift|) + 2^-149); dscale is a sum over the spatial
 * axis: sumTol with sum_s |dy x|; dx is one product: 1e-6 relative. Central differences of the
 * float64 reference (linear in each coordinate, step 0.5): sumTol with sum |terms of L|.
 */
import { fc, test } from '@fast-check/jest';
import {
  channelScaleBackward,
  channelScaleChannelsLastBackward,
  channelScaleChannelsLastForward,
  channelScaleForward,
  channelScaleShift,
} from '../src/kernels/index.js';

/**
 * The channels-first forward with an optional shift, as one call: channelScaleForward without a
 * shift, channelScaleShift with one (offsets: out, x, scale, shift).
 */
function scaleFwd(
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
  return shift === null
    ? channelScaleForward(out, x, scale, rows, spatial, outOffset, xOffset, scaleOffset)
    : channelScaleShift(out, x, scale, shift, rows, spatial, outOffset, xOffset, scaleOffset, shiftOffset);
}
import {
  INPUT_PAD,
  OUTPUT_PAD,
  RUNS,
  dot,
  expectAllClose,
  expectRelClose,
  expectSameValues,
  expectWrittenOnly,
  f32s,
  offsetArb,
  padded,
  snapshot,
  sumTol,
  toChannelsFirst,
  toChannelsLast,
} from './kernelReference.js';
import { numericGradient } from '../src/testing/index.js';

/**
 * One shape in both layouts: `rows = samples * channels` rows of `spatial` (channels-first) or
 * `samples` blocks of `spatial x channels` (channels-last). `x` and `dy` are in the layout under
 * test; `scale` and `shift` are `[samples, channels]` either way.
 */
const csCase = fc
  .record({
    samples: fc.integer({ min: 1, max: 3 }),
    channels: fc.integer({ min: 1, max: 5 }),
    spatial: fc.integer({ min: 1, max: 11 }),
    withShift: fc.boolean(),
  })
  .chain((d) => {
    const P = d.samples * d.channels;
    const size = P * d.spatial;
    return fc.record({
      d: fc.constant(d),
      x: f32s(size, -50, 50),
      dy: f32s(size, -50, 50),
      scale: f32s(P, -4, 4),
      shift: f32s(P, -50, 50),
    });
  });

/** Float64 reference of the forward; `cl` selects the channels-last index of each (n, c). */
function refForward(
  x: ArrayLike<number>,
  scale: ArrayLike<number>,
  shift: ArrayLike<number> | null,
  samples: number,
  channels: number,
  spatial: number,
  cl: boolean,
): { out: Float64Array; abs: Float64Array } {
  const out = new Float64Array(x.length);
  const abs = new Float64Array(x.length);
  for (let n = 0; n < samples; n++) {
    for (let c = 0; c < channels; c++) {
      const a = scale[n * channels + c];
      const b = shift === null ? 0 : shift[n * channels + c];
      for (let s = 0; s < spatial; s++) {
        const i = cl ? (n * spatial + s) * channels + c : (n * channels + c) * spatial + s;
        out[i] = a * x[i] + b;
        abs[i] = Math.abs(a * x[i]) + Math.abs(b);
      }
    }
  }
  return { out, abs };
}

/** Float64 reference of the backward: dscale[n, c] = sum_s dy x, dx = scale * dy. */
function refBackward(
  dy: ArrayLike<number>,
  x: ArrayLike<number>,
  scale: ArrayLike<number>,
  samples: number,
  channels: number,
  spatial: number,
  cl: boolean,
): { dx: Float64Array; dscale: Float64Array; dscaleAbs: Float64Array } {
  const dx = new Float64Array(x.length);
  const dscale = new Float64Array(samples * channels);
  const dscaleAbs = new Float64Array(samples * channels);
  for (let n = 0; n < samples; n++) {
    for (let c = 0; c < channels; c++) {
      const r = n * channels + c;
      for (let s = 0; s < spatial; s++) {
        const i = cl ? (n * spatial + s) * channels + c : (n * channels + c) * spatial + s;
        dscale[r] += dy[i] * x[i];
        dscaleAbs[r] += Math.abs(dy[i] * x[i]);
        dx[i] = scale[r] * dy[i];
      }
    }
  }
  return { dx, dscale, dscaleAbs };
}

/** Both layouts behind one signature, so each property runs for both. */
interface Layout {
  name: string;
  cl: boolean;
  fwd(
    out: Float32Array,
    x: Float32Array,
    scale: Float32Array,
    shift: Float32Array | null,
    samples: number,
    channels: number,
    spatial: number,
    offsets?: [number, number, number, number],
  ): Float32Array;
  bwd(
    dx: Float32Array | null,
    dscale: Float32Array | null,
    dy: Float32Array,
    x: Float32Array,
    scale: Float32Array,
    samples: number,
    channels: number,
    spatial: number,
    offsets?: [number, number, number, number, number],
    acc?: Float64Array,
  ): void;
}

const LAYOUTS: Layout[] = [
  {
    name: 'channels-first',
    cl: false,
    fwd: (out, x, scale, shift, samples, channels, spatial, o = [0, 0, 0, 0]) =>
      scaleFwd(out, x, scale, shift, samples * channels, spatial, ...o),
    bwd: (dx, dscale, dy, x, scale, samples, channels, spatial, o = [0, 0, 0, 0, 0]) =>
      channelScaleBackward(dx, dscale, dy, x, scale, samples * channels, spatial, ...o),
  },
  {
    name: 'channels-last',
    cl: true,
    fwd: (out, x, scale, shift, samples, channels, spatial, o = [0, 0, 0, 0]) =>
      channelScaleChannelsLastForward(out, x, scale, shift, samples, spatial, channels, ...o),
    bwd: (dx, dscale, dy, x, scale, samples, channels, spatial, o = [0, 0, 0, 0, 0], acc = new Float64Array(channels)) =>
      channelScaleChannelsLastBackward(dx, dscale, dy, x, scale, samples, spatial, channels, acc, ...o),
  },
];

// -----------------------------------------------------------------------------------------------
describe('hand-worked values', () => {
  test('channels-first forward: rows [1,2,3], [4,5,6] scaled by [2, -1], with shift [0.5, 1] and without', () => {
    const x = Float32Array.of(1, 2, 3, 4, 5, 6);
    const scale = Float32Array.of(2, -1);
    const out = new Float32Array(6).fill(NaN);
    expect(scaleFwd(out, x, scale, Float32Array.of(0.5, 1), 2, 3)).toBe(out);
    expect(Array.from(out)).toEqual([2.5, 4.5, 6.5, -3, -4, -5]);
    expect(Array.from(scaleFwd(new Float32Array(6), x, scale, null, 2, 3))).toEqual([2, 4, 6, -4, -5, -6]);
  });

  test('channels-first backward: dscale = row dots of dy and x, dx = scale * dy', () => {
    const dx = new Float32Array(6).fill(NaN);
    const dscale = new Float32Array(2).fill(NaN);
    const x = Float32Array.of(1, 2, 3, 4, 5, 6);
    channelScaleBackward(dx, dscale, Float32Array.of(1, 1, 1, 1, 2, -1), x, Float32Array.of(2, -1), 2, 3);
    expect(Array.from(dscale)).toEqual([6, 8]); // 1+2+3, 4+10-6
    expect(Array.from(dx)).toEqual([2, 2, 2, -1, -2, 1]);
  });

  test('channels-first, 5 positions (past a 4-wide unroll): forward and backward', () => {
    const x = Float32Array.of(1, 2, 3, 4, 5);
    const out = scaleFwd(new Float32Array(5), x, Float32Array.of(3), Float32Array.of(-1), 1, 5);
    expect(Array.from(out)).toEqual([2, 5, 8, 11, 14]);
    const dx = new Float32Array(5);
    const dscale = new Float32Array(1);
    channelScaleBackward(dx, dscale, Float32Array.of(1, 0, 0, 0, 2), x, Float32Array.of(3), 1, 5);
    expect(dscale[0]).toBe(11);
    expect(Array.from(dx)).toEqual([3, 0, 0, 0, 6]);
  });

  test('channels-last forward: positions [1,2,3], [4,5,6], scale [1,2,3], shift [10,0,-1]', () => {
    const x = Float32Array.of(1, 2, 3, 4, 5, 6);
    const out = new Float32Array(6).fill(NaN);
    expect(channelScaleChannelsLastForward(out, x, Float32Array.of(1, 2, 3), Float32Array.of(10, 0, -1), 1, 2, 3)).toBe(out);
    expect(Array.from(out)).toEqual([11, 4, 8, 14, 10, 17]);
    const noShift = channelScaleChannelsLastForward(new Float32Array(6), x, Float32Array.of(1, 2, 3), null, 1, 2, 3);
    expect(Array.from(noShift)).toEqual([1, 4, 9, 4, 10, 18]);
  });

  test('channels-last backward, 2 samples: dscale per (sample, channel), dx = scale * dy', () => {
    // samples x positions x channels = 2 x 2 x 2
    const x = Float32Array.of(1, 2, 3, 4, /* sample 2 */ 5, 6, 7, 8);
    const dy = Float32Array.of(1, 1, 2, 0, /* sample 2 */ 1, -1, 0, 1);
    const scale = Float32Array.of(1, 2, 3, 4);
    const dx = new Float32Array(8).fill(NaN);
    const dscale = new Float32Array(4).fill(NaN);
    channelScaleChannelsLastBackward(dx, dscale, dy, x, scale, 2, 2, 2, new Float64Array(2));
    expect(Array.from(dscale)).toEqual([1 + 6, 2 + 0, 5 + 0, -6 + 8]);
    expect(Array.from(dx)).toEqual([1, 2, 2, 0, 3, -4, 0, 4]);
  });

  test('dscale accumulates in float64 in both layouts (dy . x = 1e8 + 1 - 1e8 + 1 = 2)', () => {
    const dy = Float32Array.of(1e8, 1, -1e8, 1);
    const ones = Float32Array.of(1, 1, 1, 1);
    const cf = new Float32Array(1);
    channelScaleBackward(null, cf, dy, ones, Float32Array.of(1), 1, 4);
    expect(cf[0]).toBe(2);
    const cl = new Float32Array(1);
    channelScaleChannelsLastBackward(null, cl, dy, ones, Float32Array.of(1), 1, 4, 1, new Float64Array(1).fill(1e30));
    expect(cl[0]).toBe(2);
  });

  test('NaN and Inf propagate: through x to its element and its dscale row, through scale to its row', () => {
    const out = scaleFwd(new Float32Array(4), Float32Array.of(NaN, 1, 2, 3), Float32Array.of(1, Infinity), null, 2, 2);
    expect(out[0]).toBeNaN();
    expect(out[1]).toBe(1);
    expect(Array.from(out.subarray(2))).toEqual([Infinity, Infinity]);
    const dscale = new Float32Array(2);
    channelScaleBackward(null, dscale, Float32Array.of(1, 1, 1, 1), Float32Array.of(NaN, 1, 2, 3), Float32Array.of(1, 1), 2, 2);
    expect(dscale[0]).toBeNaN();
    expect(dscale[1]).toBe(5);
  });
});

// -----------------------------------------------------------------------------------------------
describe.each(LAYOUTS)('$name', (L) => {
  test.prop([csCase], RUNS)(
    'forward (with and without shift) matches the float64 reference (sumTol); inputs unchanged',
    ({ d: { samples, channels, spatial, withShift }, x, scale, shift }) => {
      const sh = withShift ? shift : null;
      const unchanged = snapshot(x, scale, shift);
      const out = new Float32Array(x.length).fill(NaN);
      expect(L.fwd(out, x, scale, sh, samples, channels, spatial)).toBe(out);
      unchanged();
      const ref = refForward(x, scale, sh, samples, channels, spatial, L.cl);
      expectAllClose(out, ref.out, (i) => sumTol(ref.out[i], ref.abs[i]), 'out');
    },
  );

  test.prop([csCase], RUNS)(
    'backward matches the float64 reference: dscale (sumTol over sum|dy x|), dx (1e-6 rel); inputs unchanged',
    ({ d: { samples, channels, spatial }, x, dy, scale }) => {
      const unchanged = snapshot(x, dy, scale);
      const dx = new Float32Array(x.length).fill(NaN);
      const dscale = new Float32Array(scale.length).fill(NaN);
      L.bwd(dx, dscale, dy, x, scale, samples, channels, spatial);
      unchanged();
      const ref = refBackward(dy, x, scale, samples, channels, spatial, L.cl);
      expectAllClose(dscale, ref.dscale, (r) => sumTol(ref.dscale[r], ref.dscaleAbs[r]), 'dscale');
      expectRelClose(dx, ref.dx, 'dx');
    },
  );

  test.prop([csCase], RUNS)(
    'backward matches float64 central differences of sum(dy * (scale x + shift)) in x and in scale',
    ({ d: { samples, channels, spatial, withShift }, x, dy, scale, shift }) => {
      const sh = withShift ? shift : null;
      const dx = new Float32Array(x.length);
      const dscale = new Float32Array(scale.length);
      L.bwd(dx, dscale, dy, x, scale, samples, channels, spatial);
      const loss = (xx: ArrayLike<number>, ss: ArrayLike<number>) =>
        dot(dy, refForward(xx, ss, sh, samples, channels, spatial, L.cl).out);
      const Labs = dot(Array.from(dy, Math.abs), refForward(x, scale, sh, samples, channels, spatial, L.cl).abs);
      const gx = numericGradient((p) => loss(p, scale), Float64Array.from(x), 0.5, { relativeStep: true });
      const gs = numericGradient((p) => loss(x, p), Float64Array.from(scale), 0.5, { relativeStep: true });
      expectAllClose(dx, gx, (i) => sumTol(gx[i], Labs), 'dx');
      expectAllClose(dscale, gs, (r) => sumTol(gs[r], Labs), 'dscale');
    },
  );

  test.prop([csCase], RUNS)(
    'dx or dscale may be null: each alone gives the same values as both together',
    ({ d: { samples, channels, spatial }, x, dy, scale }) => {
      const dx = new Float32Array(x.length);
      const dscale = new Float32Array(scale.length);
      L.bwd(dx, dscale, dy, x, scale, samples, channels, spatial);
      const dxOnly = new Float32Array(x.length).fill(NaN);
      L.bwd(dxOnly, null, dy, x, scale, samples, channels, spatial);
      expectSameValues(dxOnly, dx, 'dx alone');
      const dscaleOnly = new Float32Array(scale.length).fill(NaN);
      L.bwd(null, dscaleOnly, dy, x, scale, samples, channels, spatial);
      expectSameValues(dscaleOnly, dscale, 'dscale alone');
      const unchanged = snapshot(dy, x, scale);
      L.bwd(null, null, dy, x, scale, samples, channels, spatial);
      unchanged();
    },
  );

  test.prop([csCase], RUNS)(
    'aliasing: out === x in place, and dx === dy (dscale read first), are bit-identical to separate buffers',
    ({ d: { samples, channels, spatial, withShift }, x, dy, scale, shift }) => {
      const sh = withShift ? shift : null;
      const separate = L.fwd(new Float32Array(x.length), x, scale, sh, samples, channels, spatial);
      const xs = x.slice();
      expect(L.fwd(xs, xs, scale, sh, samples, channels, spatial)).toBe(xs);
      expectSameValues(xs, separate, 'forward in place');

      const dx = new Float32Array(x.length);
      const dscale = new Float32Array(scale.length);
      L.bwd(dx, dscale, dy, x, scale, samples, channels, spatial);
      const d = dy.slice();
      const dscale2 = new Float32Array(scale.length);
      L.bwd(d, dscale2, d, x, scale, samples, channels, spatial);
      expectSameValues(d, dx, 'dx in place over dy');
      expectSameValues(dscale2, dscale, 'dscale with dx === dy');
    },
  );

  test.prop([csCase, offsetArb, offsetArb, offsetArb, offsetArb, offsetArb, offsetArb], RUNS)(
    'offsets on every array: same as dense, nothing outside written, padding never read',
    ({ d: { samples, channels, spatial, withShift }, x, dy, scale, shift }, o1, o2, o3, o4, o5, tail) => {
      const sh = withShift ? shift : null;
      const dense = L.fwd(new Float32Array(x.length), x, scale, sh, samples, channels, spatial);
      const ob = new Float32Array(o1 + x.length + tail).fill(OUTPUT_PAD);
      const xb = padded(x, o2, tail, INPUT_PAD);
      const sb = padded(scale, o3, tail, INPUT_PAD);
      const hb = padded(shift, o4, tail, INPUT_PAD);
      const unchanged = snapshot(xb, sb, hb);
      expect(L.fwd(ob, xb, sb, withShift ? hb : null, samples, channels, spatial, [o1, o2, o3, o4])).toBe(ob);
      unchanged();
      expectWrittenOnly(ob, o1, dense, OUTPUT_PAD, 'out');

      const dDx = new Float32Array(x.length);
      const dDs = new Float32Array(scale.length);
      L.bwd(dDx, dDs, dy, x, scale, samples, channels, spatial);
      const dxb = new Float32Array(o1 + x.length + tail).fill(OUTPUT_PAD);
      const dsb = new Float32Array(o2 + scale.length + tail).fill(OUTPUT_PAD);
      const dyb = padded(dy, o3, tail, INPUT_PAD);
      const xb2 = padded(x, o4, tail, INPUT_PAD);
      const sb2 = padded(scale, o5, tail, INPUT_PAD);
      const unchanged2 = snapshot(dyb, xb2, sb2);
      L.bwd(dxb, dsb, dyb, xb2, sb2, samples, channels, spatial, [o1, o2, o3, o4, o5]);
      unchanged2();
      expectWrittenOnly(dxb, o1, dDx, OUTPUT_PAD, 'dx');
      expectWrittenOnly(dsb, o2, dDs, OUTPUT_PAD, 'dscale');

      // dx === dy in place at the same offset.
      const ib = padded(dy, o3, tail, OUTPUT_PAD);
      const dsb2 = new Float32Array(scale.length);
      L.bwd(ib, dsb2, ib, xb2, sb2, samples, channels, spatial, [o3, 0, o3, o4, o5]);
      expectWrittenOnly(ib, o3, dDx, OUTPUT_PAD, 'dx in place at an offset');
      expectSameValues(dsb2, dDs, 'dscale with dx === dy at an offset');
    },
  );
});

// -----------------------------------------------------------------------------------------------
describe('across layouts', () => {
  test.prop([csCase], RUNS)(
    'channels-last forward equals the channels-first forward of the transposed data exactly (zeros compared by value)',
    ({ d: { samples, channels, spatial, withShift }, x, scale, shift }) => {
      const sh = withShift ? shift : null;
      const xcf = Float32Array.from(toChannelsFirst(x, samples, spatial, channels));
      const cf = scaleFwd(new Float32Array(x.length), xcf, scale, sh, samples * channels, spatial);
      const cl = channelScaleChannelsLastForward(new Float32Array(x.length), x, scale, sh, samples, spatial, channels);
      // Without a shift, channels-first computes scale * x + 0, which turns -0 into +0; channels-last does not.
      const unsign = (v: number) => (v === 0 ? 0 : v);
      expectSameValues(Array.from(cl, unsign), Array.from(toChannelsLast(cf, samples, spatial, channels), unsign), 'out');
    },
  );

  test.prop([csCase, fc.integer({ min: 1, max: 4 })], RUNS)(
    'channels-last backward ignores what its float64 scratch held and how much longer it is',
    ({ d: { samples, channels, spatial }, x, dy, scale }, extra) => {
      const want = new Float32Array(scale.length);
      channelScaleChannelsLastBackward(null, want, dy, x, scale, samples, spatial, channels, new Float64Array(channels));
      const acc = new Float64Array(channels + extra).fill(NaN);
      const got = new Float32Array(scale.length);
      channelScaleChannelsLastBackward(null, got, dy, x, scale, samples, spatial, channels, acc);
      expectSameValues(got, want, 'dscale');
    },
  );
});
