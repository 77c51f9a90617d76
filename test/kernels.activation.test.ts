/**
 * Elementwise nonlinearities (relu, sigmoid, silu, gelu (tanh approximation), tanh, hardSigmoid)
 * and the activationForward / activationBackward dispatch, including 'identity'.
 *
 * Tolerances:
 * - hand-worked transcendental values: |err| <= 2e-7 (float32 half-ulp near 1 is 6e-8, plus the
 *   float32 rounding of inputs like ln 3);
 * - forward vs the float64 reference: 1e-6 * |ref| + 2^-149 (one float32 rounding);
 * - backward vs float64 central differences of the reference forward (step 1e-5 * max(1, |x|)):
 *   1e-6 * |ref| + 1e-9 * |dy| + 2^-149; the 1e-9 * |dy| covers the central-difference truncation
 *   and rounding (< 1e-10 on [-12, 12]), where the derivative crosses zero (gelu near -0.75);
 * - saturated tails, where central differences are useless: 1e-6 relative against closed forms
 *   that are themselves checked against central differences.
 * Every backward kernel saves (reads) the input x, as its file documents.
 */
import { fc, test } from '@fast-check/jest';
import {
  ACTIVATION_KINDS,
  type ActivationKind,
  activationBackward,
  activationForward,
  geluBackward,
  geluForward,
  hardSigmoidBackward,
  hardSigmoidForward,
  reluBackward,
  reluForward,
  sigmoid,
  sigmoidBackward,
  sigmoidForward,
  siluBackward,
  siluForward,
  tanhBackward,
  tanhForward,
} from '../src/kernels/index.js';
import {
  F32_TINY,
  INPUT_PAD,
  OUTPUT_PAD,
  REL,
  RUNS,
  erf,
  expectAllClose,
  expectRelClose,
  expectSameValues,
  expectWrittenOnly,
  f32s,
  numericDeriv,
  offsetArb,
  padded,
  refActivation,
  refDerivative,
  snapshot,
} from './kernelReference.js';

type Forward = (out: Float32Array, x: Float32Array, n: number, outOffset?: number, xOffset?: number) => Float32Array;
type Backward = (
  dx: Float32Array,
  dy: Float32Array,
  x: Float32Array,
  n: number,
  dxOffset?: number,
  dyOffset?: number,
  xOffset?: number,
) => Float32Array;
type Kind = Exclude<ActivationKind, 'identity'>;

/** Each kernel pair and where its kinks are. */
const KERNELS: Record<Kind, { fwd: Forward; bwd: Backward; kinks: number[] }> = {
  relu: { fwd: reluForward, bwd: reluBackward, kinks: [0] },
  sigmoid: { fwd: sigmoidForward, bwd: sigmoidBackward, kinks: [] },
  silu: { fwd: siluForward, bwd: siluBackward, kinks: [] },
  gelu: { fwd: geluForward, bwd: geluBackward, kinks: [] },
  tanh: { fwd: tanhForward, bwd: tanhBackward, kinks: [] },
  hardSigmoid: { fwd: hardSigmoidForward, bwd: hardSigmoidBackward, kinks: [-3, 3] },
};
const KINDS = Object.keys(KERNELS) as Kind[];

/** Moves values within 1e-3 of a kink 0.25 away from it, so central differences stay on one side. */
function awayFromKinks(x: Float32Array, kinks: number[]): Float32Array {
  return x.map((v) => {
    for (const k of kinks) if (Math.abs(v - k) < 1e-3) return k + (v < k ? -0.25 : 0.25);
    return v;
  });
}

/** Backward vs central differences: 1e-6 relative, 1e-9 * |dy| for the difference quotient, 2^-149. */
const cdTol = (want: number, dy: number) => REL * Math.abs(want) + 1e-9 * Math.abs(dy) + F32_TINY;

const near = (got: number, want: number, tol = 2e-7) => {
  if (!(Math.abs(got - want) <= tol)) throw new Error(`got ${got}, expected ${want} (tolerance ${tol})`);
};

