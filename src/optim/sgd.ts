/** Stochastic gradient descent with momentum, dampening, Nesterov, weight decay: torch.optim.SGD. */
import { booleanOption, numberOption, readOptions, refuseUnknownKeys } from '../arguments.js';
import { Optimizer, type OptimizerParameter } from './optimizer.js';
import { stateArray, type OptimizerStateDict } from './state.js';
import { SEOptionError, SETypeError, describeValue } from '../errors.js';

/** Options of {@link SGD} (torch's keyword arguments, camelCased). */
export interface SGDOptions {
  /** Learning rate (required, >= 0). */
  lr: number;
  /** Momentum factor (default 0, >= 0). */
  momentum?: number;
  /** Dampening of the momentum: the buffer adds `(1 - dampening) * g` (default 0; the first step adds `g` whole, as torch). */
  dampening?: number;
  /** L2 penalty added to the gradient, `g + weightDecay * p` (default 0, >= 0). */
  weightDecay?: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov?: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize?: boolean;
}

/** SGD's hyperparameters for one call of {@link sgdUpdate}. */
export interface SGDHyperparameters {
  /** Learning rate. */
  readonly lr: number;
  /** Momentum factor (used only with a momentum buffer). */
  readonly momentum: number;
  /** Dampening of the momentum. */
  readonly dampening: number;
  /** L2 penalty. */
  readonly weightDecay: number;
  /** Nesterov momentum. */
  readonly nesterov: boolean;
  /** Negate the gradient. */
  readonly maximize: boolean;
}

/** The state SGD keeps per parameter (torch's `state[p]`). */
export interface SGDState {
  /** The momentum buffer, or null when momentum is 0 (torch's `momentum_buffer`). */
  momentumBuffer: Float32Array | null;
}

const SGD_OPTIONS = ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov', 'maximize'];
const SGD_GROUP = ['lr', 'momentum', 'dampening', 'weight_decay', 'nesterov', 'maximize'];

/** SGD's hyperparameters in a state dict's `param_groups[0]`: torch.optim.SGD's names. */
export interface SGDParamGroup {
  lr: number;
  momentum: number;
  dampening: number;
  weight_decay: number;
  nesterov: boolean;
  maximize: boolean;
}

/** One parameter's SGD state in a state dict: `momentum_buffer`, null with momentum 0 (torch's None). */
export interface SGDStateEntry {
  momentum_buffer: Float32Array | null;
}

/** {@link SGD.stateDict}: torch.optim.SGD's `state_dict()` structure. */
export type SGDStateDict = OptimizerStateDict<SGDStateEntry, SGDParamGroup>;

type MutableSGDHyperparameters = { -readonly [K in keyof SGDHyperparameters]: SGDHyperparameters[K] };

/**
 * Checks SGD's hyperparameters as torch does (and finite); `name(key)` names each in messages.
 * Returns them (lr included).
 */
function checkSGDHyper(fn: string, name: (key: string) => string, o: Record<string, unknown>, keys: Readonly<Record<string, string>>): MutableSGDHyperparameters {
  const lr = numberOption(fn, name(keys.lr), o[keys.lr], undefined, 0);
  const momentum = numberOption(fn, name(keys.momentum), o[keys.momentum], 0, 0);
  const dampening = numberOption(fn, name(keys.dampening), o[keys.dampening], 0);
  const weightDecay = numberOption(fn, name(keys.weightDecay), o[keys.weightDecay], 0, 0);
  const nesterov = booleanOption(fn, name(keys.nesterov), o[keys.nesterov], false);
  const maximize = booleanOption(fn, name(keys.maximize), o[keys.maximize], false);
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new SEOptionError(`${fn}: ${name(keys.nesterov)} needs momentum > 0 and dampening 0 but momentum is ${momentum} and dampening is ${dampening}`);
  }
  return { lr, momentum, dampening, weightDecay, nesterov, maximize };
}

const OPTION_NAMES = { lr: 'lr', momentum: 'momentum', dampening: 'dampening', weightDecay: 'weightDecay', nesterov: 'nesterov', maximize: 'maximize' };
const TORCH_NAMES = { lr: 'lr', momentum: 'momentum', dampening: 'dampening', weightDecay: 'weight_decay', nesterov: 'nesterov', maximize: 'maximize' };

/**
 * One SGD step on `n` elements, in place, torch.optim.SGD's update per element (in float64, each
 * stored value rounded to float32):
 *
 * ```
 * g = maximize ? -grad : grad;   g += weightDecay * param
 * buf = first ? g : momentum * buf + (1 - dampening) * g          (only when momentumBuffer is given)
 * g = nesterov ? g + momentum * buf : buf
 * param -= lr * g
 * ```
 * @param param the parameter's values, updated
 * @param grad its gradient (may alias nothing that is written)
 * @param momentumBuffer the momentum buffer, updated; null for momentum 0
 * @param n number of elements
 * @param h the hyperparameters
 * @param first true on the buffer's first step (it is then set to g, not blended)
 * @returns param
 */
