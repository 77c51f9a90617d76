/**
 * `se-kernels/testing`: gradCheck, numericGradient, the seeded generators, the fast-check
 * arbitraries (including the README example) and the float64 nonlinearities against the kernel
 * tests' independently written ones.
 */
import { fc, test as propTest } from '@fast-check/jest';
import {
  SEError,
  SEOptionError,
  SEShapeError,
  SETypeError,
  Tape,
  add,
  mul,
  relu,
  seBackward,
  seForward,
  seParamVariables,
  sigmoid,
  squeezeExcitation,
  sum,
  tanh,
  type Variable,
} from '../src/core.js';
import {
  GRADIENT_ERROR_FLOOR,
  float32ValuesArbitrary,
  gradCheck,
  kinkMargin,
  nonlinearity,
  numericGradient,
  params64,
  refOptions,
  relativeError,
  seCaseArbitrary,
  seOptionsArbitrary,
  seReference,
  seReferenceGradients,
  seededCase,
  seededUniform,
  tieMargin,
  uniformFloat32,
  uniformSEParams,
} from '../src/testing/index.js';
import { expectGradientWithin, expectWithinBound, seForwardErrorBound, seGradientErrorBounds } from './tolerance.js';
import { refActivation } from './kernelReference.js';

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

  test('reports the forward error against the reference, and fails on a forward that differs', () => {
    const good = gradCheck(([a]) => tanh(a), [x], { reference: ([a]) => a.map(Math.tanh) });
    expect(good.forwardError).not.toBeNull();
    expect(good.forwardError!).toBeLessThanOrEqual(1e-7); // one float32 rounding of tanh
    expect(good.message).toMatch(/; forward error .* <= forward tolerance 0\.00002$/);
    // A reference that differs from the op only by a constant: same gradients, wrong forward.
    const shifted = gradCheck(([a]) => tanh(a), [x], { reference: ([a]) => a.map((v) => Math.tanh(v) + 1e-3) });
    expect(shifted.maxError).toBeLessThan(2e-5);
    expect(shifted.ok).toBe(false);
    expect(shifted.message).toMatch(/^gradCheck FAILED: .*<= tolerance 0\.00002\); forward error .* > forward tolerance 0\.00002$/);
    expect(gradCheck(([a]) => tanh(a), [x], { reference: ([a]) => a.map((v) => Math.tanh(v) + 1e-3), forwardTolerance: 1e-2 }).ok).toBe(true);
    // Without a reference there is nothing to compare the forward with.
    expect(gradCheck(([a]) => tanh(a), [x]).forwardError).toBeNull();
  });

  test('floor: below it the gradient error is absolute', () => {
    // d/dx of sum(w * x * 1e-4) is 1e-4 * w: an analytic gradient off by 1e-9 is a 1e-5 relative error at
    // the default floor (1e-6), and 2e-8 of GRADIENT_ERROR_FLOOR (0.05).
    const tiny = (v: Variable): Variable =>
      v.tape.record('tiny', [v], v.data.map((t) => t * 1e-4), v.shape, [], (dy) => [dy.map((g) => g * 1e-4 + 1e-9)]);
    const reference = ([a]: Float64Array[]) => a.map((t) => t * 1e-4);
    const strict = gradCheck(([a]) => tiny(a), [x], { reference });
    const loose = gradCheck(([a]) => tiny(a), [x], { reference, floor: GRADIENT_ERROR_FLOOR });
    expect(strict.maxError).toBeGreaterThan(1e-6);
    expect(loose.maxError).toBeLessThan(1e-7);
    expect(strict.ok).toBe(true); // 1e-9 / max(|1e-4 w|) is still below 2e-5 here
  });

  test('the upstream gradient is uniformFloat32(size, seededUniform(seed), -1, 1)', () => {
    // For an identity op the analytic gradient is the upstream gradient itself.
    const ident = ([a]: Variable[]) => mul(a, a.tape.constant({ data: new Float32Array(6).fill(1), shape: [2, 3] }));
    for (const seed of [1, 7, 123456]) {
      const r = gradCheck(ident, [x], { reference: ([a]) => a, seed });
      const w = uniformFloat32(6, seededUniform(seed), -1, 1);
      const worst = r.inputs[0].worst;
      expect(worst.analytic).toBe(w[worst.index[0] * 3 + worst.index[1]]);
      expect(r.ok).toBe(true);
    }
  });

  test('rejects bad options with typed errors naming them', () => {
    const build = ([a]: Variable[]) => tanh(a);
    expect(() => gradCheck(build, [x], { floor: 0 })).toThrow(SEOptionError);
    expect(() => gradCheck(build, [x], { floor: 0 })).toThrow(/^gradCheck: options\.floor must be a positive finite number but is 0/);
    expect(() => gradCheck(build, [x], { forwardTolerance: -1 })).toThrow(/options\.forwardTolerance/);
    expect(() => gradCheck(build, [x], { seed: 1.5 })).toThrow(/^gradCheck: options\.seed must be a safe integer but is 1\.5/);
    expect(() => gradCheck(build, [x], { names: 'x' as unknown as string[] })).toThrow(SETypeError);
  });
});