const tailCase = fc
  .integer({ min: 1, max: 40 })
  .chain((n) => fc.record({ n: fc.constant(n), x: f32s(n, -90, 90), dy: f32s(n, -4, 4) }));

const actCase = fc
  .integer({ min: 1, max: 40 })
  .chain((n) => fc.record({ n: fc.constant(n), x: f32s(n, -12, 12), dy: f32s(n, -4, 4) }));

test.prop([actCase, fc.constantFrom(...ACTIVATION_KINDS)], RUNS)(
  'the reference closed-form derivatives agree with central differences of the reference forward (1e-8 abs)',
  ({ x }, kind) => {
    const xs = awayFromKinks(x, [-3, 0, 3]);
    const cd = Float64Array.from(xs, (v) => numericDeriv(refActivation[kind], v));
    expectAllClose(Float64Array.from(xs, refDerivative[kind]), cd, () => 1e-8, `${kind}'`);
  },
);

// -----------------------------------------------------------------------------------------------
describe('hand-worked values', () => {
  const L3 = Math.log(3);
  test('relu: forward and backward (relu\'(0) = 0)', () => {
    const x = Float32Array.of(-2, -0.5, 0, 0.5, 3);
    const out = new Float32Array(5).fill(NaN);
    expect(reluForward(out, x, 5)).toBe(out);
    expect(Array.from(out)).toEqual([0, 0, 0, 0.5, 3]);
    const dx = new Float32Array(5).fill(NaN);
    expect(reluBackward(dx, Float32Array.of(1, 2, 3, 4, 5), x, 5)).toBe(dx);
    expect(Array.from(dx)).toEqual([0, 0, 0, 4, 5]);
  });

  test('sigmoid: sigmoid(0) = 1/2, sigmoid(+-ln 3) = 3/4, 1/4; backward dy * s * (1 - s) = 4 * 1/4, 16 * 3/16', () => {
    const x = Float32Array.of(0, L3, -L3);
    const out = sigmoidForward(new Float32Array(3), x, 3);
    near(out[0], 0.5);
    near(out[1], 0.75);
    near(out[2], 0.25);
    expect(sigmoid(0)).toBe(0.5);
    near(sigmoid(L3), 0.75, 1e-15);
    near(sigmoid(-L3), 0.25, 1e-15);
    const dx = sigmoidBackward(new Float32Array(3), Float32Array.of(4, 16, 16), x, 3);
    expect(dx[0]).toBe(1);
    near(dx[1], 3, 1e-6);
    near(dx[2], 3, 1e-6);
  });

  test('silu: x * sigmoid(x) at 0, ln 3, -ln 3, 1 and its derivative s * (1 + x (1 - s))', () => {
    const x = Float32Array.of(0, L3, -L3, 1);
    const out = siluForward(new Float32Array(4), x, 4);
    [0, 0.75 * L3, -0.25 * L3, 0.7310585786].forEach((w, i) => near(out[i], w));
    const dx = siluBackward(new Float32Array(4), Float32Array.of(1, 1, 1, 2), x, 4);
    // silu'(0) = 1/2; silu'(ln 3) = 3/4 (1 + ln3 / 4); silu'(-ln 3) = 1/4 (1 - 3 ln3 / 4); 2 silu'(1).
    [0.5, 0.75 * (1 + L3 / 4), 0.25 * (1 - (3 * L3) / 4), 2 * 0.9276705119].forEach((w, i) => near(dx[i], w));
  });

  test('gelu uses the tanh approximation: gelu(1) = 0.8411920 (the erf form gives 0.8413447)', () => {
    const x = Float32Array.of(0, 1, -1, 2);
    const out = geluForward(new Float32Array(4), x, 4);
    [0, 0.8411919906, -0.1588080094, 1.9545976941].forEach((w, i) => near(out[i], w));
    const dx = geluBackward(new Float32Array(4), Float32Array.of(1, 1, 1, 1), x, 4);
    // gelu'(0) = 1/2, and gelu'(x) + gelu'(-x) = 1 because gelu(x) - gelu(-x) = x.
    [0.5, 1.0829640838, -0.0829640838, 1.0860992566].forEach((w, i) => near(dx[i], w));
  });

  test('tanh: tanh(+-ln 2) = +-3/5; backward dy * (1 - tanh^2): 2 * 1, 1 * 16/25, 4 * 3/4 at atanh(1/2)', () => {
    const out = tanhForward(new Float32Array(3), Float32Array.of(0, Math.LN2, -Math.LN2), 3);
    expect(out[0]).toBe(0);
    near(out[1], 0.6);
    near(out[2], -0.6);
    const atanhHalf = 0.5 * Math.log(3); // tanh = 1/2 there
    const dx = tanhBackward(new Float32Array(3), Float32Array.of(2, 1, 4), Float32Array.of(0, Math.LN2, atanhHalf), 3);
    expect(dx[0]).toBe(2);
    near(dx[1], 0.64);
    near(dx[2], 3, 1e-6);
  });

  test('hardSigmoid is clamp((x + 3) / 6, 0, 1) (PyTorch), not ONNX 0.2 x + 0.5', () => {
    const x = Float32Array.of(-4, -3, -1.5, 0, 1.5, 3, 4, 2);
    const out = hardSigmoidForward(new Float32Array(8), x, 8);
    expect(Array.from(out.subarray(0, 7))).toEqual([0, 0, 0.25, 0.5, 0.75, 1, 1]);
    near(out[7], 5 / 6); // ONNX's default would give 0.9
    const dx = hardSigmoidBackward(new Float32Array(8), new Float32Array(8).fill(6), x, 8);
    expect(Array.from(dx)).toEqual([0, 0, 1, 1, 1, 0, 0, 1]);
  });

  test('identity through the dispatch copies; its backward copies dy', () => {
    const out = activationForward('identity', new Float32Array(3), Float32Array.of(-1, 0.5, 7), 3);
    expect(Array.from(out)).toEqual([-1, 0.5, 7]);
    const dx = activationBackward('identity', new Float32Array(2), Float32Array.of(3, -4), Float32Array.of(NaN, NaN), 2);
    expect(Array.from(dx)).toEqual([3, -4]);
  });
});

