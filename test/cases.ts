/** fast-check arbitraries and builders for SE test cases. */
import { fc } from '@fast-check/jest';
import type { SEOptions, SEParams } from '../src/core.js';
import { lcg, randomFloat32, randomParams, refOptions, type RefOptions } from './reference.js';

export const LAYOUTS = ['channels-first', 'channels-last'] as const;
export const SQUEEZES = ['avg', 'max', 'avgmax'] as const;
export const ACTIVATIONS = ['relu', 'silu', 'gelu', 'identity'] as const;
export const GATES = ['sigmoid', 'hardSigmoid', 'tanh', 'relu', 'identity'] as const;

/** The numbers that define one random SE case. */
export interface CaseSpec {
  N: number;
  C: number;
  R: number;
  spatial: number[];
  bias: boolean;
  seed: number;
  options: SEOptions;
}

/** A built case: input, parameters, an upstream gradient and the resolved options. */
export interface SECase {
  spec: CaseSpec;
  shape: number[];
  x: Float32Array;
  params: SEParams;
  dy: Float32Array;
  options: SEOptions;
  ref: RefOptions;
}

/** Random sizes, spatial rank 1-3, bias on/off; options fixed to `options` unless `variants`. */
export function caseSpecArb(variants: boolean, options: SEOptions = {}): fc.Arbitrary<CaseSpec> {
  return fc.record({
    N: fc.integer({ min: 1, max: 3 }),
    C: fc.integer({ min: 1, max: 8 }),
    R: fc.integer({ min: 1, max: 4 }),
    spatial: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
    bias: fc.boolean(),
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    options: variants
      ? fc.record({
          layout: fc.constantFrom(...LAYOUTS),
          squeeze: fc.constantFrom(...SQUEEZES),
          activation: fc.constantFrom(...ACTIVATIONS),
          gate: fc.constantFrom(...GATES),
        })
      : fc.constant(options),
  });
}

/** Builds a case deterministically from its spec. */
export function buildCase(spec: CaseSpec): SECase {
  const rand = lcg(spec.seed);
  const ref = refOptions(spec.options);
  const shape = ref.layout === 'channels-first' ? [spec.N, spec.C, ...spec.spatial] : [spec.N, ...spec.spatial, spec.C];
  const size = shape.reduce((a, b) => a * b, 1);
  const x = randomFloat32(size, rand, -2, 2);
  const params = randomParams(spec.C, spec.R, spec.bias, rand, 1);
  const dy = randomFloat32(size, rand, -1, 1);
  return { spec, shape, x, params, dy, options: spec.options, ref };
}
