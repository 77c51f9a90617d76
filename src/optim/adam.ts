/** Adam and AdamW: torch.optim.Adam and torch.optim.AdamW. */
import { booleanOption, numberOption, readOptions, refuseUnknownKeys } from '../arguments.js';
import { Optimizer, type OptimizerParameter } from './optimizer.js';
import { stateArray, stepCount, type OptimizerStateDict } from './state.js';
import { SEOptionError, SETypeError, describeValue } from '../errors.js';

/** Options of {@link Adam} (torch's keyword arguments, camelCased). */
export interface AdamOptions {
  /** Learning rate (default 1e-3, >= 0). */
  lr?: number;
  /** Decay rates of the first and second moment averages (default [0.9, 0.999], each in [0, 1)). */
  betas?: readonly [number, number] | readonly number[];
  /** Added to the denominator, `sqrt(v_hat) + eps` (default 1e-8, >= 0). */
  eps?: number;
  /** Weight decay (default 0, >= 0): an L2 penalty added to the gradient, or with `decoupledWeightDecay` AdamW's `p *= 1 - lr * weightDecay`. */
  weightDecay?: number;
  /** AdamW's decoupled weight decay (default false). */
  decoupledWeightDecay?: boolean;
  /** The AMSGrad variant: normalise by the running maximum of the second moment (default false). */
  amsgrad?: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize?: boolean;
}

/** Options of {@link AdamW}: {@link AdamOptions} without `decoupledWeightDecay` (always on); `weightDecay` defaults to 0.01, as torch's. */
export type AdamWOptions = Omit<AdamOptions, 'decoupledWeightDecay'>;

/** The state Adam keeps per parameter (torch's `state[p]`). */
export interface AdamState {
  /** Steps taken with this parameter's gradient (torch's `step`). */
  step: number;
  /** Running average of the gradient (torch's `exp_avg`). */
  expAvg: Float32Array;
  /** Running average of the squared gradient (torch's `exp_avg_sq`). */
  expAvgSq: Float32Array;
  /** Running maximum of `expAvgSq`, with `amsgrad` only (torch's `max_exp_avg_sq`); otherwise null. */
  maxExpAvgSq: Float32Array | null;
}

/** Adam's hyperparameters for one call of {@link adamUpdate}. */
export interface AdamHyperparameters {
  /** Learning rate. */
  readonly lr: number;
  /** Decay rate of the first moment average. */
  readonly beta1: number;
  /** Decay rate of the second moment average. */
  readonly beta2: number;
  /** Added to the denominator. */
  readonly eps: number;
  /** Weight decay. */
  readonly weightDecay: number;
  /** Decoupled (AdamW) rather than L2 weight decay. */
  readonly decoupledWeightDecay: boolean;
  /** Negate the gradient. */
  readonly maximize: boolean;
}

/**
 * One Adam step on `n` elements, in place, torch.optim.Adam's (and AdamW's) update per element
 * (in float64, each stored value rounded to float32), where `step` counts this step (1 on the first):
 *
 * ```
 * g = maximize ? -grad : grad
 * decoupled ? param *= 1 - lr * weightDecay : g += weightDecay * param
 * m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g * g;   vmax = max(vmax, v)  (amsgrad)
 * param -= lr / (1 - beta1^step) * m / (sqrt(amsgrad ? vmax : v) / sqrt(1 - beta2^step) + eps)
 * ```
 * @param param the parameter's values, updated
 * @param grad its gradient (may alias nothing that is written)
 * @param expAvg the first moment average, updated
 * @param expAvgSq the second moment average, updated
 * @param maxExpAvgSq the running maximum of the second moment (AMSGrad), updated; null without AMSGrad
 * @param n number of elements
 * @param h the hyperparameters
 * @param step the step number, from 1
 * @returns param
 */
export function adamUpdate(
  param: Float32Array,
  grad: Float32Array,
  expAvg: Float32Array,
  expAvgSq: Float32Array,
  maxExpAvgSq: Float32Array | null,
  n: number,
  h: AdamHyperparameters,
  step: number,
): Float32Array {
  const { lr, beta1, beta2, eps, weightDecay, maximize } = h;
  const decoupled = h.decoupledWeightDecay;
  const keep1 = 1 - beta1;
  const keep2 = 1 - beta2;
  const stepSize = lr / (1 - Math.pow(beta1, step));
  const correction2 = Math.sqrt(1 - Math.pow(beta2, step));
  const shrink = decoupled ? 1 - lr * weightDecay : 1;
  const l2 = decoupled ? 0 : weightDecay;
  for (let i = 0; i < n; i++) {
    let p = param[i];
    let g = maximize ? -grad[i] : grad[i];
    if (l2 !== 0) g += l2 * p;
    if (shrink !== 1) p *= shrink;
    expAvg[i] = beta1 * expAvg[i] + keep1 * g;
    expAvgSq[i] = beta2 * expAvgSq[i] + keep2 * g * g;
    let v = expAvgSq[i];
    if (maxExpAvgSq !== null) {
      // Math.max propagates NaN, as torch.maximum does.
      v = Math.max(maxExpAvgSq[i], v);
      maxExpAvgSq[i] = v;
    }
    param[i] = p - (stepSize * expAvg[i]) / (Math.sqrt(v) / correction2 + eps);
  }
  return param;
}

