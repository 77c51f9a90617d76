/**
 * Every combination of squeeze x activation x gate x layout, fused and on the tape: forward against
 * the float64 reference, gradients against float64 central differences, the fused seBackward
 * against the composed tape graph's gradients for the same block, and the fused tape op
 * (`squeezeExcitation`) bit for bit against seForward/seBackward.
 */
import { fc, test as propTest } from '@fast-check/jest';
import { Tape, mul, seBackward, seForward, seParamVariables, squeezeExcitation, squeezeExcitationComposed, sum, type SEOptions } from '../src/core.js';
import {
  kinkMargin,
  params64,
  refOptions,
  seCaseArbitrary,
  seReference,
  seReferenceGradients,
  seededCase,
  tieMargin,
  type SECaseSample,
} from '../src/testing/index.js';
import { expectGradientWithin, expectWithinBound, seForwardErrorBound, seGradientErrorBounds } from './tolerance.js';

/**
 * Gradients against float64 central differences: this relative part (of max(max |ref|, 0.05), as
 * gradientError) covers the central differences' own truncation and rounding; the case's float32
 * rounding bound (seGradientErrorBounds, which grows where the small layers cancel) is added.
 */
const GRAD_TOL = 2e-5;

function tapeGradients(c: SECaseSample, op: typeof squeezeExcitation) {
  const tape = new Tape();
  const x = tape.variable(c.x);
  const p = seParamVariables(tape, c.params);
  const y = op(x, p, c.options);
  tape.backward(sum(mul(y, tape.constant(c.dy))));
  return { y: y.data, dx: x.grad!, dw1: p.w1.grad!, db1: p.b1?.grad ?? null, dw2: p.w2.grad!, db2: p.b2?.grad ?? null };
}

/** True when the case is far enough from kinks and max ties for finite differences to mean something. */
function smooth(c: SECaseSample): boolean {
  const o = refOptions(c.options);
  const f = seReference(c.x.data, c.x.shape, params64(c.params), o);
  return kinkMargin(f, o) > 1e-3 && tieMargin(f, o) > 1e-3;
}

function checkAll(c: SECaseSample): void {
  const o = refOptions(c.options);
  const p = params64(c.params);
  const ref = seReference(c.x.data, c.x.shape, p, o);
  // Per element, from the reference's magnitudes (test/tolerance.ts): a fixed relative bound on y
  // fails by chance where the small layers cancel (issue 15's counterexample below).
  const bound = seForwardErrorBound(c.x.data, c.x.shape, p, o, ref);
  const { y, cache } = seForward(c.x, c.params, c.options);
  expectWithinBound('fused y vs float64', y.data, ref.y, bound);
  const fused = seBackward(c.dy, cache);
  const tape = tapeGradients(c, squeezeExcitationComposed);
  expectWithinBound('tape y vs float64', tape.y, ref.y, bound);
  const op = tapeGradients(c, squeezeExcitation);
  expect(Array.from(op.y)).toEqual(Array.from(y.data));
  for (const k of ['dx', 'dw1', 'dw2'] as const) expect(Array.from(op[k])).toEqual(Array.from(fused[k].data));
  expect(op.db1 === null ? null : Array.from(op.db1)).toEqual(fused.db1 === null ? null : Array.from(fused.db1.data));
  const num = seReferenceGradients(c.x.data, c.x.shape, c.params, o, Float64Array.from(c.dy.data));
  const bounds = seGradientErrorBounds(c.x.data, c.dy.data, c.x.shape, p, o, ref);
  const pairs: [string, ArrayLike<number> | undefined, ArrayLike<number> | null, ArrayLike<number> | null, Float64Array | null][] = [
    ['dx', fused.dx.data, tape.dx, num.dx, bounds.dx],
    ['dw1', fused.dw1.data, tape.dw1, num.dw1, bounds.dw1],
    ['dw2', fused.dw2.data, tape.dw2, num.dw2, bounds.dw2],
    ['db1', fused.db1?.data, tape.db1, num.db1, bounds.db1],
    ['db2', fused.db2?.data, tape.db2, num.db2, bounds.db2],
  ];
  for (const [name, f, t, n, b] of pairs) {
    if (n === null || b === null) {
      expect([name, f, t, n, b]).toEqual([name, undefined, null, null, null]);
      continue;
    }
    expectGradientWithin(`${name} fused vs numeric`, f!, n, GRAD_TOL, b);
    expectGradientWithin(`${name} tape vs numeric`, t!, n, GRAD_TOL, b);
    // Same kernels summed in different orders: each is within b of the exact gradient.
    expectWithinBound(`${name} fused vs tape`, f!, t!, b.map((v) => 2 * v));
  }
}

