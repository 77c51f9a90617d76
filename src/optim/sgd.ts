/** Stochastic gradient descent with momentum, dampening, Nesterov, weight decay: torch.optim.SGD. */
import { Optimizer, booleanOption, numberOption, readOptions, type OptimizerParameter } from './optimizer.js';
import { SEOptionError } from '../errors.js';

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
export class SGD extends Optimizer<SGDState> {
  /** Momentum factor. */
  readonly momentum: number;
  /** Dampening of the momentum. */
  readonly dampening: number;
  /** L2 penalty. */
  readonly weightDecay: number;
  /** Nesterov momentum. */
  readonly nesterov: boolean;
  /** Maximize instead of minimize. */
  readonly maximize: boolean;
  private readonly hyper: { -readonly [K in keyof SGDHyperparameters]: SGDHyperparameters[K] };

  /**
   * @param parameters an array (or iterable) of `{ data: Float32Array, grad: Float32Array | null }`
   * @param options see {@link SGDOptions}; `lr` is required
   */
  constructor(parameters: Iterable<OptimizerParameter>, options: SGDOptions) {
    const fn = 'SGD';
    const o = readOptions(fn, options, SGD_OPTIONS);
    const lr = numberOption(fn, 'options.lr', o.lr, undefined, 0);
    const momentum = numberOption(fn, 'options.momentum', o.momentum, 0, 0);
    const dampening = numberOption(fn, 'options.dampening', o.dampening, 0);
    const weightDecay = numberOption(fn, 'options.weightDecay', o.weightDecay, 0, 0);
    const nesterov = booleanOption(fn, 'options.nesterov', o.nesterov, false);
    const maximize = booleanOption(fn, 'options.maximize', o.maximize, false);
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new SEOptionError(`${fn}: options.nesterov needs momentum > 0 and dampening 0 but momentum is ${momentum} and dampening is ${dampening}`);
    }
    super(fn, parameters, lr);
    this.momentum = momentum;
    this.dampening = dampening;
    this.weightDecay = weightDecay;
    this.nesterov = nesterov;
    this.maximize = maximize;
    this.hyper = { lr, momentum, dampening, weightDecay, nesterov, maximize };
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
