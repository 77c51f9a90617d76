/**
 * Elementwise nonlinearities: the scalar table ACTIVATIONS, the per-kind kernels (relu, silu, gelu
 * (exact, erf form), geluTanh, sigmoid, hardSigmoid, tanh) and the activationForward /
 * activationBackward dispatch, including 'identity'.
 *
 * References: the float64 forms of test/kernelReference.ts (refActivation / refDerivative, one
 * entry per kind; the exact GELU `v Phi(v)` and its derivative `Phi + v phi` take Phi from
 * se-kernels/testing's erfcReference, a series and a continued fraction, not the kernels' fitted
 * polynomials).
 *
 * Tolerances:
 * - hand-worked transcendental values: |err| <= 2e-7 (float32 half-ulp near 1 is 6e-8, plus the
 *   float32 rounding of inputs like ln 3);
 * - forward vs the float64 reference: 1e-6 * |ref| + 2^-149 (one float32 rounding);
 * - backward vs float64 central differences of the reference forward (step 1e-5 * max(1, |x|)):
 *   1e-6 * |ref| + 1e-9 * |dy| + 2^-149; the 1e-9 * |dy| covers the central-difference truncation
 *   and rounding (< 1e-10 on [-12, 12]), where the derivative crosses zero (gelu near -0.75);
 * - saturated tails and extreme inputs, where central differences are useless: 1e-6 relative
 *   against closed forms that are themselves checked against central differences;
 * - PyTorch's values (torch 1.13, float64): 1e-6 relative.
 * Every backward kernel saves (reads) the input x, as its file documents.
 */
import { fc, test } from '@fast-check/jest';
import {
  ACTIVATION_KINDS,
  ACTIVATIONS,
  type ActivationBackwardKernel,
  type ActivationForwardKernel,
  type ActivationKind,
  activationBackward,
  activationCode,
  activationForward,
  activationFromCode,
  geluBackward,
  geluForward,
  geluTanhBackward,
  geluTanhForward,
  hardSigmoidBackward,
  hardSigmoidForward,
  reluBackward,
  savesSlope,
  reluForward,
  sigmoid,
  sigmoidBackward,
  sigmoidForward,
  siluBackward,
  siluForward,
  tanhBackward,
  tanhForward,
} from '../src/kernels/index.js';
import { SE_ACTIVATIONS, SE_GATES } from '../src/options.js';
import {
  F32_TINY,
  INPUT_PAD,
  OUTPUT_PAD,
  REL,
  RUNS,
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

type Kind = Exclude<ActivationKind, 'identity'>;

/** Each kernel pair and where its kinks are. */
const KERNELS: Record<Kind, { fwd: ActivationForwardKernel; bwd: ActivationBackwardKernel; kinks: number[] }> = {
  relu: { fwd: reluForward, bwd: reluBackward, kinks: [0] },
  sigmoid: { fwd: sigmoidForward, bwd: sigmoidBackward, kinks: [] },
  silu: { fwd: siluForward, bwd: siluBackward, kinks: [] },
  gelu: { fwd: geluForward, bwd: geluBackward, kinks: [] },
  geluTanh: { fwd: geluTanhForward, bwd: geluTanhBackward, kinks: [] },
  tanh: { fwd: tanhForward, bwd: tanhBackward, kinks: [] },
  hardSigmoid: { fwd: hardSigmoidForward, bwd: hardSigmoidBackward, kinks: [-3, 3] },
};
const KINDS = Object.keys(KERNELS) as Kind[];

/** Float64 forward and derivative of every kind. */
const REF: Record<ActivationKind, { f: (v: number) => number; d: (v: number) => number }> = {
  relu: { f: refActivation.relu, d: refDerivative.relu },
  sigmoid: { f: refActivation.sigmoid, d: refDerivative.sigmoid },
  silu: { f: refActivation.silu, d: refDerivative.silu },
  gelu: { f: refActivation.gelu, d: refDerivative.gelu },
  geluTanh: { f: refActivation.geluTanh, d: refDerivative.geluTanh },
  tanh: { f: refActivation.tanh, d: refDerivative.tanh },
  hardSigmoid: { f: refActivation.hardSigmoid, d: refDerivative.hardSigmoid },
  identity: { f: refActivation.identity, d: refDerivative.identity },
};

/** Every kink of every kind. */
const REF_KINKS = [-3, 0, 3];

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
    const xs = awayFromKinks(x, REF_KINKS);
    const cd = Float64Array.from(xs, (v) => numericDeriv(REF[kind].f, v));
    expectAllClose(Float64Array.from(xs, REF[kind].d), cd, () => 1e-8, `${kind}'`);
  },
);