// Written out here rather than taken from the library's lists, so a variant dropped there fails here.
const LAYOUTS = ['channels-first', 'channels-last'] as const;
const SQUEEZES = ['avg', 'max', 'avgmax'] as const;
const ACTIVATIONS = ['relu', 'silu', 'gelu', 'geluTanh', 'identity'] as const;
const GATES = ['sigmoid', 'hardSigmoid', 'tanh', 'relu', 'identity'] as const;

const combos: SEOptions[] = [];
for (const layout of LAYOUTS)
  for (const squeeze of SQUEEZES)
    for (const activation of ACTIVATIONS) for (const gate of GATES) combos.push({ layout, squeeze, activation, gate });

describe('every variant combination', () => {
  test.each(combos.map((o) => [`${o.layout} ${o.squeeze} ${o.activation} ${o.gate}`, o] as const))('%s', (_name, options) => {
    // Several seeded cases per combination (rank 1-3, bias on and off); skip the ones that land on a kink.
    let checked = 0;
    for (let seed = 1; checked < 3 && seed < 60; seed++) {
      const rank = 1 + (seed % 3);
      const spatial = [3, 2, 2].slice(0, rank);
      const c = seededCase({ N: 2, C: 5, R: 3, spatial, bias: seed % 2 === 0, seed: seed * 7919, options });
      if (!smooth(c)) continue;
      checkAll(c);
      checked++;
    }
    expect(checked).toBe(3);
  });
});

describe('random variants and shapes', () => {
  propTest.prop([seCaseArbitrary()], { numRuns: 120 })('fused = tape = float64 reference', (c) => {
    fc.pre(smooth(c));
    checkAll(c);
  });
});

describe('regression cases', () => {
  test('issue 15: fast-check seed 375140247, cancelling gate input (tanh gate, gelu, max squeeze, channels-last)', () => {
    // relativeError(y, ref) was 2.0047e-6 against the old fixed 2e-6: g of the second channel is a
    // sum of terms ~0.3 that cancels to ~1e-2, and the tanh gate passes its rounding on at slope 1.
    const t = (data: number[], shape: number[]) => ({ data: Float32Array.from(data), shape, stride: [4, 2, 1], offset: 0 });
    const c: SECaseSample = {
      x: t([0, 0, 0.35146450996398926, 0.7664577960968018], [1, 2, 2]),
      dy: t([0, 0, 0, 0], [1, 2, 2]),
      params: {
        channels: 2,
        hidden: 4,
        w1: Float32Array.from([0.002772212028503418, -0.8313677310943604, -0.5000598430633545, -0.14267277717590332, 0, 0, 0.5171403884887695, 0.08343863487243652]),
        b1: Float32Array.from([0.26986968517303467, 0, 0, 0.352317750453949]),
        w2: Float32Array.from([-0.0974578857421875, 0.184486985206604, -0.21792221069335938, 0.00788414478302002, -0.9901720285415649, 0.7079695463180542, 0, 0.7405575513839722]),
        b2: Float32Array.from([0, -0.3828611373901367]),
      },
      options: { layout: 'channels-last', squeeze: 'max', activation: 'gelu', gate: 'tanh' },
    };
    const o = refOptions(c.options);
    const ref = seReference(c.x.data, c.x.shape, params64(c.params), o);
    expect(ref.condition).toBeGreaterThan(10); // the case really cancels
    expect(smooth(c)).toBe(true);
    checkAll(c);
  });
});
