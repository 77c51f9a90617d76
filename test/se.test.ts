/**
 * The fused seForward / seBackward against a hand-worked case and against the independent float64
 * reference (se-kernels/testing's seReference), with central-difference gradients, over random shapes.
 */
import { fc, test as propTest } from '@fast-check/jest';
import { createSEParams, seBackward, seForward } from '../src/core.js';
import {
  kinkMargin,
  params64,
  refOptions,
  relativeError,
  seCaseArbitrary,
  seReference,
  seReferenceGradients,
  seededCase,
  tieMargin,
} from '../src/testing/index.js';
import { expectGradientWithin, expectWithinBound, seForwardErrorBound, seGradientErrorBounds } from './tolerance.js';

/** Random sizes, spatial rank 1-3, bias on/off, the default variant. */
const defaultVariantCase = seCaseArbitrary({ options: {} });

/**
 * Forward agreement bound of the fixed, well-conditioned large-batch case below (the property
 * uses the per-element rounding bound of test/tolerance.ts instead).
 */
const FORWARD_TOL = 2e-6;
/**
 * Gradient bound relative to max(max |ref|, 0.05), the core issue's acceptance bound; it covers
 * the central differences' own error, and the case's float32 rounding bound is added to it.
 */
const GRAD_TOL = 2e-5;

describe('seForward / seBackward: hand-worked case', () => {
  // x: channel 0 = [1, 3], channel 1 = [2, 2]; so z = [2, 2].
  // a = 0.5*2 - 0.25*2 + 0.5 = 1, h = relu(1) = 1; g = [1, -1]; s = sigmoid(g).
  const x = { data: new Float32Array([1, 3, 2, 2]), shape: [1, 2, 2] };
  const params = {
    channels: 2,
    hidden: 1,
    w1: new Float32Array([0.5, -0.25]),
    b1: new Float32Array([0.5]),
    w2: new Float32Array([1, -1]),
    b2: new Float32Array([0, 0]),
  };
  const s0 = 1 / (1 + Math.exp(-1));
  const s1 = 1 / (1 + Math.exp(1));

  test('forward', () => {
    const { y } = seForward(x, params);
    const expected = [s0 * 1, s0 * 3, s1 * 2, s1 * 2];
    expect(y.shape).toEqual([1, 2, 2]);
    for (let i = 0; i < 4; i++) expect(y.data[i]).toBeCloseTo(expected[i], 6);
  });

  test('backward with a non-uniform dy', () => {
    const { cache } = seForward(x, params);
    const g = seBackward({ data: new Float32Array([1, 0, 0, 1]), shape: [1, 2, 2] }, cache);
    // ds = [1*1 + 0*3, 0*2 + 1*2] = [1, 2]; dg = ds * s(1-s), and s0(1-s0) = s1(1-s1).
    const d = s0 * (1 - s0);
    const dg = [1 * d, 2 * d];
    const dh = dg[0] * 1 + dg[1] * -1; // W2 = [[1], [-1]]
    const da = dh; // a = 1 > 0
    const dz = [da * 0.5, da * -0.25];
    const dx = [s0 * 1 + dz[0] / 2, s0 * 0 + dz[0] / 2, s1 * 0 + dz[1] / 2, s1 * 1 + dz[1] / 2];
    for (let i = 0; i < 4; i++) expect(g.dx.data[i]).toBeCloseTo(dx[i], 6);
    expect(g.dw2.data[0]).toBeCloseTo(dg[0], 6); // h = 1
    expect(g.dw2.data[1]).toBeCloseTo(dg[1], 6);
    expect(g.db2!.data[0]).toBeCloseTo(dg[0], 6);
    expect(g.db2!.data[1]).toBeCloseTo(dg[1], 6);
    expect(g.dw1.data[0]).toBeCloseTo(da * 2, 6);
    expect(g.dw1.data[1]).toBeCloseTo(da * 2, 6);
    expect(g.db1!.data[0]).toBeCloseTo(da, 6);
    expect(g.dw1.shape).toEqual([1, 2]);
    expect(g.dw2.shape).toEqual([2, 1]);
  });
});

