/**
 * The SE block on the tape, so it can sit inside a larger graph (a residual unit, a loss) and be
 * differentiated with everything around it: {@link squeezeExcitation}, one op running the fused
 * forward and backward, and {@link squeezeExcitationComposed}, the same block built from small
 * tape ops; the tests check that both agree with each other and with `seForward`/`seBackward`.
 */
import { SEShapeError, SETypeError, describeValue } from '../errors.js';
import { resolveSEOptions, type ResolvedSEOptions, type SEOptions } from '../options.js';
import { seBackward, seForward } from '../fused/index.js';
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

/** Checks x and p for the SE tape ops; returns the variant and C. */
function checkSEInputs(fn: string, x: unknown, p: unknown, options: unknown): { opts: ResolvedSEOptions; C: number; R: number; vars: SEVariables } {
  if (!(x instanceof Variable)) throw new SETypeError(`${fn}: x must be a Variable but got ${describeValue(x)}`);
  if (p === null || typeof p !== 'object') throw new SETypeError(`${fn}: p must be SEVariables {w1, b1, w2, b2} but got ${describeValue(p)}`);
  const pv = p as Partial<Record<keyof SEVariables, unknown>>;
  const w1 = pv.w1;
  const b1 = pv.b1 === undefined ? null : pv.b1;
  const w2 = pv.w2;
  const b2 = pv.b2 === undefined ? null : pv.b2;
  if (!(w1 instanceof Variable) || !(w2 instanceof Variable) || (b1 !== null && !(b1 instanceof Variable)) || (b2 !== null && !(b2 instanceof Variable))) {
    throw new SETypeError(`${fn}: p must be SEVariables {w1, b1, w2, b2} (Variables, biases may be null) but got ${describeValue(p)}`);
  }
  const opts = resolveSEOptions(fn, options);
  const rank = x.shape.length;
  if (rank < 3 || rank > 5) {
    throw new SEShapeError(`${fn}: x must have rank 3 to 5 ([N, C, ...spatial]) but has shape ${formatShape(x.shape)}`);
  }
  const C = opts.layout === 'channels-first' ? x.shape[1] : x.shape[rank - 1];
  if (w1.shape.length !== 2 || w1.shape[1] !== C) {
    throw new SEShapeError(`${fn}: p.w1 has shape ${formatShape(w1.shape)} but x has ${C} channels (needs [hidden, ${C}])`);
  }
  const R = w1.shape[0];
  if (w2.shape.length !== 2 || w2.shape[0] !== C || w2.shape[1] !== R) {
    throw new SEShapeError(`${fn}: p.w2 has shape ${formatShape(w2.shape)} but needs [channels, hidden] = [${C}, ${R}]`);
  }
  if (b1 !== null && (b1.shape.length !== 1 || b1.shape[0] !== R)) throw new SEShapeError(`${fn}: p.b1 has shape ${formatShape(b1.shape)} but needs [${R}]`);
  if (b2 !== null && (b2.shape.length !== 1 || b2.shape[0] !== C)) throw new SEShapeError(`${fn}: p.b2 has shape ${formatShape(b2.shape)} but needs [${C}]`);
  return { opts, C, R, vars: { w1, b1, w2, b2 } };
}

/**
 * Squeeze-and-Excitation on the tape as ONE op: the fused `seForward` forward and `seBackward`
 * backward, so SE inside a larger graph (a residual unit, a loss) runs at the fused block's speed.
 * `y = x * gate(linear(act(linear(squeeze(x), w1, b1)), w2, b2))` per (sample, channel); equal to
 * {@link squeezeExcitationComposed} (the same math as a graph of small tape ops).
 * Saves: the fused cache (x, the parameters, and the per-sample squeeze, activations and gates);
 * the rule of `SECache` applies: do not change x's or the parameters' data before backward.
 * @param x input variable `[N, C, ...spatial]`, or `[N, ...spatial, C]` with channels-last
 * @param p the block's parameters as variables (from {@link seParamVariables}, `SEBlock.variables` or your own)
 * @param options the variant, as for `seForward`
 * @returns y, shaped like x
 */
export function squeezeExcitation(x: Variable, p: SEVariables, options?: SEOptions): Variable {
  const fn = 'squeezeExcitation';
  const { opts, C, R, vars } = checkSEInputs(fn, x, p, options);
  const { w1, b1, w2, b2 } = vars;
  const params: SEParams = { channels: C, hidden: R, w1: w1.data, b1: b1 === null ? null : b1.data, w2: w2.data, b2: b2 === null ? null : b2.data };
  const shape = x.shape;
  const { y, cache } = seForward({ data: x.data, shape }, params, opts);
  const inputs = b1 === null ? (b2 === null ? [x, w1, w2] : [x, w1, w2, b2]) : b2 === null ? [x, w1, b1, w2] : [x, w1, b1, w2, b2];
  return x.tape.record(fn, inputs, y.data, shape, [], (dy) => {
    const g = seBackward({ data: dy, shape }, cache);
    const db1 = g.db1 === null ? null : g.db1.data;
    const db2 = g.db2 === null ? null : g.db2.data;
    if (b1 === null) return b2 === null ? [g.dx.data, g.dw1.data, g.dw2.data] : [g.dx.data, g.dw1.data, g.dw2.data, db2];
    return b2 === null ? [g.dx.data, g.dw1.data, db1, g.dw2.data] : [g.dx.data, g.dw1.data, db1, g.dw2.data, db2];
  });
}

/**
 * The SE block composed from small tape ops (pooling, `linear`, the activations, `channelScale`):
 * the same function as {@link squeezeExcitation}, slower (about 1.7x), kept as the reference the
 * fused op is tested against and as an example of building a block from ops.
 */
export function squeezeExcitationComposed(x: Variable, p: SEVariables, options?: SEOptions): Variable {
  const { opts, vars } = checkSEInputs('squeezeExcitationComposed', x, p, options);
  let z: Variable;
  if (opts.squeeze === 'avg') z = globalAvgPool(x, opts.layout);
  else if (opts.squeeze === 'max') z = globalMaxPool(x, opts.layout);
  else z = add(scale(globalAvgPool(x, opts.layout), 0.5), scale(globalMaxPool(x, opts.layout), 0.5));
  const h = activation(linear(z, vars.w1, vars.b1), opts.activation);
  const s = activation(linear(h, vars.w2, vars.b2), opts.gate);
  return channelScale(x, s, opts.layout);
}
