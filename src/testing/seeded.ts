/**
 * Seeded, reproducible test data without fast-check: one small linear congruential generator and
 * what the tests build from it (uniform float32 arrays, SE parameters, whole SE cases). gradCheck
 * draws its upstream gradient from the same generator.
 */
import { SEOptionError, SEShapeError, SETypeError, describeValue } from '../errors.js';
import { resolveSEOptions, type SEOptions } from '../options.js';
import type { SEParams } from '../params.js';
import { rowMajorStrides } from '../tensor.js';
import type { SECaseSample } from './arbitraries.js';

/** Largest number of values {@link uniformFloat32} and {@link seededCase} make in one array. */
const MAX_VALUES = 2 ** 26;

function checkSeed(fn: string, name: string, seed: unknown): number {
  if (typeof seed !== 'number') throw new SETypeError(`${fn}: ${name} must be a number but got ${describeValue(seed)}`);
  if (!Number.isSafeInteger(seed)) throw new SEOptionError(`${fn}: ${name} must be a safe integer but is ${describeValue(seed)}`);
  return seed;
}

function checkCount(fn: string, name: string, n: unknown, min: number, max: number): number {
  if (typeof n !== 'number') throw new SETypeError(`${fn}: ${name} must be a number but got ${describeValue(n)}`);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new SEShapeError(`${fn}: ${name} must be an integer from ${min} to ${max} but is ${describeValue(n)}`);
  }
  return n;
}

function checkRand(fn: string, rand: unknown): () => number {
  if (typeof rand !== 'function') {
    throw new SETypeError(`${fn}: rand must be a function returning numbers in [0, 1) (see seededUniform) but got ${describeValue(rand)}`);
  }
  return rand as () => number;
}

function checkRange(fn: string, lo: unknown, hi: unknown): void {
  for (const [name, v] of [['lo', lo], ['hi', hi]] as const) {
    if (typeof v !== 'number') throw new SETypeError(`${fn}: ${name} must be a number but got ${describeValue(v)}`);
    if (!Number.isFinite(v)) throw new SEOptionError(`${fn}: ${name} must be finite but is ${describeValue(v)}`);
  }
  if (!((lo as number) < (hi as number))) throw new SEOptionError(`${fn}: lo must be below hi but lo is ${lo} and hi is ${hi}`);
}

/**
 * A reproducible uniform generator: each call returns the next value in [0, 1), a multiple of
 * 2^-32. A linear congruential generator (multiplier 1664525, increment 1013904223, modulus 2^32;
 * Numerical Recipes' constants) in exact integer arithmetic, so a seed gives the same sequence on
 * every engine. Good enough for test data, not for statistics: consecutive values are correlated
 * in their low bits.
 * @param seed any safe integer, taken modulo 2^32 (0 counts as 1); equal seeds give equal sequences
 * @example
 * const rand = seededUniform(7);
 * const x = uniformFloat32(12, rand, -2, 2), dy = uniformFloat32(12, rand);
 */