export function sgdUpdate(
  param: Float32Array,
  grad: Float32Array,
  momentumBuffer: Float32Array | null,
  n: number,
  h: SGDHyperparameters,
  first: boolean,
): Float32Array {
  const { lr, momentum, weightDecay, nesterov, maximize } = h;
  const keep = 1 - h.dampening;
  for (let i = 0; i < n; i++) {
    const p = param[i];
    let g = maximize ? -grad[i] : grad[i];
    if (weightDecay !== 0) g += weightDecay * p;
    if (momentumBuffer !== null) {
      momentumBuffer[i] = first ? g : momentum * momentumBuffer[i] + keep * g;
      // Continue from the stored float32 buffer, as torch does.
      const b = momentumBuffer[i];
      g = nesterov ? g + momentum * b : b;
    }
    param[i] = p - lr * g;
  }
  return param;
}

/**
 * Stochastic gradient descent, torch.optim.SGD for one parameter group:
 * `new SGD(parameters, { lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false, maximize = false })`.
 * Options are validated as torch does (lr >= 0, momentum >= 0, weightDecay >= 0, Nesterov needs
 * momentum > 0 and dampening 0) and also must be finite; unknown keys are an SEOptionError.
 * See {@link Optimizer} for the parameter, state and validation rules.
 */
export class SGD extends Optimizer<SGDState, SGDStateEntry, SGDParamGroup> {
  private hyper: MutableSGDHyperparameters;
  /** Momentum factor. */
  get momentum(): number {
    return this.hyper.momentum;
  }
  /** Dampening of the momentum. */
  get dampening(): number {
    return this.hyper.dampening;
  }
  /** L2 penalty. */
  get weightDecay(): number {
    return this.hyper.weightDecay;
  }
  /** Nesterov momentum. */
  get nesterov(): boolean {
    return this.hyper.nesterov;
  }
  /** Maximize instead of minimize. */
  get maximize(): boolean {
    return this.hyper.maximize;
  }

  /**
   * @param parameters an array (or iterable) of `{ data: Float32Array, grad: Float32Array | null }`
   * @param options see {@link SGDOptions}; `lr` is required
   */
  constructor(parameters: Iterable<OptimizerParameter>, options: SGDOptions) {
    const fn = 'SGD';
    const o = readOptions(fn, options, SGD_OPTIONS);
    const hyper = checkSGDHyper(fn, (k) => `options.${k}`, o, OPTION_NAMES);
    super(fn, parameters, hyper.lr);
    this.hyper = hyper;
  }

  /** @internal */
  protected override exportGroup(): SGDParamGroup {
    const h = this.hyper;
    return { lr: this.lr, momentum: h.momentum, dampening: h.dampening, weight_decay: h.weightDecay, nesterov: h.nesterov, maximize: h.maximize };
  }

  /** @internal */
  protected override exportState(s: SGDState): SGDStateEntry {
    return { momentum_buffer: s.momentumBuffer === null ? null : s.momentumBuffer.slice() };
  }

  /** @internal */
  protected override importGroup(fn: string, where: string, group: Record<string, unknown>): MutableSGDHyperparameters {
    refuseUnknownKeys(fn, where, group, SGD_GROUP);
    for (const key of ['lr', 'momentum', 'dampening', 'weight_decay', 'nesterov']) {
      if (!(key in group)) throw new SEOptionError(`${fn}: ${where}.${key} is missing`);
    }
    return checkSGDHyper(fn, (k) => `${where}.${k}`, group, TORCH_NAMES);
  }

  /** @internal */
  protected override applyGroup(hyper: MutableSGDHyperparameters): void {
    this.hyper = hyper;
    this.setLearningRate(hyper.lr);
  }

  /** @internal */
  protected override importState(fn: string, where: string, entry: Record<string, unknown>, n: number, hyper: MutableSGDHyperparameters): SGDState {
    refuseUnknownKeys(fn, where, entry, ['momentum_buffer']);
    const b: unknown = entry.momentum_buffer;
    if (hyper.momentum === 0) {
      if (b !== null && b !== undefined) throw new SEOptionError(`${fn}: ${where}.momentum_buffer must be null (momentum is 0) but is ${describeValue(b)}`);
      return { momentumBuffer: null };
    }
    if (b === null || b === undefined) throw new SETypeError(`${fn}: ${where}.momentum_buffer is missing; with momentum ${hyper.momentum} each state needs one`);
    return { momentumBuffer: stateArray(fn, `${where}.momentum_buffer`, b, n) };
  }

  /** A fresh state for a parameter of `n` elements. */
  protected override createState(n: number): SGDState {
    return { momentumBuffer: this.momentum !== 0 ? new Float32Array(n) : null };
  }

  /** One {@link sgdUpdate} of one parameter. */
  protected override update(data: Float32Array, grad: Float32Array, state: SGDState, fresh: boolean, lr: number): void {
    this.hyper.lr = lr;
    sgdUpdate(data, grad, state.momentumBuffer, data.length, this.hyper, fresh);
  }
}