describe('numericGradient', () => {
  test('central differences with a fixed step; v is restored', () => {
    // f(v) = sum v^3: the central difference is 3 v^2 + h^2 exactly (up to rounding).
    const v = Float64Array.of(2, -100);
    const g = numericGradient((p) => p[0] ** 3 + p[1] ** 3, v, 1e-2);
    expect(Array.from(v)).toEqual([2, -100]);
    expect(g[0]).toBeCloseTo(12 + 1e-4, 9);
    expect(g[1]).toBeCloseTo(30000 + 1e-4, 6);
  });

  test('relativeStep: the step is eps * max(1, |v[i]|)', () => {
    const v = Float64Array.of(0.5, -100);
    const g = numericGradient((p) => p[0] ** 3 + p[1] ** 3, v, 1e-2, { relativeStep: true });
    expect(g[0]).toBeCloseTo(0.75 + 1e-4, 7); // h = 1e-2 (f's -1e6 costs ~1e-8 of rounding)
    expect(g[1]).toBeCloseTo(30000 + 1, 6); // h = 1
  });

  test('a closure that reads the vector directly still works (the old signature)', () => {
    const v = Float64Array.of(1, 2, 3);
    const g = numericGradient(() => v[0] * v[1] * v[2], v);
    expect(relativeError(g, [6, 3, 2])).toBeLessThan(1e-8);
  });

  test('v is restored when f throws; arguments are checked', () => {
    const v = Float64Array.of(1, 2);
    expect(() =>
      numericGradient((p) => {
        if (p[1] !== 2) throw new Error('boom');
        return p[0];
      }, v),
    ).toThrow('boom');
    expect(Array.from(v)).toEqual([1, 2]);
    expect(() => numericGradient(() => 0, [1, 2] as unknown as Float64Array)).toThrow(/^numericGradient: v must be a Float64Array/);
    expect(() => numericGradient(() => 0, v, 0)).toThrow(SEOptionError);
    expect(() => numericGradient(() => 0, v, 1e-6, { relativeStep: 1 as unknown as boolean })).toThrow(SETypeError);
    expect(() => numericGradient(3 as unknown as () => number, v)).toThrow(SETypeError);
  });
});