// -----------------------------------------------------------------------------------------------
describe.each(KINDS)('%s kernels', (kind) => {
  const { fwd, bwd, kinks } = KERNELS[kind];
  const ref = refActivation[kind];

  test.prop([actCase], RUNS)('forward matches the float64 reference (1e-6 rel + 2^-149); x unchanged', ({ n, x }) => {
    const unchanged = snapshot(x);
    const out = new Float32Array(n).fill(NaN);
    expect(fwd(out, x, n)).toBe(out);
    unchanged();
    expectRelClose(out, Float64Array.from(x, ref), 'out');
  });

  test.prop([actCase], RUNS)(
    'backward matches float64 central differences of the reference (1e-6 rel + 1e-9 |dy|), away from kinks; inputs unchanged',
    ({ n, x: x0, dy }) => {
      const x = awayFromKinks(x0, kinks);
      const unchanged = snapshot(dy, x);
      const dx = new Float32Array(n).fill(NaN);
      expect(bwd(dx, dy, x, n)).toBe(dx);
      unchanged();
      const want = Float64Array.from(x, (v, i) => dy[i] * numericDeriv(ref, v));
      expectAllClose(dx, want, (i) => cdTol(want[i], dy[i]), 'dx');
    },
  );

  test.prop([tailCase], RUNS)(
    'over [-90, 90], saturated tails included: forward and backward within 1e-6 relative (+ 2^-149) of the float64 closed forms',
    ({ n, x, dy }) => {
      expectRelClose(fwd(new Float32Array(n), x, n), Float64Array.from(x, ref), 'out');
      const want = Float64Array.from(x, (v, i) => dy[i] * refDerivative[kind](v));
      expectRelClose(bwd(new Float32Array(n), dy, x, n), want, 'dx');
    },
  );

  test.prop([actCase], RUNS)('in place: out === x and dx === dy are bit-identical to separate buffers', ({ n, x, dy }) => {
    const separate = fwd(new Float32Array(n), x, n);
    const xs = x.slice();
    expect(fwd(xs, xs, n)).toBe(xs);
    expectSameValues(xs, separate, 'forward in place');

    const separateDx = bwd(new Float32Array(n), dy, x, n);
    const d = dy.slice();
    expect(bwd(d, d, x, n)).toBe(d);
    expectSameValues(d, separateDx, 'backward in place');
  });

  test.prop([actCase, offsetArb, offsetArb, offsetArb, offsetArb], RUNS)(
    'offsets: same as dense, nothing outside written, padding never read (also in place at an offset)',
    ({ n, x, dy }, o1, o2, o3, tail) => {
      const dense = fwd(new Float32Array(n), x, n);
      const ob = new Float32Array(o1 + n + tail).fill(OUTPUT_PAD);
      const xb = padded(x, o2, tail, INPUT_PAD);
      const unchanged = snapshot(xb);
      expect(fwd(ob, xb, n, o1, o2)).toBe(ob);
      unchanged();
      expectWrittenOnly(ob, o1, dense, OUTPUT_PAD, 'out');
      const ib = padded(x, o3, tail, OUTPUT_PAD);
      fwd(ib, ib, n, o3, o3);
      expectWrittenOnly(ib, o3, dense, OUTPUT_PAD, 'out in place');

      const denseDx = bwd(new Float32Array(n), dy, x, n);
      const dxb = new Float32Array(o1 + n + tail).fill(OUTPUT_PAD);
      const dyb = padded(dy, o2, tail, INPUT_PAD);
      const sb = padded(x, o3, tail, INPUT_PAD);
      const unchanged2 = snapshot(dyb, sb);
      expect(bwd(dxb, dyb, sb, n, o1, o2, o3)).toBe(dxb);
      unchanged2();
      expectWrittenOnly(dxb, o1, denseDx, OUTPUT_PAD, 'dx');
    },
  );

  test('NaN propagates through the forward', () => {
    const out = fwd(new Float32Array(3), Float32Array.of(1, NaN, -1), 3);
    expect(out[1]).toBeNaN();
    expect(Number.isNaN(out[0]) || Number.isNaN(out[2])).toBe(false);
  });
});