// -----------------------------------------------------------------------------------------------
describe('the scalar table', () => {
  test('ACTIVATIONS has one frozen forward/backward pair per kind, and the kernels map exactly it', () => {
    expect(Object.keys(ACTIVATIONS).sort()).toEqual([...ACTIVATION_KINDS].sort());
    expect(Object.isFrozen(ACTIVATIONS)).toBe(true);
    const x = Float32Array.of(-5, -1, -0.25, 0, 0.5, 2, 7);
    const dy = Float32Array.of(1, -2, 3, 0.5, -1, 4, 2);
    for (const kind of ACTIVATION_KINDS) {
      const a = ACTIVATIONS[kind];
      expect(Object.isFrozen(a)).toBe(true);
      const out = activationForward(kind, new Float32Array(7), x, 7);
      expectSameValues(out, Float32Array.from(x, (v) => a.forward(v)), `${kind} forward`);
      const dx = activationBackward(kind, new Float32Array(7), dy, x, 7);
      expectSameValues(dx, Float32Array.from(x, (v, i) => a.backward(dy[i], v)), `${kind} backward`);
    }
  });

  test('each kind has a stable wire code (pinned: the thread pool sends these numbers), unique, round-tripping', () => {
    const codes = Object.fromEntries(ACTIVATION_KINDS.map((k) => [k, activationCode(k)]));
    expect(codes).toEqual({ relu: 1, silu: 2, gelu: 3, geluTanh: 4, sigmoid: 5, hardSigmoid: 6, tanh: 7, identity: 8 });
    for (const k of ACTIVATION_KINDS) expect(activationFromCode(activationCode(k))).toBe(k);
    expect(activationFromCode(0)).toBeUndefined();
    expect(activationFromCode(9)).toBeUndefined();
  });

  test('the SE option lists come from the table, each default first', () => {
    expect(SE_ACTIVATIONS).toEqual(['relu', 'silu', 'gelu', 'geluTanh', 'identity']);
    expect(SE_GATES).toEqual(['sigmoid', 'hardSigmoid', 'tanh', 'relu', 'identity']);
    for (const k of SE_ACTIVATIONS) expect(ACTIVATIONS[k].inner).toBe(true);
    for (const k of SE_GATES) expect(ACTIVATIONS[k].gate).toBe(true);
    expect(ACTIVATION_KINDS.filter((k) => savesSlope(k))).toEqual(['sigmoid', 'silu']);
  });

  test.prop([fc.double({ min: -30, max: 30, noNaN: true }), fc.constantFrom(...ACTIVATION_KINDS)], RUNS)(
    "each float64 scalar matches the float64 reference (1e-13 relative + 1e-15; gelu 1e-12, for its reference's x / sqrt 2 rounding)",
    (v, kind) => {
      const tol = kind === 'gelu' ? 1e-12 : 1e-13;
      const want = REF[kind].f(v);
      expect(Math.abs(ACTIVATIONS[kind].forward(v) - want)).toBeLessThanOrEqual(tol * Math.abs(want) + 1e-15);
      if (!REF_KINKS.some((k) => Math.abs(v - k) < 1e-9)) {
        const wantD = 3 * REF[kind].d(v);
        expect(Math.abs(ACTIVATIONS[kind].backward(3, v) - wantD)).toBeLessThanOrEqual(tol * Math.abs(wantD) + 1e-15);
      }
    },
  );
});

