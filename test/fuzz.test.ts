/**
 * Fuzzing the public API with malformed arguments: every call either returns a correct result or
 * throws one of the exported error classes; never a TypeError/RangeError from inside, never a hang.
 */
import { fc, test as propTest } from '@fast-check/jest';
import * as api from '../src/index.js';
import { SEError, Tape, type FloatTensor, type SEParams, type Variable } from '../src/index.js';
import { params64, refOptions, seReference } from '../src/testing/index.js';
import { expectWithinBound, seForwardErrorBound } from './tolerance.js';

/** Calls f; passes if it returns, or throws an SEError subclass. Returns the result or undefined. */
function returnsOrSEError<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof SEError)) throw new Error(`expected an SEError but got ${e instanceof Error ? e.stack : String(e)}`);
    expect(e.message).toMatch(/^[A-Za-z.]+( backward)?: /); // names the function
    return undefined;
  }
}

const weirdNumber = fc.oneof(
  fc.integer({ min: -3, max: 6 }),
  fc.constantFrom(0, -0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, -1, 2 ** 53, 1e300),
);
const weirdValue = fc.oneof(
  weirdNumber,
  fc.constantFrom(undefined, null, true, 'x', '', '3', [], {}),
  fc.anything({ maxDepth: 2 }),
);
const dataArb = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 40 }).map((n) => new Float32Array(n).map((_, i) => Math.sin(i))) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 40 }).map((n) => new Float64Array(n)) },
  { weight: 1, arbitrary: fc.array(fc.double(), { maxLength: 10 }) },
  { weight: 1, arbitrary: weirdValue },
);
const shapeArb = fc.oneof(
  { weight: 5, arbitrary: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 5 }) },
  { weight: 2, arbitrary: fc.array(weirdNumber, { maxLength: 6 }) },
  { weight: 1, arbitrary: weirdValue },
);
const tensorArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ data: dataArb, shape: shapeArb, stride: fc.option(fc.array(weirdNumber, { maxLength: 5 }), { nil: undefined }), offset: fc.option(weirdNumber, { nil: undefined }) }, { requiredKeys: ['data', 'shape'] }) },
  { weight: 1, arbitrary: weirdValue },
);
const paramsArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ channels: fc.integer({ min: 1, max: 3 }), hidden: fc.integer({ min: 1, max: 2 }), bias: fc.boolean() }).map(({ channels, hidden, bias }) => api.createSEParams({ channels, hidden, bias, seed: channels })) },
  {
    weight: 2,
    arbitrary: fc.record({ channels: weirdNumber, hidden: weirdNumber, w1: dataArb, b1: fc.oneof(dataArb, fc.constant(null)), w2: dataArb, b2: fc.oneof(dataArb, fc.constant(null)) }),
  },
  { weight: 1, arbitrary: weirdValue },
);
const optionsArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(undefined),
  fc.record(
    {
      layout: fc.constantFrom('channels-first', 'channels-last', 'nchw', 3),
      squeeze: fc.constantFrom('avg', 'max', 'avgmax', 'mean'),
      activation: fc.constantFrom('relu', 'silu', 'gelu', 'geluTanh', 'identity', 'swish'),
      gate: fc.constantFrom('sigmoid', 'hardSigmoid', 'tanh', 'relu', 'identity', 'softmax'),
      other: fc.string(),
    },
    { requiredKeys: [] },
  ),
  weirdValue,
);

/** One malformation applied to an otherwise valid tensor (or none). */
const tensorMutation = fc.oneof(
  { weight: 6, arbitrary: fc.constant<[string, unknown]>(['none', null]) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('data'), dataArb) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('shape'), shapeArb) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('dim'), fc.tuple(fc.integer({ min: 0, max: 5 }), weirdNumber)) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('stride'), fc.array(weirdNumber, { maxLength: 5 })) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('offset'), weirdNumber) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('whole'), weirdValue) },
);

function mutateTensor(t: { data: Float32Array; shape: number[] }, [kind, v]: [string, unknown]): unknown {
  switch (kind) {
    case 'data':
      return { ...t, data: v };
    case 'shape':
      return { ...t, shape: v };
    case 'dim': {
      const [k, d] = v as [number, number];
      const shape = t.shape.slice();
      shape[k % shape.length] = d;
      return { ...t, shape };
    }
    case 'stride':
      return { ...t, stride: v };
    case 'offset':
      return { ...t, offset: v };
    case 'whole':
      return v;
    default:
      return t;
  }
}