describe('seeded data', () => {
  test('seededUniform: the LCG s -> 1664525 s + 1013904223 mod 2^32, divided by 2^32', () => {
    const rand = seededUniform(1);
    let s = 1n;
    for (let i = 0; i < 5; i++) {
      s = (1664525n * s + 1013904223n) % 2n ** 32n;
      expect(rand()).toBe(Number(s) / 2 ** 32);
    }
    expect(seededUniform(1)()).toBe(1015568748 / 2 ** 32); // 1664525 + 1013904223
    expect(seededUniform(0)()).toBe(seededUniform(1)()); // 0 counts as 1
    expect(seededUniform(-1)()).toBe(seededUniform(2 ** 32 - 1)()); // modulo 2^32
    expect(seededUniform(5)()).not.toBe(seededUniform(6)());
    expect(() => seededUniform(0.5)).toThrow(/^seededUniform: seed must be a safe integer but is 0\.5/);
    expect(() => seededUniform('1' as unknown as number)).toThrow(SETypeError);
  });

  test('uniformFloat32 draws lo + (hi - lo) * rand() in order', () => {
    const a = uniformFloat32(50, seededUniform(9), -2, 3);
    const r = seededUniform(9);
    expect(Array.from(a)).toEqual(Array.from({ length: 50 }, () => Math.fround(-2 + 5 * r())));
    expect(a.every((v) => v >= -2 && v <= 3)).toBe(true);
    expect(uniformFloat32(0, seededUniform(1)).length).toBe(0);
    expect(() => uniformFloat32(-1, seededUniform(1))).toThrow(SEShapeError);
    expect(() => uniformFloat32(3, seededUniform(1), 1, 1)).toThrow(/^uniformFloat32: lo must be below hi but lo is 1 and hi is 1/);
    expect(() => uniformFloat32(3, 7 as unknown as () => number)).toThrow(/^uniformFloat32: rand must be a function/);
  });

  test('uniformSEParams draws w1, b1, w2, b2 in that order', () => {
    const p = uniformSEParams(3, 2, true, seededUniform(4), 0.5);
    const r = seededUniform(4);
    expect(p.w1).toEqual(uniformFloat32(6, r, -0.5, 0.5));
    expect(p.b1).toEqual(uniformFloat32(2, r, -0.5, 0.5));
    expect(p.w2).toEqual(uniformFloat32(6, r, -0.5, 0.5));
    expect(p.b2).toEqual(uniformFloat32(3, r, -0.5, 0.5));
    const q = uniformSEParams(3, 2, false, seededUniform(4));
    expect([q.channels, q.hidden, q.b1, q.b2, q.w1.length, q.w2.length]).toEqual([3, 2, null, null, 6, 6]);
    expect(() => uniformSEParams(0, 2, true, seededUniform(1))).toThrow(/^uniformSEParams: channels must be an integer from 1/);
    expect(() => uniformSEParams(3, 2, 'yes' as unknown as boolean, seededUniform(1))).toThrow(SETypeError);
  });

  test('seededCase: x, then the parameters, then dy from one seed; shapes by layout', () => {
    const c = seededCase({ N: 2, C: 3, R: 2, spatial: [4, 1], bias: true, options: { layout: 'channels-last', gate: 'tanh' }, seed: 12 });
    expect(c.x.shape).toEqual([2, 4, 1, 3]);
    expect(c.x.stride).toEqual([12, 3, 3, 1]);
    expect(c.dy.shape).toEqual(c.x.shape);
    expect(c.options).toEqual({ layout: 'channels-last', squeeze: 'avg', activation: 'relu', gate: 'tanh' });
    const r = seededUniform(12);
    expect(c.x.data).toEqual(uniformFloat32(24, r, -2, 2));
    expect(c.params).toEqual(uniformSEParams(3, 2, true, r));
    expect(c.dy.data).toEqual(uniformFloat32(24, r, -1, 1));
    expect(seededCase({ N: 1, C: 2, R: 1, spatial: [3], bias: false, seed: 1 }).x.shape).toEqual([1, 2, 3]);
    // Equal specs give equal cases; seForward accepts them.
    const again = seededCase({ N: 2, C: 3, R: 2, spatial: [4, 1], bias: true, options: { layout: 'channels-last', gate: 'tanh' }, seed: 12 });
    expect(again).toEqual(c);
    expect(seForward(c.x, c.params, c.options).y.shape).toEqual(c.x.shape);
  });

  test('seededCase rejects bad specs with typed errors naming the field', () => {
    const ok = { N: 1, C: 2, R: 1, spatial: [3], bias: true, seed: 1 };
    expect(() => seededCase({ ...ok, spatial: [1, 1, 1, 1] })).toThrow(/^seededCase: spec\.spatial must have 1 to 3 sizes but has 4/);
    expect(() => seededCase({ ...ok, N: 0 })).toThrow(/^seededCase: spec\.N must be an integer from 1/);
    expect(() => seededCase({ ...ok, options: { activation: 'swish' as 'relu' } })).toThrow(SEOptionError);
    expect(() => seededCase({ ...ok, seed: Number.NaN })).toThrow(SEOptionError);
    expect(() => seededCase(null as unknown as typeof ok)).toThrow(SETypeError);
    for (const bad of [{ ...ok, C: 2.5 }, { ...ok, spatial: 3 as unknown as number[] }, { ...ok, bias: 1 as unknown as boolean }]) {
      expect(() => seededCase(bad)).toThrow(SEError);
    }
  });
});

