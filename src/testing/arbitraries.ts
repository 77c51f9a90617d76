/**
 * fast-check arbitraries for property tests of SE code: shapes, tensors, parameters, options and
 * whole cases. Needs `fast-check` (an optional peer dependency of se-kernels).
 */
import * as fc from 'fast-check';
import { SE_ACTIVATIONS, SE_GATES, SE_LAYOUTS, SE_SQUEEZES, resolveSEOptions, type SEOptions } from '../options.js';
import type { SEParams } from '../params.js';
import type { PlainTensor } from '../tensor.js';
import { rowMajorStrides } from '../tensor.js';
import { SEOptionError, SETypeError, describeValue } from '../errors.js';

/** Bounds for {@link seCaseArbitrary}. */
export interface SECaseConstraints {
  /** Largest N (default 3). */
  maxBatch?: number;
  /** Largest C (default 8). */
  maxChannels?: number;
  /** Largest hidden width (default 4). */
  maxHidden?: number;
  /** Largest size of each spatial axis (default 4); there are 1 to 3 spatial axes. */
  maxSpatial?: number;
  /** Fix the options instead of drawing every variant (the samples get them with the defaults filled in). */
  options?: SEOptions;
  /** Absolute bound of the input values (default 2). */
  valueRange?: number;
}

/** A random SE test case: input, parameters, upstream gradient and options. */
export interface SECaseSample {
  x: PlainTensor;
  dy: PlainTensor;
  params: SEParams;
  options: SEOptions;
}

/** Grid steps per unit of `range` in {@link float32ValuesArbitrary}: 2^23, so every value is a float32. */
const VALUE_STEPS = 2 ** 23;

/**
 * Float32 values spread evenly over [-range, range]: `k * range / 2^23` rounded to float32, for an
 * integer k drawn by `fc.integer` (so fast-check's bias adds 0, values near 0 and the bounds, and
 * shrinking goes towards 0). No NaN, no Infinity, no -0. (fast-check's `fc.float` draws evenly
 * over float32 bit patterns instead, which puts three quarters of the values below 1e-6 in
 * magnitude: little use for numeric properties.)
 * @param length how many values
 * @param range the bound (default 2)
 */
export function float32ValuesArbitrary(length: number, range = 2): fc.Arbitrary<Float32Array> {
  const fn = 'float32ValuesArbitrary';
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
    throw new SETypeError(`${fn}: length must be a non-negative integer but got ${describeValue(length)}`);
  }
  if (typeof range !== 'number' || !(range > 0) || !Number.isFinite(range)) {
    throw new SEOptionError(`${fn}: range must be a positive finite number but is ${describeValue(range)}`);
  }
  // |k * step| <= 2^23 * step = range exactly (rounding is monotonic), so no value leaves the range.
  const step = range / VALUE_STEPS;
  return fc
    .array(fc.integer({ min: -VALUE_STEPS, max: VALUE_STEPS }), { minLength: length, maxLength: length })
    .map((a) => Float32Array.from(a, (k) => k * step));
}

/** A dense tensor of the given shape with values in [-range, range]. */
export function floatTensorArbitrary(shape: readonly number[], range = 2): fc.Arbitrary<PlainTensor> {
  const n = shape.reduce((a, b) => a * b, 1);
  return float32ValuesArbitrary(n, range).map((data) => ({ data, shape: shape.slice(), stride: rowMajorStrides(shape), offset: 0 }));
}

/** Every SE option combination (layout, squeeze, activation, gate): each value of SE_LAYOUTS, SE_SQUEEZES, SE_ACTIVATIONS and SE_GATES. */
export function seOptionsArbitrary(): fc.Arbitrary<SEOptions> {
  return fc.record({
    layout: fc.constantFrom(...SE_LAYOUTS),
    squeeze: fc.constantFrom(...SE_SQUEEZES),
    activation: fc.constantFrom(...SE_ACTIVATIONS),
    gate: fc.constantFrom(...SE_GATES),
  });
}

/** SEParams for C channels and hidden width R, weights in [-1, 1], biases (if any) in [-0.5, 0.5]. */
export function seParamsArbitrary(channels: number, hidden: number, bias: boolean): fc.Arbitrary<SEParams> {
  return fc
    .tuple(
      float32ValuesArbitrary(hidden * channels, 1),
      float32ValuesArbitrary(channels * hidden, 1),
      bias ? float32ValuesArbitrary(hidden, 0.5) : fc.constant(null),
      bias ? float32ValuesArbitrary(channels, 0.5) : fc.constant(null),
    )
    .map(([w1, w2, b1, b2]) => ({ channels, hidden, w1, b1, w2, b2 }));
}

/**
 * A whole SE case: random N, C, hidden, spatial rank 1-3 (each axis 1 to maxSpatial), bias on/off,
 * options (every variant unless fixed), x in [-valueRange, valueRange], dy in [-1, 1], parameters
 * from {@link seParamsArbitrary}. The seeded counterpart, for fixed cases, is `seededCase`.
 * @param constraints bounds of the sizes and values, and fixed options
 */
export function seCaseArbitrary(constraints: SECaseConstraints = {}): fc.Arbitrary<SECaseSample> {
  const fn = 'seCaseArbitrary';
  if (constraints === null || typeof constraints !== 'object') {
    throw new SETypeError(`${fn}: constraints must be an object but got ${describeValue(constraints)}`);
  }
  const { maxBatch = 3, maxChannels = 8, maxHidden = 4, maxSpatial = 4, valueRange = 2, options: fixed } = constraints;
  for (const [key, v] of [['maxBatch', maxBatch], ['maxChannels', maxChannels], ['maxHidden', maxHidden], ['maxSpatial', maxSpatial]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new SEOptionError(`${fn}: constraints.${key} must be a positive integer but is ${describeValue(v)}`);
    }
  }
  const options = fixed === undefined ? seOptionsArbitrary() : fc.constant({ ...resolveSEOptions(fn, fixed) });
  return fc
    .record({
      N: fc.integer({ min: 1, max: maxBatch }),
      C: fc.integer({ min: 1, max: maxChannels }),
      R: fc.integer({ min: 1, max: maxHidden }),
      spatial: fc.array(fc.integer({ min: 1, max: maxSpatial }), { minLength: 1, maxLength: 3 }),
      bias: fc.boolean(),
      options,
    })
    .chain(({ N, C, R, spatial, bias, options: o }) => {
      const shape = o.layout === 'channels-last' ? [N, ...spatial, C] : [N, C, ...spatial];
      return fc.record({
        x: floatTensorArbitrary(shape, valueRange),
        dy: floatTensorArbitrary(shape, 1),
        params: seParamsArbitrary(C, R, bias),
        options: fc.constant(o),
      });
    });
}