/** A mostly valid SE call: consistent sizes, then at most one malformation per argument. */
const seCallArb = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }),
    C: fc.integer({ min: 1, max: 4 }),
    R: fc.integer({ min: 1, max: 2 }),
    spatial: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
    bias: fc.boolean(),
    channelsLast: fc.boolean(),
    xMutation: tensorMutation,
    dyMutation: tensorMutation,
    params: fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: paramsArb }),
    paramField: fc.oneof(
      { weight: 5, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('channels', 'hidden', 'w1', 'b1', 'w2', 'b2'), weirdValue) },
    ),
    options: fc.oneof(
      { weight: 3, arbitrary: fc.constant(undefined) },
      {
        weight: 3,
        arbitrary: fc.record({
          squeeze: fc.constantFrom('avg' as const, 'max' as const, 'avgmax' as const),
          activation: fc.constantFrom('relu' as const, 'silu' as const, 'gelu' as const, 'geluTanh' as const, 'identity' as const),
          gate: fc.constantFrom('sigmoid' as const, 'tanh' as const),
        }),
      },
      { weight: 1, arbitrary: optionsArb },
    ),
  })
  .map((c) => {
    const shape = c.channelsLast ? [c.N, ...c.spatial, c.C] : [c.N, c.C, ...c.spatial];
    const size = shape.reduce((a, b) => a * b, 1);
    const dense = (seed: number) => ({ data: new Float32Array(size).map((_, i) => Math.sin(i * 1.7 + seed)), shape });
    let params: unknown = c.params ?? api.createSEParams({ channels: c.C, hidden: c.R, bias: c.bias, seed: size });
    if (c.paramField !== undefined && c.params === null) params = { ...(params as object), [c.paramField[0]]: c.paramField[1] };
    const layout = c.channelsLast ? 'channels-last' : 'channels-first';
    const options = c.options === undefined ? { layout } : typeof c.options === 'object' && c.options !== null && !('layout' in c.options) ? { ...c.options, layout } : c.options;
    return { x: mutateTensor(dense(0), c.xMutation), dy: mutateTensor(dense(1), c.dyMutation), params, options };
  });

/** The values a (validated) FloatTensor addresses, in row-major order. */
function denseValues(t: FloatTensor, size: number): Float32Array {
  const out = new Float32Array(size);
  const { shape } = t;
  const stride = t.stride ?? shape.map((_, k) => shape.slice(k + 1).reduce((a, b) => a * b, 1));
  let k = 0;
  const walk = (axis: number, base: number): void => {
    if (axis === shape.length) {
      out[k++] = t.data[base];
      return;
    }
    for (let i = 0; i < shape[axis]; i++) walk(axis + 1, base + i * stride[axis]);
  };
  walk(0, t.offset ?? 0);
  return out;
}

let fuzzReturned = 0;

describe('fuzz: seForward / seBackward', () => {
  propTest.prop([seCallArb], { numRuns: 1500 })('returns a correct result or throws an SEError', ({ x, params, options, dy }) => {
    const r = returnsOrSEError(() => api.seForward(x as FloatTensor, params as SEParams, options as api.SEOptions));
    if (r === undefined) return;
    fuzzReturned++;
    // It returned, so the call was valid: the result must match the float64 reference within the
    // per-element rounding bound (these tiny blocks can cancel in W2 h, which float32 storage
    // amplifies beyond any fixed relative bound).
    const t = x as FloatTensor;
    const dense = denseValues(t, r.y.size);
    const p = params64(params as SEParams);
    const o = refOptions(options as api.SEOptions);
    const ref = seReference(dense, t.shape, p, o);
    expectWithinBound('y vs float64', r.y.data, ref.y, seForwardErrorBound(dense, t.shape, p, o, ref));
    const g = returnsOrSEError(() => api.seBackward(dy as FloatTensor, r.cache));
    if (g !== undefined) expect(g.dx.shape).toEqual(t.shape);
  });

  test('the fuzzer exercised the valid path too', () => {
    expect(fuzzReturned).toBeGreaterThan(300);
  });

  propTest.prop([weirdValue, weirdValue], { numRuns: 200 })('seBackward with junk', (dy, cache) => {
    returnsOrSEError(() => api.seBackward(dy as FloatTensor, cache as api.SECache));
  });
});