// -----------------------------------------------------------------------------------------------
describe('activationForward / activationBackward dispatch', () => {
  test('ACTIVATION_KINDS lists every kind once, identity included', () => {
    expect([...ACTIVATION_KINDS].sort()).toEqual(['gelu', 'hardSigmoid', 'identity', 'relu', 'sigmoid', 'silu', 'tanh']);
  });

  /** Values of every kind, including NaN, +-Inf and -0, which identity must copy exactly. */
  const anyCase = fc
    .integer({ min: 1, max: 30 })
    .chain((n) =>
      fc.record({
        n: fc.constant(n),
        x: fc.float32Array({ minLength: n, maxLength: n }),
        dy: f32s(n, -4, 4),
      }),
    );

  test.prop([anyCase, fc.constantFrom(...ACTIVATION_KINDS), offsetArb, offsetArb, offsetArb], RUNS)(
    'forward dispatch equals the direct kernel bit for bit (identity: an exact copy), with offsets; x unchanged',
    ({ n, x }, kind, o1, o2, tail) => {
      const direct = kind === 'identity' ? x : KERNELS[kind].fwd(new Float32Array(n), x, n);
      const ob = new Float32Array(o1 + n + tail).fill(OUTPUT_PAD);
      const xb = padded(x, o2, tail, INPUT_PAD);
      const unchanged = snapshot(xb);
      expect(activationForward(kind, ob, xb, n, o1, o2)).toBe(ob);
      unchanged();
      expectWrittenOnly(ob, o1, direct, OUTPUT_PAD, `${kind} forward`);
    },
  );

  test.prop([anyCase, fc.constantFrom(...ACTIVATION_KINDS), offsetArb, offsetArb, offsetArb, offsetArb], RUNS)(
    'backward dispatch equals the direct kernel bit for bit (identity: a copy of dy), with offsets; inputs unchanged',
    ({ n, x, dy }, kind, o1, o2, o3, tail) => {
      const direct = kind === 'identity' ? dy : KERNELS[kind].bwd(new Float32Array(n), dy, x, n);
      const xb = padded(x, o3, tail, INPUT_PAD);
      const dyb = padded(dy, o2, tail, INPUT_PAD);
      const dxb = new Float32Array(o1 + n + tail).fill(OUTPUT_PAD);
      const unchanged = snapshot(xb, dyb);
      expect(activationBackward(kind, dxb, dyb, xb, n, o1, o2, o3)).toBe(dxb);
      unchanged();
      expectWrittenOnly(dxb, o1, direct, OUTPUT_PAD, `${kind} backward`);
    },
  );

  test.prop([anyCase, fc.constantFrom(...ACTIVATION_KINDS)], RUNS)(
    'in place through the dispatch (out === x, dx === dy) is bit-identical to separate buffers',
    ({ n, x, dy }, kind) => {
      const separate = activationForward(kind, new Float32Array(n), x, n);
      const xs = x.slice();
      activationForward(kind, xs, xs, n);
      expectSameValues(xs, separate, `${kind} forward in place`);
      const separateDx = activationBackward(kind, new Float32Array(n), dy, x, n);
      const d = dy.slice();
      activationBackward(kind, d, d, x, n);
      expectSameValues(d, separateDx, `${kind} backward in place`);
    },
  );

  test.prop([actCase, fc.constantFrom(...ACTIVATION_KINDS)], RUNS)(
    'backward through the dispatch matches float64 central differences (1e-6 rel + 1e-9 |dy|)',
    ({ n, x: x0, dy }, kind) => {
      const x = awayFromKinks(x0, [-3, 0, 3]);
      const dx = activationBackward(kind, new Float32Array(n), dy, x, n);
      const want = Float64Array.from(x, (v, i) => dy[i] * numericDeriv(refActivation[kind], v));
      expectAllClose(dx, want, (i) => cdTol(want[i], dy[i]), `${kind} dx`);
    },
  );
});

