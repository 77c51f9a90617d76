/**
 * fast-check arbitraries for property tests of SE code: shapes, tensors, parameters, options and
 * whole cases. Needs `fast-check` (an optional peer dependency of se-kernels).
 */
import * as fc from 'fast-check';
import type { SEOptions } from '../options.js';
import type { SEParams } from '../params.js';
import type { PlainTensor } from '../tensor.js';
import { rowMajorStrides } from '../tensor.js';

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
  /** Fix the options instead of drawing every variant. */
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

/** Float32 values in [-range, range] (no NaN, no Infinity, no -0). */
export function float32ValuesArbitrary(length: number, range = 2): fc.Arbitrary<Float32Array> {
  return fc
    .array(fc.float({ min: Math.fround(-range), max: Math.fround(range), noNaN: true, noDefaultInfinity: true }), { minLength: length, maxLength: length })
    .map((a) => Float32Array.from(a, (v) => v + 0));
}

/** A dense tensor of the given shape with values in [-range, range]. */
export function floatTensorArbitrary(shape: readonly number[], range = 2): fc.Arbitrary<PlainTensor> {
  const n = shape.reduce((a, b) => a * b, 1);
  return float32ValuesArbitrary(n, range).map((data) => ({ data, shape: shape.slice(), stride: rowMajorStrides(shape), offset: 0 }));
}

/** Every SE option combination (layout, squeeze, activation, gate). */
export function seOptionsArbitrary(): fc.Arbitrary<SEOptions> {
  return fc.record({
    layout: fc.constantFrom('channels-first' as const, 'channels-last' as const),
    squeeze: fc.constantFrom('avg' as const, 'max' as const, 'avgmax' as const),
    activation: fc.constantFrom('relu' as const, 'silu' as const, 'gelu' as const, 'identity' as const),
    gate: fc.constantFrom('sigmoid' as const, 'hardSigmoid' as const, 'tanh' as const, 'relu' as const, 'identity' as const),
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

/** A whole SE case: random N, C, hidden, spatial rank 1-3, bias on/off, options, x and dy. */
export function seCaseArbitrary(constraints: SECaseConstraints = {}): fc.Arbitrary<SECaseSample> {
  const { maxBatch = 3, maxChannels = 8, maxHidden = 4, maxSpatial = 4, valueRange = 2 } = constraints;
  return fc
    .record({
      N: fc.integer({ min: 1, max: maxBatch }),
      C: fc.integer({ min: 1, max: maxChannels }),
      R: fc.integer({ min: 1, max: maxHidden }),
      spatial: fc.array(fc.integer({ min: 1, max: maxSpatial }), { minLength: 1, maxLength: 3 }),
      bias: fc.boolean(),
      options: constraints.options === undefined ? seOptionsArbitrary() : fc.constant(constraints.options),
    })
    .chain(({ N, C, R, spatial, bias, options }) => {
      const shape = options.layout === 'channels-last' ? [N, ...spatial, C] : [N, C, ...spatial];
      return fc.record({
        x: floatTensorArbitrary(shape, valueRange),
        dy: floatTensorArbitrary(shape, 1),
        params: seParamsArbitrary(C, R, bias),
        options: fc.constant(options),
      });
    });
}