export function seededUniform(seed: number): () => number {
  let s = checkSeed('seededUniform', 'seed', seed) >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/**
 * `n` float32 values `lo + (hi - lo) * rand()`, drawn in order from `rand`.
 * @param n how many values
 * @param rand the source of uniforms in [0, 1), usually from {@link seededUniform} (advanced n times)
 * @param lo the lower bound (default -1)
 * @param hi the upper bound (default 1); values round to float32, so `hi` itself can occur
 */
export function uniformFloat32(n: number, rand: () => number, lo = -1, hi = 1): Float32Array {
  const fn = 'uniformFloat32';
  const count = checkCount(fn, 'n', n, 0, MAX_VALUES);
  const next = checkRand(fn, rand);
  checkRange(fn, lo, hi);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = lo + (hi - lo) * next();
  return out;
}

/**
 * SEParams for `channels` C and `hidden` R with uniform values: weights in [-scale, scale),
 * biases (if `bias`) in [-0.5, 0.5), drawn from `rand` in the order w1, b1, w2, b2.
 * @param channels C
 * @param hidden R
 * @param bias whether the block has biases (else b1 and b2 are null)
 * @param rand the source of uniforms, usually from {@link seededUniform}
 * @param scale the weights' bound (default 1)
 */
export function uniformSEParams(channels: number, hidden: number, bias: boolean, rand: () => number, scale = 1): SEParams {
  const fn = 'uniformSEParams';
  const C = checkCount(fn, 'channels', channels, 1, MAX_VALUES);
  const R = checkCount(fn, 'hidden', hidden, 1, MAX_VALUES);
  if (C * R > MAX_VALUES) throw new SEShapeError(`${fn}: channels * hidden must be at most ${MAX_VALUES} but is ${C * R}`);
  if (typeof bias !== 'boolean') throw new SETypeError(`${fn}: bias must be a boolean but got ${describeValue(bias)}`);
  const next = checkRand(fn, rand);
  if (typeof scale !== 'number') throw new SETypeError(`${fn}: scale must be a number but got ${describeValue(scale)}`);
  if (!(scale > 0) || !Number.isFinite(scale)) throw new SEOptionError(`${fn}: scale must be a positive finite number but is ${describeValue(scale)}`);
  const w1 = uniformFloat32(R * C, next, -scale, scale);
  const b1 = bias ? uniformFloat32(R, next, -0.5, 0.5) : null;
  const w2 = uniformFloat32(C * R, next, -scale, scale);
  const b2 = bias ? uniformFloat32(C, next, -0.5, 0.5) : null;
  return { channels: C, hidden: R, w1, b1, w2, b2 };
}

/** The sizes, options and seed of one {@link seededCase}. */
export interface SECaseSpec {
  /** Batch size N. */
  N: number;
  /** Channels C. */
  C: number;
  /** Hidden width R. */
  R: number;
  /** The spatial sizes, 1 to 3 of them. */
  spatial: readonly number[];
  /** Whether the parameters have biases. */
  bias: boolean;
  /** The variant (defaults filled in; the layout decides where C goes in the shape). */
  options?: SEOptions;
  /** Seed of the values. */
  seed: number;
}

/**
 * A reproducible SE case, the seeded counterpart of `seCaseArbitrary`: x uniform in [-2, 2), then
 * the parameters (weights in [-1, 1), biases in [-0.5, 0.5)), then dy in [-1, 1), all drawn in
 * that order from `seededUniform(spec.seed)`. The shape is `[N, C, ...spatial]`, or
 * `[N, ...spatial, C]` for `layout: 'channels-last'`; the sample's options have every field filled in.
 * @param spec the sizes, bias, options and seed
 * @example
 * const c = seededCase({ N: 2, C: 5, R: 3, spatial: [3, 2], bias: true, options: { squeeze: 'max' }, seed: 1 });
 * const { y } = seForward(c.x, c.params, c.options);
 */
export function seededCase(spec: SECaseSpec): SECaseSample {
  const fn = 'seededCase';
  if (spec === null || typeof spec !== 'object') throw new SETypeError(`${fn}: spec must be an object but got ${describeValue(spec)}`);
  const { N: n0, C: c0, R: r0, spatial: sp0, bias, options: o0, seed: seed0 } = spec;
  const N = checkCount(fn, 'spec.N', n0, 1, MAX_VALUES);
  const C = checkCount(fn, 'spec.C', c0, 1, MAX_VALUES);
  const R = checkCount(fn, 'spec.R', r0, 1, MAX_VALUES);
  if (!Array.isArray(sp0)) throw new SETypeError(`${fn}: spec.spatial must be an array of 1 to 3 sizes but got ${describeValue(sp0)}`);
  const spatial: number[] = Array.from(sp0 as readonly unknown[], (v, k) => checkCount(fn, `spec.spatial[${k}]`, v, 1, MAX_VALUES));
  if (spatial.length < 1 || spatial.length > 3) throw new SEShapeError(`${fn}: spec.spatial must have 1 to 3 sizes but has ${spatial.length}`);
  if (typeof bias !== 'boolean') throw new SETypeError(`${fn}: spec.bias must be a boolean but got ${describeValue(bias)}`);
  const options = { ...resolveSEOptions(fn, o0) };
  const seed = checkSeed(fn, 'spec.seed', seed0);
  const shape = options.layout === 'channels-last' ? [N, ...spatial, C] : [N, C, ...spatial];
  let size = 1;
  for (const d of shape) size *= d;
  if (size > MAX_VALUES) throw new SEShapeError(`${fn}: the case would have ${size} values, more than ${MAX_VALUES}`);
  const rand = seededUniform(seed);
  const stride = rowMajorStrides(shape);
  const x = uniformFloat32(size, rand, -2, 2);
  const params = uniformSEParams(C, R, bias, rand, 1);
  const dy = uniformFloat32(size, rand, -1, 1);
  return { x: { data: x, shape, stride, offset: 0 }, dy: { data: dy, shape: shape.slice(), stride: stride.slice(), offset: 0 }, params, options };
}