describe('fuzz: parameters and helpers', () => {
  propTest.prop([fc.record({ channels: weirdNumber, reduction: weirdNumber, hidden: weirdNumber, divisor: weirdNumber, roundLimit: weirdNumber, bias: weirdValue, init: fc.constantFrom('kaimingNormal', 'normal', 'zeros', 'xavier', undefined), std: weirdNumber, seed: weirdNumber }, { requiredKeys: [] }), weirdValue], { numRuns: 400 })(
    'createSEParams and seHiddenWidth',
    (opts, junk) => {
      const p = returnsOrSEError(() => api.createSEParams(opts as api.CreateSEParamsOptions));
      if (p !== undefined) {
        expect(p.w1.length).toBe(p.hidden * p.channels);
        expect(p.w1.every(Number.isFinite)).toBe(true);
      }
      returnsOrSEError(() => api.createSEParams(junk as api.CreateSEParamsOptions));
      returnsOrSEError(() => api.seHiddenWidth(opts as { channels: number }));
    },
  );

  propTest.prop([weirdValue, weirdValue, weirdValue, weirdValue], { numRuns: 300 })('makeDivisible', (v, d, m, l) => {
    const n = returnsOrSEError(() => api.makeDivisible(v as number, d as number, m as number, l as number));
    if (n !== undefined) expect(Number.isInteger(n)).toBe(true);
  });

  propTest.prop([fc.array(fc.record({ blocks: weirdNumber, channels: weirdNumber, spatial: fc.oneof(fc.array(weirdNumber, { maxLength: 3 }), weirdValue) }), { maxLength: 3 }), weirdValue], { numRuns: 300 })(
    'seNetworkCost',
    (stages, opts) => {
      returnsOrSEError(() => api.seNetworkCost(stages as api.SEStageSpec[], opts as api.SECostOptions));
    },
  );

  propTest.prop([fc.dictionary(fc.constantFrom('fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias', 'fc.0.weight', 'fc.2.weight', 'se_reduce/kernel', 'junk'), tensorArb), weirdValue], { numRuns: 300 })(
    'loadSEParams / saveSEParams / writeSafetensors',
    (tensors, opts) => {
      returnsOrSEError(() => api.loadSEParams(tensors as Record<string, FloatTensor>, opts as api.LoadSEParamsOptions));
      returnsOrSEError(() => api.writeSafetensors(tensors as Record<string, FloatTensor>));
      returnsOrSEError(() => api.saveSEParams(opts as SEParams, 'timm'));
    },
  );
});

const validTensorArb = fc
  .array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 4 })
  .map((shape) => ({ data: new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => Math.cos(i)), shape }));

let tapeReturned = 0;

describe('fuzz: the tape', () => {
  const ops = ['matmul', 'linear', 'biasAdd', 'relu', 'sigmoid', 'silu', 'gelu', 'geluTanh', 'tanh', 'hardSigmoid', 'globalAvgPool', 'globalMaxPool', 'channelScale', 'add', 'mul', 'scale', 'sum', 'mean'] as const;
  propTest.prop([fc.constantFrom(...ops), fc.array(fc.oneof({ weight: 4, arbitrary: validTensorArb }, { weight: 1, arbitrary: tensorArb }, { weight: 1, arbitrary: weirdValue }), { minLength: 1, maxLength: 3 }), weirdValue], { numRuns: 600 })(
    'ops on variables of any shape, and junk',
    (op, tensors, junk) => {
      const t = new Tape();
      const vars: unknown[] = tensors.map((x) => returnsOrSEError(() => t.variable(x as FloatTensor)) ?? junk);
      const f = api[op] as (...args: unknown[]) => Variable;
      const out = returnsOrSEError(() => f(...vars));
      if (out === undefined) return;
      tapeReturned++;
      if (out.size === 1 && out.requiresGrad) returnsOrSEError(() => t.backward(out));
    },
  );

  test('the tape fuzzer exercised valid ops too', () => {
    expect(tapeReturned).toBeGreaterThan(100);
  });

  propTest.prop([tensorArb, paramsArb, optionsArb], { numRuns: 300 })('squeezeExcitation and seResidualUnit', (x, params, options) => {
    const t = new Tape();
    const xv = returnsOrSEError(() => t.variable(x as FloatTensor));
    const p = returnsOrSEError(() => api.seParamVariables(t, params as SEParams));
    if (xv === undefined || p === undefined) return;
    returnsOrSEError(() => api.squeezeExcitation(xv, p, options as api.SEOptions));
    returnsOrSEError(() => api.seResidualUnit(xv, (v) => v, p, options as api.SEResidualOptions));
  });
});
