/**
 * softmaxCrossEntropy: a hand-worked case, its gradient against float64 central differences of an
 * independent float64 reference over random shapes (fast-check), stability for large logits, NaN,
 * and its argument errors.
 */
import { fc, test as propTest } from '@fast-check/jest';
import { SEOptionError, SEShapeError, SETypeError, Tape, linear, softmaxCrossEntropy } from '../src/core.js';
import { GRADIENT_ERROR_FLOOR, gradCheck, seededUniform, uniformFloat32 } from '../src/testing/index.js';
import { expectError } from './expectError.js';

/** Forward: one float32 rounding of a float64 value. */
const FORWARD_TOL = 2e-6;
/** Gradients: max abs error / max(max abs value, GRADIENT_ERROR_FLOOR). */
const GRAD_TOL = 2e-5;

/** Cross-entropy in float64, written from the definition: -log(exp(x_y) / sum_k exp(x_k)), averaged or summed. */
function crossEntropyReference(x: Float64Array, labels: readonly number[], B: number, K: number, reduction: 'mean' | 'sum'): number {
  let total = 0;
  for (let i = 0; i < B; i++) {
    let z = 0;
    for (let k = 0; k < K; k++) z += Math.exp(x[i * K + k]);
    total -= Math.log(Math.exp(x[i * K + labels[i]]) / z);
  }
  return reduction === 'mean' ? total / B : total;
}

describe('softmaxCrossEntropy', () => {
  test('hand-worked: two equal logits give ln 2 and gradient (p - onehot) / B', () => {
    const tape = new Tape();
    const x = tape.variable({ data: new Float32Array([0, 0, 1, 1]), shape: [2, 2] });
    const loss = softmaxCrossEntropy(x, [0, 1]);
    expect(loss.shape).toEqual([]);
    expect(loss.data[0]).toBeCloseTo(Math.LN2, 6);
    tape.backward(loss);
    expect(Array.from(x.grad!)).toEqual([-0.25, 0.25, 0.25, -0.25]);
  });

  propTest.prop([
    fc.integer({ min: 1, max: 6 }),
    fc.integer({ min: 1, max: 7 }),
    fc.constantFrom<'mean' | 'sum'>('mean', 'sum'),
    fc.integer({ min: 1, max: 1e9 }),
  ])('gradient against float64 central differences (random batch, classes, labels, reduction)', (B, K, reduction, seed) => {
    const rand = seededUniform(seed);
    const logits = { data: uniformFloat32(B * K, rand, -4, 4), shape: [B, K] };
    const labels = Array.from({ length: B }, () => Math.floor(rand() * K));
    const r = gradCheck(([x]) => softmaxCrossEntropy(x, labels, { reduction }), [logits], {
      reference: ([x]) => [crossEntropyReference(x, labels, B, K, reduction)],
      seed,
      tolerance: GRAD_TOL,
      forwardTolerance: FORWARD_TOL,
      floor: GRADIENT_ERROR_FLOOR,
    });
    if (!r.ok) throw new Error(r.message);
  });

  test('composes with linear: the gradient reaches the weights through the loss', () => {
    const rand = seededUniform(3);
    const x = { data: uniformFloat32(4 * 3, rand), shape: [4, 3] };
    const w = { data: uniformFloat32(5 * 3, rand), shape: [5, 3] };
    const labels = new Uint8Array([0, 4, 2, 2]);
    const r = gradCheck(([xv, wv]) => softmaxCrossEntropy(linear(xv, wv), labels), [x, w], {
      reference: ([xv, wv]) => {
        const z = new Float64Array(4 * 5);
        for (let i = 0; i < 4; i++) for (let o = 0; o < 5; o++) for (let k = 0; k < 3; k++) z[i * 5 + o] += xv[i * 3 + k] * wv[o * 3 + k];
        return [crossEntropyReference(z, Array.from(labels), 4, 5, 'mean')];
      },
      tolerance: GRAD_TOL,
      floor: GRADIENT_ERROR_FLOOR,
    });
    if (!r.ok) throw new Error(r.message);
  });

  test('large logits do not overflow (the row maximum is subtracted)', () => {
    const tape = new Tape();
    const x = tape.variable({ data: new Float32Array([1000, 0, -1000, 3000, 2999, 0]), shape: [2, 3] });
    const loss = softmaxCrossEntropy(x, [1, 1], { reduction: 'sum' });
    // Row 0: 1000 - 0 = 1000 (+ log(1 + e^-1000 + ...)); row 1: log(1 + e^1) - 0 + 1 = 1.3133.
    expect(loss.data[0]).toBeCloseTo(1000 + Math.log(1 + Math.E), 2);
    tape.backward(loss);
    expect(Array.from(x.grad!).every(Number.isFinite)).toBe(true);
  });

  test('NaN in a row makes the loss NaN', () => {
    const tape = new Tape();
    const x = tape.variable({ data: new Float32Array([0, NaN, 1, 2]), shape: [2, 2] });
    expect(softmaxCrossEntropy(x, [0, 1]).data[0]).toBeNaN();
  });

  test('labels are read once and copied: changing them after the call changes nothing', () => {
    const tape = new Tape();
    const x = tape.variable({ data: new Float32Array([2, 0, 0, 2]), shape: [2, 2] });
    const labels = new Int32Array([0, 1]);
    const loss = softmaxCrossEntropy(x, labels);
    labels[0] = 1;
    tape.backward(loss);
    expect(x.grad![0]).toBeLessThan(0);
  });

  test('argument errors name the function, the argument and both values', () => {
    const tape = new Tape();
    const x = tape.variable({ data: new Float32Array(6), shape: [2, 3] });
    expectError(() => softmaxCrossEntropy({} as never, [0, 1]), SETypeError, 'softmaxCrossEntropy', /logits must be a Variable/);
    const flat = tape.variable({ data: new Float32Array(6), shape: [6] });
    expectError(() => softmaxCrossEntropy(flat, [0]), SEShapeError, 'softmaxCrossEntropy', /\[batch, classes\]/, /\[6\]/);
    expectError(() => softmaxCrossEntropy(x, [0]), SEShapeError, 'softmaxCrossEntropy', /labels has length 1/, /2 rows/);
    expectError(() => softmaxCrossEntropy(x, [0, 3]), SEShapeError, 'softmaxCrossEntropy', /labels\[1\]/, /\[0, 2\]/, /3/);
    expectError(() => softmaxCrossEntropy(x, [0, 1.5]), SEShapeError, 'softmaxCrossEntropy', /labels\[1\]/, /1\.5/);
    expectError(() => softmaxCrossEntropy(x, [-1, 0]), SEShapeError, 'softmaxCrossEntropy', /labels\[0\]/);
    expectError(() => softmaxCrossEntropy(x, 'ab' as never), SETypeError, 'softmaxCrossEntropy', /labels must be an array/);
    expectError(() => softmaxCrossEntropy(x, [0, 1], { reduction: 'none' as never }), SEOptionError, 'softmaxCrossEntropy', /reduction/, /none/);
  });
});