// -----------------------------------------------------------------------------------------------
describe('numerics', () => {
  test('sigmoid of +-1e4, +-Infinity and +-float32 max is exactly 1 or 0, never NaN', () => {
    const big = 3.4028234663852886e38;
    const x = Float32Array.of(1e4, -1e4, Infinity, -Infinity, big, -big, 100, -200);
    const out = sigmoidForward(new Float32Array(8), x, 8);
    expect(Array.from(out)).toEqual([1, 0, 1, 0, 1, 0, 1, 0]);
    for (const v of [1e4, -1e4, Infinity, -Infinity, 1e300, -1e300]) expect(sigmoid(v)).toBe(v > 0 ? 1 : 0);
    // ... and the gradient is exactly 0 where the true one is below float32's range (not NaN).
    const dx = sigmoidBackward(new Float32Array(6), new Float32Array(6).fill(1), x, 6);
    expect(Array.from(dx)).toEqual(new Array(6).fill(0));
    expect(sigmoidBackward(new Float32Array(1), Float32Array.of(1), Float32Array.of(NaN), 1)[0]).toBeNaN();
  });

  test('sigmoid of NaN is NaN', () => {
    expect(sigmoidForward(new Float32Array(1), Float32Array.of(NaN), 1)[0]).toBeNaN();
    expect(sigmoid(NaN)).toBeNaN();
  });

  test('sigmoid is symmetric: sigmoid(-x) = 1 - sigmoid(x) to float64 precision on both branches', () => {
    for (const v of [0.1, 1, 5, 20, 35]) near(sigmoid(-v), 1 - sigmoid(v), 1e-15);
  });

  test('relu(NaN) is NaN, its gradient at NaN is NaN; relu\'(0) = relu\'(-0) = 0; relu\'(tiny > 0) = 1', () => {
    const x = Float32Array.of(NaN, 0, -0, 1e-45, -1e-45);
    const out = reluForward(new Float32Array(5), x, 5);
    expect(out[0]).toBeNaN();
    expect(Array.from(out.subarray(1))).toEqual([0, 0, 1e-45, 0].map(Math.fround));
    const dx = reluBackward(new Float32Array(5), new Float32Array(5).fill(2), x, 5);
    expect(dx[0]).toBeNaN();
    expect(Array.from(dx.subarray(1))).toEqual([0, 0, 2, 0]);
  });

  test('hardSigmoid derivative is 1/6 strictly inside (-3, 3) (even 1 ulp inside), 0 at exactly +-3 and outside', () => {
    const inside = Math.fround(3 - 2 ** -22); // the float32 just below 3
    const outside = Math.fround(3 + 2 ** -22); // the float32 just above 3
    const x = Float32Array.of(-3, 3, -inside, inside, 0, -outside, outside, -1e4, 1e4, -Infinity, Infinity);
    const dx = hardSigmoidBackward(new Float32Array(x.length), new Float32Array(x.length).fill(6), x, x.length);
    expect(Array.from(dx)).toEqual([0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    const one = hardSigmoidBackward(new Float32Array(1), Float32Array.of(1), Float32Array.of(0.5), 1);
    expect(one[0]).toBe(Math.fround(1 / 6));
  });

  test('hardSigmoid is 0 at -3 and 1 at 3, and NaN in gives NaN out (forward and gradient)', () => {
    const out = hardSigmoidForward(new Float32Array(3), Float32Array.of(-3, 3, NaN), 3);
    expect(out[0]).toBe(0);
    expect(out[1]).toBe(1);
    expect(out[2]).toBeNaN();
    expect(hardSigmoidBackward(new Float32Array(1), Float32Array.of(1), Float32Array.of(NaN), 1)[0]).toBeNaN();
  });

  test('tanh saturates to exactly +-1 at +-1e4 and +-Infinity; gradient 0 there; NaN propagates', () => {
    const x = Float32Array.of(1e4, -1e4, Infinity, -Infinity);
    const out = tanhForward(new Float32Array(4), x, 4);
    expect(Array.from(out)).toEqual([1, -1, 1, -1]);
    expect(Array.from(tanhBackward(new Float32Array(4), new Float32Array(4).fill(3), x, 4))).toEqual([0, 0, 0, 0]);
    expect(tanhBackward(new Float32Array(1), Float32Array.of(1), Float32Array.of(NaN), 1)[0]).toBeNaN();
  });

  test('silu and gelu at +-1e4: the value is x or 0 and the gradient 1 or 0, never NaN; +Infinity stays +Infinity', () => {
    const x = Float32Array.of(1e4, -1e4, Infinity);
    for (const [f, b] of [
      [siluForward, siluBackward],
      [geluForward, geluBackward],
    ] as const) {
      const out = f(new Float32Array(3), x, 3);
      expect(out[0]).toBe(1e4);
      expect(Math.abs(out[1])).toBe(0);
      expect(out[2]).toBe(Infinity);
      const dx = b(new Float32Array(2), Float32Array.of(1, 1), x, 2);
      expect(Array.from(dx, Math.abs)).toEqual([1, 0]);
    }
  });

  test('the tanh GELU stays within the documented 5e-4 of the erf GELU on [-10, 10], and is not the erf form', () => {
    const n = 2001;
    const x = Float32Array.from({ length: n }, (_, i) => -10 + i / 100);
    const out = geluForward(new Float32Array(n), x, n);
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(out[i] - 0.5 * x[i] * (1 + erf(x[i] / Math.SQRT2))));
    expect(worst).toBeLessThan(5e-4);
    expect(worst).toBeGreaterThan(1e-4); // it is the approximation the spec asks to document
  });
});
