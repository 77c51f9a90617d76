/**
 * The SE block composed from tape ops, so it can sit inside a larger graph (a residual unit, a
 * loss) and be differentiated with everything around it. Same math and options as the fused
 * `seForward`/`seBackward`, which are faster; the tests check that both agree.
 */
import { SEShapeError, SETypeError, describeValue } from '../errors.js';
import { resolveSEOptions, type SEOptions } from '../options.js';
import { checkSEParams, type SEParams } from '../params.js';
import { formatShape } from '../tensor.js';
import { activation, add, channelScale, globalAvgPool, globalMaxPool, linear, scale } from './ops.js';
import { Tape, Variable } from './tape.js';

/** An SE block's parameters as tape variables (see {@link seParamVariables}). */
export interface SEVariables {
  /** Reducing weight `[R, C]`. */
  w1: Variable;
  /** Reducing bias `[R]`, or null. */
  b1: Variable | null;
  /** Expanding weight `[C, R]`. */
  w2: Variable;
  /** Expanding bias `[C]`, or null. */
  b2: Variable | null;
}

/**
 * Puts an SE block's parameters on a tape as variables that require gradients. The variables
 * share the parameters' arrays (no copy); after `tape.backward` their `grad` holds dW1, db1, ...
 */
export function seParamVariables(tape: Tape, params: SEParams): SEVariables {
  const fn = 'seParamVariables';
  if (!(tape instanceof Tape)) throw new SETypeError(`${fn}: tape must be a Tape but got ${describeValue(tape)}`);
  const { channels: C, hidden: R, w1, b1, w2, b2 } = checkSEParams(fn, params);
  return {
    w1: tape.variable({ data: w1, shape: [R, C] }, { name: 'w1' }),
    b1: b1 === null ? null : tape.variable({ data: b1, shape: [R] }, { name: 'b1' }),
    w2: tape.variable({ data: w2, shape: [C, R] }, { name: 'w2' }),
    b2: b2 === null ? null : tape.variable({ data: b2, shape: [C] }, { name: 'b2' }),
  };
}

/**
 * Squeeze-and-Excitation on the tape: `y = x * gate(linear(act(linear(squeeze(x), w1, b1)), w2, b2))`
 * with one gate value per (sample, channel).
 * @param x input variable `[N, C, ...spatial]`, or `[N, ...spatial, C]` with channels-last
 * @param p the block's parameters as variables (from {@link seParamVariables} or your own)
 * @param options the variant, as for `seForward`
 * @returns y, shaped like x
 */
export function squeezeExcitation(x: Variable, p: SEVariables, options?: SEOptions): Variable {
  const fn = 'squeezeExcitation';
  if (!(x instanceof Variable)) throw new SETypeError(`${fn}: x must be a Variable but got ${describeValue(x)}`);
  if (p === null || typeof p !== 'object' || !(p.w1 instanceof Variable) || !(p.w2 instanceof Variable)) {
    throw new SETypeError(`${fn}: p must be SEVariables {w1, b1, w2, b2} but got ${describeValue(p)}`);
  }
  const opts = resolveSEOptions(fn, options);
  const rank = x.shape.length;
  if (rank < 3 || rank > 5) {
    throw new SEShapeError(`${fn}: x must have rank 3 to 5 ([N, C, ...spatial]) but has shape ${formatShape(x.shape)}`);
  }
  const C = opts.layout === 'channels-first' ? x.shape[1] : x.shape[rank - 1];
  if (p.w1.shape.length !== 2 || p.w1.shape[1] !== C) {
    throw new SEShapeError(`${fn}: p.w1 has shape ${formatShape(p.w1.shape)} but x has ${C} channels (needs [hidden, ${C}])`);
  }
  let z: Variable;
  if (opts.squeeze === 'avg') z = globalAvgPool(x, opts.layout);
  else if (opts.squeeze === 'max') z = globalMaxPool(x, opts.layout);
  else z = add(scale(globalAvgPool(x, opts.layout), 0.5), scale(globalMaxPool(x, opts.layout), 0.5));
  const h = activation(linear(z, p.w1, p.b1), opts.activation);
  const s = activation(linear(h, p.w2, p.b2), opts.gate);
  return channelScale(x, s, opts.layout);
}