// -----------------------------------------------------------------------------------------------
describe('hand-worked values', () => {
  const L3 = Math.log(3);
  test("relu: forward and backward (relu'(0) = 0)", () => {
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

  test('gelu is the exact erf form: gelu(1) = Phi(1) = 0.8413447 (the tanh form gives 0.8411920); geluTanh(1) = 0.8411920', () => {
    const x = Float32Array.of(0, 1, -1, 2);
    const out = geluForward(new Float32Array(4), x, 4);
    // Phi(1) = 0.8413447460685429, Phi(2) = 0.9772498680518208.
    [0, 0.8413447460685429, -0.15865525393145705, 2 * 0.9772498680518208].forEach((w, i) => near(out[i], w));
    const dx = geluBackward(new Float32Array(4), Float32Array.of(1, 1, 1, 1), x, 4);
    // gelu'(0) = 1/2; gelu'(x) + gelu'(-x) = 1 because gelu(x) - gelu(-x) = x; gelu'(x) = Phi(x) + x phi(x).
    [0.5, 1.0833154705876864, 1 - 1.0833154705876864, 1.085231801078197].forEach((w, i) => near(dx[i], w));
    const t = geluTanhForward(new Float32Array(4), x, 4);
    [0, 0.8411919906, -0.1588080094, 1.9545976941].forEach((w, i) => near(t[i], w));
    const dt = geluTanhBackward(new Float32Array(4), Float32Array.of(1, 1, 1, 1), x, 4);
    [0.5, 1.0829640838, -0.0829640838, 1.0860992566].forEach((w, i) => near(dt[i], w));
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
describe('PyTorch agreement', () => {
  // torch.nn.functional.gelu(x, approximate=...) and its autograd gradient, torch 1.13.1, float64.
  const x = Float32Array.of(-3, -1, -0.5, 0.5, 1, 3);
  const TORCH = {
    gelu: {
      y: [-0.00404969409489031, -0.15865525393145702, -0.15426876936299344, 0.34573123063700656, 0.841344746068543, 2.99595030590511],
      dy: [-0.01194564720418392, -0.08331547058768635, 0.13250487534383712, 0.8674951246561629, 1.0833154705876864, 1.011945647204184],
    },
    geluTanh: {
      y: [-0.0036373920817729943, -0.15880800939172324, -0.15428599017485606, 0.34571400982514394, 0.8411919906082768, 2.996362607918227],
      dy: [-0.011584166630969648, -0.08296408384578252, 0.13263009646535764, 0.8673699035346424, 1.0829640838457826, 1.0115841666309695],
    },
  };

  test.each(['gelu', 'geluTanh'] as const)('%s matches torch.nn.functional.gelu forward and gradient (1e-6 relative)', (kind) => {
    expectRelClose(activationForward(kind, new Float32Array(6), x, 6), TORCH[kind].y, `${kind} forward`);
    expectRelClose(activationBackward(kind, new Float32Array(6), new Float32Array(6).fill(1), x, 6), TORCH[kind].dy, `${kind} backward`);
  });

  test('infinities give what PyTorch gives (float32 tensors, backward with dy = 1); NaN gives NaN everywhere', () => {
    const xs = Float32Array.of(Infinity, -Infinity, NaN);
    // torch 1.13: relu, silu, gelu (both forms), sigmoid, hardsigmoid, tanh at [inf, -inf, nan]. The one
    // difference, by design: PyTorch's relu and hardsigmoid gradients at NaN are dy and 0; ours are NaN.
    const want: Record<ActivationKind, { y: number[]; dx: number[] }> = {
      relu: { y: [Infinity, 0, NaN], dx: [1, 0, NaN] },
      silu: { y: [Infinity, NaN, NaN], dx: [NaN, NaN, NaN] },
      gelu: { y: [Infinity, NaN, NaN], dx: [NaN, NaN, NaN] },
      geluTanh: { y: [Infinity, NaN, NaN], dx: [NaN, NaN, NaN] },
      sigmoid: { y: [1, 0, NaN], dx: [0, 0, NaN] },
      hardSigmoid: { y: [1, 0, NaN], dx: [0, 0, NaN] },
      tanh: { y: [1, -1, NaN], dx: [0, 0, NaN] },
      identity: { y: [Infinity, -Infinity, NaN], dx: [1, 1, 1] },
    };
    for (const kind of ACTIVATION_KINDS) {
      expectSameValues(activationForward(kind, new Float32Array(3), xs, 3), want[kind].y, `${kind} forward`);
      expectSameValues(activationBackward(kind, new Float32Array(3), Float32Array.of(1, 1, 1), xs, 3), want[kind].dx, `${kind} backward`);
    }
  });
});

// -----------------------------------------------------------------------------------------------
describe.each(KINDS)('%s kernels', (kind) => {
  const { fwd, bwd, kinks } = KERNELS[kind];
  const ref = REF[kind].f;

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
      const want = Float64Array.from(x, (v, i) => dy[i] * REF[kind].d(v));
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
      const db = padded(dy, o3, tail, OUTPUT_PAD);
      bwd(db, db, sb, n, o3, o3, o3);
      expectWrittenOnly(db, o3, denseDx, OUTPUT_PAD, 'dx in place');
    },
  );

  test('NaN propagates through the forward and the backward (the flat pieces of relu and hardSigmoid included)', () => {
    const out = fwd(new Float32Array(3), Float32Array.of(1, NaN, -1), 3);
    expect(out[1]).toBeNaN();
    expect(Number.isNaN(out[0]) || Number.isNaN(out[2])).toBe(false);
    const dx = bwd(new Float32Array(3), Float32Array.of(1, 1, 1), Float32Array.of(1, NaN, -1), 3);
    expect(dx[1]).toBeNaN();
    expect(Number.isNaN(dx[0]) || Number.isNaN(dx[2])).toBe(false);
  });
});

// -----------------------------------------------------------------------------------------------
describe('extreme inputs', () => {
  const F32_MAX = 3.4028234663852886e38;
  /** A float32 from where kernels break: +-0, subnormals, the normal boundary, |x| up to 1e4, NaN, +-Infinity. */
  const extreme = fc.oneof(
    fc.constantFrom(0, -0, 2 ** -149, -(2 ** -149), 1e-40, -1e-40, 2 ** -126, -(2 ** -126), 1e4, -1e4, NaN, Infinity, -Infinity),
    fc.float({ min: Math.fround(-1e-30), max: Math.fround(1e-30), noNaN: true }),
    fc.float({ min: -1e4, max: 1e4, noNaN: true }),
    fc.constantFrom(F32_MAX, -F32_MAX),
  );
  const extremeCase = fc
    .integer({ min: 1, max: 24 })
    .chain((n) =>
      fc.record({ x: fc.array(extreme, { minLength: n, maxLength: n }), dy: fc.array(fc.float({ min: -4, max: 4, noNaN: true }), { minLength: n, maxLength: n }) }),
    );

  test.prop([extremeCase, fc.constantFrom(...ACTIVATION_KINDS)], { numRuns: 300 })(
    'finite x (|x| up to float32 max, subnormals, +-0) matches the float64 closed forms to 1e-6 rel + 2^-149; NaN in x gives NaN out',
    ({ x: xa, dy: dya }, kind) => {
      const n = xa.length;
      const x = Float32Array.from(xa);
      const dy = Float32Array.from(dya);
      const out = activationForward(kind, new Float32Array(n), x, n);
      const dx = activationBackward(kind, new Float32Array(n), dy, x, n);
      for (let i = 0; i < n; i++) {
        const v = x[i];
        if (Number.isNaN(v)) {
          expect(out[i]).toBeNaN();
          if (kind === 'identity') expect(dx[i]).toBe(dy[i]); // its gradient does not read x
          else expect(dx[i]).toBeNaN();
          continue;
        }
        if (!Number.isFinite(v)) continue; // infinities: see 'PyTorch agreement'
        const wantY = REF[kind].f(v);
        const wantD = dy[i] * REF[kind].d(v);
        const tolY = REL * Math.abs(wantY) + F32_TINY;
        const tolD = REL * Math.abs(wantD) + F32_TINY;
        if (!(Math.abs(out[i] - wantY) <= tolY || out[i] === Math.fround(wantY))) {
          throw new Error(`${kind}(${v}) = ${out[i]}, expected ${wantY}`);
        }
        if (!(Math.abs(dx[i] - wantD) <= tolD || dx[i] === Math.fround(wantD))) {
          throw new Error(`${kind}'(${v}) * ${dy[i]} = ${dx[i]}, expected ${wantD}`);
        }
      }
    },
  );

  test('+-0 and subnormals: relu, hardSigmoid and both GELUs at the origin', () => {
    const x = Float32Array.of(0, -0, 2 ** -149, -(2 ** -149));
    const gelu = activationForward('gelu', new Float32Array(4), x, 4);
    // gelu(v) = v Phi(v) ~ v / 2 at the origin: the smallest subnormal halves to 0 (ties to even).
    expectSameValues(gelu, [0, -0, 0, -0], 'gelu near 0');
    const geluD = activationBackward('gelu', new Float32Array(4), new Float32Array(4).fill(2), x, 4);
    expect(Array.from(geluD)).toEqual([1, 1, 1, 1]);
    const relu = activationForward('relu', new Float32Array(4), x, 4);
    expectSameValues(relu, [0, 0, 2 ** -149, 0], 'relu near 0');
  });
});

// -----------------------------------------------------------------------------------------------
describe('activationForward / activationBackward dispatch', () => {
  test('ACTIVATION_KINDS lists every kind once, identity included', () => {
    expect([...ACTIVATION_KINDS].sort()).toEqual(['gelu', 'geluTanh', 'hardSigmoid', 'identity', 'relu', 'sigmoid', 'silu', 'tanh']);
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
      const x = awayFromKinks(x0, REF_KINKS);
      const dx = activationBackward(kind, new Float32Array(n), dy, x, n);
      const want = Float64Array.from(x, (v, i) => dy[i] * numericDeriv(REF[kind].f, v));
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

  test('sigmoid and tanh derivatives keep their relative precision where the functions saturate (float64 scalars)', () => {
    // s (1 - s) at 30 is exp(-30) (1 - 2 exp(-30) ...); 1 - tanh^2(20) = 4 exp(-40) (1 - 2 exp(-40) ...).
    near(ACTIVATIONS.sigmoid.backward(1, 30) / Math.exp(-30), 1, 1e-12);
    near(ACTIVATIONS.sigmoid.backward(1, -30) / Math.exp(-30), 1, 1e-12);
    near(ACTIVATIONS.tanh.backward(1, 20) / (4 * Math.exp(-40)), 1, 1e-12);
    near(ACTIVATIONS.tanh.backward(1, -20) / (4 * Math.exp(-40)), 1, 1e-12);
  });

  test("relu(NaN) is NaN, its gradient at NaN is NaN; relu'(0) = relu'(-0) = 0; relu'(tiny > 0) = 1", () => {
    const x = Float32Array.of(NaN, 0, -0, 1e-45, -1e-45);
    const out = reluForward(new Float32Array(5), x, 5);
    expect(out[0]).toBeNaN();
    expect(Array.from(out.subarray(1))).toEqual([0, 0, 1e-45, 0].map(Math.fround));
    const dx = reluBackward(new Float32Array(5), new Float32Array(5).fill(2), x, 5);
    expect(dx[0]).toBeNaN();
    expect(Array.from(dx.subarray(1))).toEqual([0, 0, 2, 0]);
  });

  test('relu and hardSigmoid gradients on their flat pieces are 0 even when dy is NaN or infinite', () => {
    const dy = Float32Array.of(NaN, Infinity, -Infinity);
    expect(Array.from(reluBackward(new Float32Array(3), dy, Float32Array.of(-1, 0, -5), 3))).toEqual([0, 0, 0]);
    expect(Array.from(hardSigmoidBackward(new Float32Array(3), dy, Float32Array.of(-3, 3, 7), 3))).toEqual([0, 0, 0]);
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

  test('silu and both GELUs at +-1e4: the value is x or 0 and the gradient 1 or 0, never NaN; +Infinity stays +Infinity', () => {
    const x = Float32Array.of(1e4, -1e4, Infinity);
    for (const [f, b] of [
      [siluForward, siluBackward],
      [geluForward, geluBackward],
      [geluTanhForward, geluTanhBackward],
    ] as const) {
      const out = f(new Float32Array(3), x, 3);
      expect(out[0]).toBe(1e4);
      expect(Math.abs(out[1])).toBe(0);
      expect(out[2]).toBe(Infinity);
      const dx = b(new Float32Array(2), Float32Array.of(1, 1), x, 2);
      expect(Array.from(dx, Math.abs)).toEqual([1, 0]);
    }
  });

  test('gelu keeps its relative precision in the lower tail, where 0.5 x (1 + erf(x / sqrt 2)) has no digits left', () => {
    // v Phi(v) and Phi(v) + v phi(v) from mpmath (40 digits): Phi(-10) = 7.619853024160525e-24,
    // Phi(-5) = 2.866515718791939e-07; Phi(-10) - 10 phi(-10) = -7.618400096464814e-22, Phi(-5) - 5 phi(-5) = -7.146946001792295e-06.
    const x = Float32Array.of(-10, -5);
    const out = geluForward(new Float32Array(2), x, 2);
    expectRelClose(out, [-10 * 7.619853024160525e-24, -5 * 2.866515718791939e-7], 'gelu tail');
    const dx = geluBackward(new Float32Array(2), Float32Array.of(1, 1), x, 2);
    expectRelClose(dx, [-7.618400096464814e-22, -7.146946001792295e-6], "gelu' tail");
  });

  test('geluTanh stays within the documented 5e-4 of the exact gelu on [-10, 10], and is not the exact form', () => {
    const n = 2001;
    const x = Float32Array.from({ length: n }, (_, i) => -10 + i / 100);
    const approx = geluTanhForward(new Float32Array(n), x, n);
    const exact = geluForward(new Float32Array(n), x, n);
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(approx[i] - exact[i]));
    expect(worst).toBeLessThan(5e-4);
    expect(worst).toBeGreaterThan(1e-4); // they are different functions
  });
});