const ADAM_OPTIONS = ['lr', 'betas', 'eps', 'weightDecay', 'decoupledWeightDecay', 'amsgrad', 'maximize'];
const ADAMW_OPTIONS = ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad', 'maximize'];

const ADAM_GROUP = ['lr', 'betas', 'eps', 'weight_decay', 'amsgrad', 'maximize', 'decoupled_weight_decay'];

type MutableAdamHyperparameters = { -readonly [K in keyof AdamHyperparameters]: AdamHyperparameters[K] };

/** Adam's hyperparameters in a state dict's `param_groups[0]`: torch.optim.Adam's names (`decoupled_weight_decay` as torch 2's Adam has it: true for AdamW). */
export interface AdamParamGroup {
  lr: number;
  betas: [number, number];
  eps: number;
  weight_decay: number;
  amsgrad: boolean;
  maximize: boolean;
  decoupled_weight_decay: boolean;
}

/** One parameter's Adam state in a state dict (torch's names); `max_exp_avg_sq` only with AMSGrad. */
export interface AdamStateEntry {
  step: number;
  exp_avg: Float32Array;
  exp_avg_sq: Float32Array;
  max_exp_avg_sq?: Float32Array;
}

/** {@link Adam.stateDict}: torch.optim.Adam's (AdamW's) `state_dict()` structure. */
export type AdamStateDict = OptimizerStateDict<AdamStateEntry, AdamParamGroup>;

/** Everything an Adam group sets: the update's hyperparameters and AMSGrad. */
interface AdamGroup {
  hyper: MutableAdamHyperparameters;
  betas: readonly [number, number];
  amsgrad: boolean;
}

function betasOption(fn: string, name: string, v: unknown): readonly [number, number] {
  if (v === undefined) return Object.freeze([0.9, 0.999] as const);
  if (!Array.isArray(v) || v.length !== 2) {
    throw new SEOptionError(`${fn}: ${name} must be an array [beta1, beta2] but is ${describeValue(v)}`);
  }
  const b1: unknown = v[0];
  const b2: unknown = v[1];
  return Object.freeze([numberOption(fn, `${name}[0]`, b1, undefined, 0, 1), numberOption(fn, `${name}[1]`, b2, undefined, 0, 1)] as const);
}

/**
 * Adam (Kingma & Ba), torch.optim.Adam for one parameter group:
 * `new Adam(parameters, { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0,
 * decoupledWeightDecay = false, amsgrad = false, maximize = false })`. With
 * `decoupledWeightDecay: true` it is torch.optim.AdamW (see also {@link AdamW}, whose weightDecay
 * defaults to torch's 0.01). Options are validated as torch does (lr, eps, weightDecay >= 0, betas
 * in [0, 1)) and also must be finite; unknown keys are an SEOptionError. See {@link Optimizer} for
 * the parameter, state and validation rules; the step count is kept per parameter, as in torch.
 */
export class Adam extends Optimizer<AdamState, AdamStateEntry, AdamParamGroup> {
  private group: AdamGroup;
  /** Decay rates of the moment averages. */
  get betas(): readonly [number, number] {
    return this.group.betas;
  }
  /** Added to the denominator. */
  get eps(): number {
    return this.group.hyper.eps;
  }
  /** Weight decay. */
  get weightDecay(): number {
    return this.group.hyper.weightDecay;
  }
  /** Decoupled (AdamW) weight decay. */
  get decoupledWeightDecay(): boolean {
    return this.group.hyper.decoupledWeightDecay;
  }
  /** AMSGrad. */
  get amsgrad(): boolean {
    return this.group.amsgrad;
  }
  /** Maximize instead of minimize. */
  get maximize(): boolean {
    return this.group.hyper.maximize;
  }

  /**
   * @param parameters an array (or iterable) of `{ data: Float32Array, grad: Float32Array | null }`
   * @param options see {@link AdamOptions}
   */
  constructor(parameters: Iterable<OptimizerParameter>, options?: AdamOptions) {
    // AdamW runs this constructor too: it always decouples, and its weightDecay defaults to 0.01.
    const isW = new.target === AdamW;
    const fn = isW ? 'AdamW' : 'Adam';
    const o = readOptions(fn, options, isW ? ADAMW_OPTIONS : ADAM_OPTIONS);
    const lr = numberOption(fn, 'options.lr', o.lr, 1e-3, 0);
    const betas = betasOption(fn, 'options.betas', o.betas);
    const eps = numberOption(fn, 'options.eps', o.eps, 1e-8, 0);
    const weightDecay = numberOption(fn, 'options.weightDecay', o.weightDecay, isW ? 1e-2 : 0, 0);
    const decoupled = isW || booleanOption(fn, 'options.decoupledWeightDecay', o.decoupledWeightDecay, false);
    const amsgrad = booleanOption(fn, 'options.amsgrad', o.amsgrad, false);
    const maximize = booleanOption(fn, 'options.maximize', o.maximize, false);
    super(fn, parameters, lr);
    this.group = { hyper: { lr, beta1: betas[0], beta2: betas[1], eps, weightDecay, decoupledWeightDecay: decoupled, maximize }, betas, amsgrad };
  }