describe('the float64 nonlinearities', () => {
  test("nonlinearity(kind) agrees with the kernel tests' independently written refActivation for every kind", () => {
    const kinds = ['relu', 'sigmoid', 'silu', 'gelu', 'geluTanh', 'tanh', 'hardSigmoid', 'identity'] as const;
    for (const kind of kinds) {
      for (let v = -30; v <= 30; v += 0.37) {
        const a = nonlinearity(kind, v);
        const b = refActivation[kind](v);
        if (!(Math.abs(a - b) <= 1e-13 * Math.abs(b) + 1e-300)) throw new Error(`${kind}(${v}): ${a} vs ${b}`);
      }
    }
  });
});

describe('arbitraries', () => {
  // The README's property-test example: the fused block against the float64 reference.
  propTest.prop([seCaseArbitrary()], { numRuns: 60 })('seCaseArbitrary drives fused-vs-reference properties', ({ x, dy, params, options }) => {
    const o = refOptions(options);
    const p = params64(params);
    const ref = seReference(x.data, x.shape, p, o);
    // Away from kinks and ties (fast-check's floats like exact edge values). Cancellation is not
    // excluded: the per-element rounding bounds of test/tolerance.ts grow with it.
    fc.pre(kinkMargin(ref, o) > 1e-3 && tieMargin(ref, o) > 1e-3);
    const { y, cache } = seForward(x, params, options);
    expectWithinBound('y vs float64', y.data, ref.y, seForwardErrorBound(x.data, x.shape, p, o, ref));
    const g = seBackward(dy, cache);
    const num = seReferenceGradients(x.data, x.shape, params, o, Float64Array.from(dy.data));
    // 2e-5 of max(max |ref|, 0.05) for the central differences' own error, plus the rounding bound.
    expectGradientWithin('dx vs numeric', g.dx.data, num.dx, 2e-5, seGradientErrorBounds(x.data, dy.data, x.shape, p, o, ref).dx);
  });

  propTest.prop([seCaseArbitrary({ maxChannels: 3, options: { layout: 'channels-last' } })], { numRuns: 30 })('constraints are respected', ({ x, params, options }) => {
    expect(x.shape[x.shape.length - 1]).toBe(params.channels);
    expect(params.channels).toBeLessThanOrEqual(3);
    expect(x.data.every((v) => Math.abs(v) <= 2)).toBe(true);
    expect(options).toEqual({ layout: 'channels-last', squeeze: 'avg', activation: 'relu', gate: 'sigmoid' });
  });

  test('seOptionsArbitrary draws every layout, squeeze, activation (geluTanh included) and gate', () => {
    const seen = { layout: new Set<string>(), squeeze: new Set<string>(), activation: new Set<string>(), gate: new Set<string>() };
    for (const o of fc.sample(seOptionsArbitrary(), { numRuns: 400, seed: 1 })) {
      seen.layout.add(o.layout!);
      seen.squeeze.add(o.squeeze!);
      seen.activation.add(o.activation!);
      seen.gate.add(o.gate!);
    }
    expect([...seen.layout].sort()).toEqual(['channels-first', 'channels-last']);
    expect([...seen.squeeze].sort()).toEqual(['avg', 'avgmax', 'max']);
    expect([...seen.activation].sort()).toEqual(['gelu', 'geluTanh', 'identity', 'relu', 'silu']);
    expect([...seen.gate].sort()).toEqual(['hardSigmoid', 'identity', 'relu', 'sigmoid', 'tanh']);
  });

  test('float32ValuesArbitrary spreads its values over the range (not mostly tiny), within the bounds, no -0', () => {
    const values = fc.sample(float32ValuesArbitrary(20, 1.5), { numRuns: 200, seed: 3 }).flatMap((a) => Array.from(a));
    expect(values.every((v) => Math.abs(v) <= 1.5 && !Object.is(v, -0))).toBe(true);
    const share = (p: (v: number) => boolean) => values.filter(p).length / values.length;
    // Uniform on [-1.5, 1.5] would give 1/2 and 1/300; fast-check's bias adds some small values and ties.
    expect(share((v) => Math.abs(v) > 0.75)).toBeGreaterThan(0.3);
    expect(share((v) => Math.abs(v) < 1e-6)).toBeLessThan(0.1);
    expect(share((v) => v > 0)).toBeGreaterThan(0.3);
    expect(share((v) => v < 0)).toBeGreaterThan(0.3);
    expect(() => float32ValuesArbitrary(3, 0)).toThrow(/^float32ValuesArbitrary: range must be a positive finite number/);
    expect(() => seCaseArbitrary({ maxBatch: 0 })).toThrow(/^seCaseArbitrary: constraints\.maxBatch must be a positive integer/);
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
