/** `se-kernels/testing`: gradCheck and the fast-check arbitraries, including the README example. */
import { fc, test as propTest } from '@fast-check/jest';
import { Tape, add, mul, relu, seBackward, seForward, seParamVariables, sigmoid, squeezeExcitation, sum, tanh, type Variable } from '../src/core.js';
import {
  gradCheck,
  params64,
  refOptions,
  gradientError, relativeError,
  seCaseArbitrary,
  seReference,
  kinkMargin,
  tieMargin,
  seReferenceGradients,
} from '../src/testing/index.js';

describe('gradCheck', () => {
  const x = { data: new Float32Array([0.3, -1.2, 2.0, 0.7, -0.4, 1.1]), shape: [2, 3] };
  const w = { data: new Float32Array([0.5, -0.25, 1.5, -1, 0.2, 0.9]), shape: [2, 3] };

  test('passes for a correct gradient, with a float64 reference', () => {
    const r = gradCheck(([a, b]) => mul(tanh(a), b), [x, w], {
      reference: ([a, b]) => a.map((v, i) => Math.tanh(v) * b[i]),
      names: ['x', 'w'],
    });
    expect(r.ok).toBe(true);
    expect(r.maxError).toBeLessThan(2e-5);
    expect(r.inputs.map((i) => i.name)).toEqual(['x', 'w']);
    expect(r.message).toMatch(/^gradCheck passed: worst is (x|w) element \[\d, \d\]/);
  });

  test('passes without a reference (differencing the float32 tape forward, looser bound)', () => {
    const r = gradCheck(([a, b]) => add(sigmoid(a), mul(a, b)), [x, w]);
    expect(r.ok).toBe(true);
    expect(r.tolerance).toBe(1e-2);
  });

  test('finds a wrong backward and names the worst element', () => {
    // A user op whose backward is off by a factor 2 on element [1, 0].
    const square = (v: Variable): Variable =>
      v.tape.record('square', [v], v.data.map((t) => t * t), v.shape, [v.data], (dy, [vd]) => [
        dy.map((g, i) => (i === 3 ? 4 : 2) * vd[i] * g),
      ]);
    const r = gradCheck(([a]) => square(a), [x], { reference: ([a]) => a.map((v) => v * v), names: ['x'] });
    expect(r.ok).toBe(false);
    expect(r.inputs[0].worst.index).toEqual([1, 0]);
    expect(r.message).toMatch(/^gradCheck FAILED: worst is x element \[1, 0\]: analytic .* vs numeric .* \(relative error .* > tolerance 0\.00002\)/);
  });

  test('checks an SE block inside a residual unit (the README example)', () => {
    const xs = { data: new Float32Array(2 * 4 * 3).map((_, i) => Math.sin(i + 0.5) * 1.5), shape: [2, 4, 3] };
    const params = { channels: 4, hidden: 2, w1: new Float32Array([0.5, -0.4, 0.3, 0.9, -0.7, 0.2, 0.6, -0.1]), b1: new Float32Array([0.1, -0.2]), w2: new Float32Array([0.3, -0.6, 0.8, 0.1, -0.5, 0.4, 0.2, 0.7]), b2: null };
    const r = gradCheck(
      ([v]) => {
        const p = seParamVariables(v.tape, params);
        return relu(add(v, squeezeExcitation(v, p)));
      },
      [xs],
      {
        reference: ([v]) => {
          const y = seReference(v, xs.shape, params64(params), refOptions()).y;
          return v.map((t, i) => Math.max(0, t + y[i]));
        },
      },
    );
    expect(r.message).toMatch(/passed/);
  });
});

describe('arbitraries', () => {
  // The README's property-test example: the fused block against the float64 reference.
  propTest.prop([seCaseArbitrary()], { numRuns: 60 })('seCaseArbitrary drives fused-vs-reference properties', ({ x, dy, params, options }) => {
    const ref = seReference(x.data, x.shape, params64(params), refOptions(options));
    // Away from kinks and ties, and from cancellation (fast-check's floats like exact edge values).
    fc.pre(kinkMargin(ref, refOptions(options)) > 1e-3 && tieMargin(ref, refOptions(options)) > 1e-3 && ref.condition < 30);
    const { y, cache } = seForward(x, params, options);
    expect(relativeError(y.data, ref.y)).toBeLessThanOrEqual(2e-5);
    const g = seBackward(dy, cache);
    const num = seReferenceGradients(x.data, x.shape, params, refOptions(options), Float64Array.from(dy.data));
    expect(gradientError(g.dx.data, num.dx)).toBeLessThanOrEqual(2e-5);
  });

  propTest.prop([seCaseArbitrary({ maxChannels: 3, options: { layout: 'channels-last' } })], { numRuns: 30 })('constraints are respected', ({ x, params }) => {
    expect(x.shape[x.shape.length - 1]).toBe(params.channels);
    expect(params.channels).toBeLessThanOrEqual(3);
    expect(x.data.every((v) => Math.abs(v) <= 2)).toBe(true);
  });

  test('tape composition with arbitrary-made inputs', () => {
    fc.assert(
      fc.property(seCaseArbitrary({ maxBatch: 1, maxChannels: 3 }), ({ x, params, options }) => {
        const t = new Tape();
        const y = squeezeExcitation(t.variable(x), seParamVariables(t, params), options);
        t.backward(sum(y));
        return y.shape.join() === x.shape.join();
      }),
      { numRuns: 20 },
    );
  });
});