  /** @internal */
  protected override exportGroup(): AdamParamGroup {
    const { hyper: h, betas, amsgrad } = this.group;
    return { lr: this.lr, betas: [betas[0], betas[1]], eps: h.eps, weight_decay: h.weightDecay, amsgrad, maximize: h.maximize, decoupled_weight_decay: h.decoupledWeightDecay };
  }

  /** @internal */
  protected override exportState(s: AdamState): AdamStateEntry {
    const e: AdamStateEntry = { step: s.step, exp_avg: s.expAvg.slice(), exp_avg_sq: s.expAvgSq.slice() };
    if (s.maxExpAvgSq !== null) e.max_exp_avg_sq = s.maxExpAvgSq.slice();
    return e;
  }

  /** @internal */
  protected override importGroup(fn: string, where: string, group: Record<string, unknown>): AdamGroup {
    refuseUnknownKeys(fn, where, group, ADAM_GROUP);
    for (const key of ['lr', 'betas', 'eps', 'weight_decay', 'amsgrad']) {
      if (!(key in group)) throw new SEOptionError(`${fn}: ${where}.${key} is missing`);
    }
    const isW = this.fnName === 'AdamW';
    const lr = numberOption(fn, `${where}.lr`, group.lr, undefined, 0);
    const betas = betasOption(fn, `${where}.betas`, group.betas);
    const eps = numberOption(fn, `${where}.eps`, group.eps, undefined, 0);
    const weightDecay = numberOption(fn, `${where}.weight_decay`, group.weight_decay, undefined, 0);
    const amsgrad = booleanOption(fn, `${where}.amsgrad`, group.amsgrad, false);
    const maximize = booleanOption(fn, `${where}.maximize`, group.maximize, false);
    const decoupled = booleanOption(fn, `${where}.decoupled_weight_decay`, group.decoupled_weight_decay, isW);
    if (isW && !decoupled) throw new SEOptionError(`${fn}: ${where}.decoupled_weight_decay is false but AdamW always decouples; load it into an Adam`);
    return { hyper: { lr, beta1: betas[0], beta2: betas[1], eps, weightDecay, decoupledWeightDecay: decoupled, maximize }, betas, amsgrad };
  }

  /** @internal */
  protected override applyGroup(group: AdamGroup): void {
    this.group = group;
    this.setLearningRate(group.hyper.lr);
  }

  /** @internal */
  protected override importState(fn: string, where: string, entry: Record<string, unknown>, n: number, group: AdamGroup): AdamState {
    const keys = group.amsgrad ? ['step', 'exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] : ['step', 'exp_avg', 'exp_avg_sq'];
    refuseUnknownKeys(fn, where, entry, keys);
    for (const key of keys) {
      if (entry[key] === undefined) throw new SETypeError(`${fn}: ${where}.${key} is missing${key === 'max_exp_avg_sq' ? ' (amsgrad is true)' : ''}`);
    }
    return {
      step: stepCount(fn, `${where}.step`, entry.step),
      expAvg: stateArray(fn, `${where}.exp_avg`, entry.exp_avg, n),
      expAvgSq: stateArray(fn, `${where}.exp_avg_sq`, entry.exp_avg_sq, n),
      maxExpAvgSq: group.amsgrad ? stateArray(fn, `${where}.max_exp_avg_sq`, entry.max_exp_avg_sq, n) : null,
    };
  }

  /** A zero state for a parameter of `n` elements. */
  protected override createState(n: number): AdamState {
    return { step: 0, expAvg: new Float32Array(n), expAvgSq: new Float32Array(n), maxExpAvgSq: this.group.amsgrad ? new Float32Array(n) : null };
  }

  /** One {@link adamUpdate} of one parameter. */
  protected override update(data: Float32Array, grad: Float32Array, state: AdamState, _fresh: boolean, lr: number): void {
    state.step += 1;
    const h = this.group.hyper;
    h.lr = lr;
    adamUpdate(data, grad, state.expAvg, state.expAvgSq, state.maxExpAvgSq, data.length, h, state.step);
  }
}

/**
 * AdamW (Loshchilov & Hutter), torch.optim.AdamW: {@link Adam} with decoupled weight decay,
 * `new AdamW(parameters, { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0.01,
 * amsgrad = false, maximize = false })`. The same as `new Adam(parameters, { ...options,
 * decoupledWeightDecay: true })` except that weightDecay defaults to torch's 0.01 (Adam's is 0).
 */
export class AdamW extends Adam {
  /**
   * @param parameters an array (or iterable) of `{ data: Float32Array, grad: Float32Array | null }`
   * @param options see {@link AdamWOptions}
   */
  constructor(parameters: Iterable<OptimizerParameter>, options?: AdamWOptions) {
    super(parameters, options);
  }
}
