/**
 * The paper's SE integration strategies (standard, PRE, POST, Identity, inside the branch) as tape
 * residual units around a user branch: gradients of x, the SE parameters and the branch's own
 * parameters against float64 central differences of an independent float64 reference.
 */
import { fc, test as propTest } from '@fast-check/jest';
import {
  SEOptionError,
  SETypeError,
  Tape,
  mul,
  scale,
  seParamVariables,
  seResidualUnit,
  sum,
  tanh,
  type SEIntegration,
  type Variable,
} from '../src/core.js';
import {
  gradientError,
  numericGradient,
  params64,
  refOptions,
  relativeError,
  seReference,
  seededUniform,
  uniformFloat32,
  uniformSEParams,
} from '../src/testing/index.js';

const GRAD_TOL = 2e-5;
const STRATEGIES: SEIntegration[] = ['standard', 'pre', 'post', 'identity', 'inner'];

/** Float64 reference of one unit. Branch: head(v) = tanh(v * k1), tail(v) = v * k2 (elementwise). */
function referenceUnit(
  strategy: SEIntegration,
  post: 'relu' | 'identity',
  shape: number[],
  x: Float64Array,
  k1: Float64Array,
  k2: Float64Array,
  p: ReturnType<typeof params64>,
): { out: Float64Array; preActivation: Float64Array; seInner: Float64Array } {
  const o = refOptions();
  // The SE block's own pre-activations, to keep its relu away from the kink.
  let seInner: Float64Array = new Float64Array(0);
  const se = (v: Float64Array) => {
    const f = seReference(v, shape, p, o);
    seInner = f.a;
    return f.y;
  };
  const head = (v: Float64Array) => v.map((t, i) => Math.tanh(t * k1[i]));
  const tail = (v: Float64Array) => v.map((t, i) => t * k2[i]);
  const branch = (v: Float64Array) => tail(head(v));
  const act = (v: Float64Array) => (post === 'relu' ? v.map((t) => Math.max(t, 0)) : v);
  const plus = (a: Float64Array, b: Float64Array) => a.map((t, i) => t + b[i]);
  let pre: Float64Array;
  switch (strategy) {
    case 'standard':
      pre = plus(x, se(branch(x)));
      return { out: act(pre), preActivation: pre, seInner };
    case 'pre':
      pre = plus(x, branch(se(x)));
      return { out: act(pre), preActivation: pre, seInner };
    case 'post': {
      pre = plus(x, branch(x));
      const out = se(act(pre));
      return { out, preActivation: pre, seInner };
    }
    case 'identity':
      pre = plus(se(x), branch(x));
      return { out: act(pre), preActivation: pre, seInner };
    case 'inner':
      pre = plus(x, tail(se(head(x))));
      return { out: act(pre), preActivation: pre, seInner };
  }
}

describe('SE integration strategies', () => {
  propTest.prop(
    [
      fc.constantFrom(...STRATEGIES),
      fc.constantFrom('relu' as const, 'identity' as const),
      fc.integer({ min: 1, max: 2 }),
      fc.integer({ min: 2, max: 6 }),
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }),
      fc.integer({ min: 1, max: 1e9 }),
    ],
    { numRuns: 60 },
  )('tape gradients match float64 central differences', (strategy, post, N, C, spatial, seed) => {
    const rand = seededUniform(seed);
    const shape = [N, C, ...spatial];
    const size = shape.reduce((a, b) => a * b, 1);
    const x = uniformFloat32(size, rand, -1.5, 1.5);
    const k1 = uniformFloat32(size, rand, -1, 1);
    const k2 = uniformFloat32(size, rand, -1, 1);
    const params = uniformSEParams(C, 2, true, rand, 1);
    const w = uniformFloat32(size, rand, -1, 1);
    const p64 = params64(params);
    const vals = [x, k1, k2].map((a) => Float64Array.from(a));
    const ref = referenceUnit(strategy, post, shape, vals[0], vals[1], vals[2], p64);
    if (post === 'relu') fc.pre(ref.preActivation.every((v) => Math.abs(v) > 1e-3));
    fc.pre(ref.seInner.every((v) => Math.abs(v) > 1e-3)); // the relu inside the SE block

    const tape = new Tape();
    const xv = tape.variable({ data: x, shape });
    const k1v = tape.variable({ data: k1, shape });
    const k2v = tape.variable({ data: k2, shape });
    const pv = seParamVariables(tape, params);
    const head = (v: Variable) => tanh(mul(v, k1v));
    const tail = (v: Variable) => mul(v, k2v);
    const branch = strategy === 'inner' ? { head, tail } : (v: Variable) => tail(head(v));
    const out = seResidualUnit(xv, branch, pv, { strategy, postActivation: post });
    expect(relativeError(out.data, ref.out)).toBeLessThanOrEqual(2e-6);
    tape.backward(sum(mul(out, tape.constant({ data: w, shape }))));

    const loss = () => {
      const r = referenceUnit(strategy, post, shape, vals[0], vals[1], vals[2], p64).out;
      let l = 0;
      for (let i = 0; i < r.length; i++) l += r[i] * w[i];
      return l;
    };
    const checks: [string, Float32Array | null, Float64Array][] = [
      ['x', xv.grad, vals[0]],
      ['k1', k1v.grad, vals[1]],
      ['k2', k2v.grad, vals[2]],
      ['w1', pv.w1.grad, p64.w1],
      ['b1', pv.b1!.grad, p64.b1!],
      ['w2', pv.w2.grad, p64.w2],
      ['b2', pv.b2!.grad, p64.b2!],
    ];
    for (const [name, analytic, v] of checks) {
      const numeric = numericGradient(loss, v);
      const err = gradientError(analytic!, numeric);
      if (!(err <= GRAD_TOL)) throw new Error(`${strategy}/${post}: gradient of ${name} off by ${err}`);
    }
  });

  test('strategy checks', () => {
    const tape = new Tape();
    const x = tape.variable({ data: new Float32Array(8), shape: [1, 4, 2] });
    const p = seParamVariables(tape, uniformSEParams(4, 1, false, seededUniform(1)));
    expect(() => seResidualUnit(x, (v) => v, p, { strategy: 'middle' as SEIntegration })).toThrow(SEOptionError);
    expect(() => seResidualUnit(x, (v) => v, p, { strategy: 'inner' })).toThrow(/needs the branch split as \{ head, tail \}/);
    expect(() => seResidualUnit(x, 3 as unknown as (v: Variable) => Variable, p)).toThrow(SETypeError);
    expect(() => seResidualUnit(x, () => 1 as unknown as Variable, p)).toThrow(/branch must return a Variable/);
    expect(() => seResidualUnit(x, (v) => scale(v, 2), p, { postActivation: 'gelu' as 'relu' })).toThrow(/postActivation/);
  });
});