describe('seForward against the float64 reference', () => {
  propTest.prop([defaultVariantCase], { numRuns: 150 })('default variant, rank 1-3, bias on/off', (c) => {
    const { y } = seForward(c.x, c.params, c.options);
    const p = params64(c.params);
    const o = refOptions(c.options);
    const ref = seReference(c.x.data, c.x.shape, p, o);
    expect(y.shape).toEqual(c.x.shape);
    // Random weights can cancel in the small layers; the per-element rounding bound follows that.
    expectWithinBound('y vs float64', y.data, ref.y, seForwardErrorBound(c.x.data, c.x.shape, p, o, ref));
  });

  test('a large batch at the standard shape (8, 64, 7, 7), r = 16', () => {
    const p = createSEParams({ channels: 64, seed: 5 });
    const x = new Float32Array(8 * 64 * 49).map((_, i) => Math.sin(i * 0.37) * 3);
    const { y } = seForward({ data: x, shape: [8, 64, 7, 7] }, p);
    const ref = seReference(x, [8, 64, 7, 7], params64(p), { layout: 'channels-first', squeeze: 'avg', activation: 'relu', gate: 'sigmoid' });
    expect(relativeError(y.data, ref.y)).toBeLessThanOrEqual(FORWARD_TOL);
  });
});

describe('seBackward against float64 central differences', () => {
  propTest.prop([defaultVariantCase], { numRuns: 80 })('default variant, rank 1-3, bias on/off', (c) => {
    const o = refOptions(c.options);
    const f = seReference(c.x.data, c.x.shape, params64(c.params), o);
    // Keep away from relu's kink: finite differences are meaningless there.
    fc.pre(kinkMargin(f, o) > 1e-3 && tieMargin(f, o) > 1e-3);
    const { cache } = seForward(c.x, c.params, c.options);
    const g = seBackward(c.dy, cache);
    const num = seReferenceGradients(c.x.data, c.x.shape, c.params, o, Float64Array.from(c.dy.data));
    // GRAD_TOL covers the central differences' own error; the case's float32 rounding bound is added.
    const b = seGradientErrorBounds(c.x.data, c.dy.data, c.x.shape, params64(c.params), o, f);
    expectGradientWithin('dx', g.dx.data, num.dx, GRAD_TOL, b.dx);
    expectGradientWithin('dw1', g.dw1.data, num.dw1, GRAD_TOL, b.dw1);
    expectGradientWithin('dw2', g.dw2.data, num.dw2, GRAD_TOL, b.dw2);
    expect(g.db1 === null).toBe(num.db1 === null);
    expect(g.db2 === null).toBe(num.db2 === null);
    if (g.db1 !== null && num.db1 !== null && b.db1 !== null) expectGradientWithin('db1', g.db1.data, num.db1, GRAD_TOL, b.db1);
    if (g.db2 !== null && num.db2 !== null && b.db2 !== null) expectGradientWithin('db2', g.db2.data, num.db2, GRAD_TOL, b.db2);
  });

  test('a cache can be used for several backward passes with the same results', () => {
    const c = seededCase({ N: 2, C: 6, R: 3, spatial: [3, 2], bias: true, seed: 11 });
    const { cache } = seForward(c.x, c.params);
    const a = seBackward(c.dy, cache);
    const b = seBackward(c.dy, cache);
    expect(b.dx.data).toEqual(a.dx.data);
    expect(b.dw1.data).toEqual(a.dw1.data);
  });
});

describe('inputs are never modified', () => {
  propTest.prop([seCaseArbitrary()], { numRuns: 60 })('x, params and dy are unchanged', (c) => {
    const arrays = () => [c.x.data, c.dy.data, c.params.w1, c.params.w2, c.params.b1, c.params.b2];
    const snapshot = arrays().map((a) => (a === null ? null : a.slice()));
    const { cache } = seForward(c.x, c.params, c.options);
    seBackward(c.dy, cache);
    expect(arrays()).toEqual(snapshot);
  });
});
