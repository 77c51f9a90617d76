/**
 * Parameters: trainable tensors that outlive tapes, as PyTorch's `nn.Parameter`.
 */
import { SEShapeError, SEStateError, SETypeError, describeValue, hasBrand } from '../errors.js';
import { typedArrayLength } from '../intrinsics.js';
import { sharesMemory } from './checks.js';
import { checkTensor, formatShape, gatherDense, type FloatTensor } from '../tensor.js';

const PARAMETER = Symbol.for('se-kernels.Parameter');
/** Every Parameter of this copy of the library (recognised by identity, never by reading it). */
const PARAMETERS = new WeakSet<object>();

/** Options of {@link Parameter}. */
export interface ParameterOptions {
  /** A name for messages (default 'parameter'). */
  name?: string;
  /** The gradient buffer to accumulate into (default: a new zero-filled one); the data's length. */
  grad?: Float32Array;
}

/**
 * A trainable tensor whose values and gradient persist across steps: the object the optimizers
 * (`SGD`, `Adam`) update, and what `tape.parameter(p)` puts on a tape. A backward that reaches it
 * ADDS into `p.grad` (like PyTorch's `.grad`), so gradients of several backwards accumulate until
 * an optimizer's `zeroGrad()`. `data` is used without copying (a dense tensor's own buffer); an
 * optimizer step updates it in place. A `grad` sharing memory with `data` is refused (here and by
 * `tape.parameter`); see `Tape.parameter` for the other autograd safety rules.
 */
export class Parameter {
  /** @internal Brand recognised by `instanceof` across copies of the package. */
  readonly [PARAMETER] = true;
  /** `instanceof` by brand: true for instances from any copy of se-kernels. */
  static [Symbol.hasInstance](v: unknown): boolean {
    return hasBrand(v, PARAMETER);
  }
  /** The values, dense row-major. */
  readonly data: Float32Array;
  /** The shape. */
  readonly shape: readonly number[];
  /** The accumulated gradient, the data's size; zeroed by an optimizer's `zeroGrad()`. */
  readonly grad: Float32Array;
  /** The name, for messages. */
  readonly name: string;

  /**
   * @param values the initial values: a FloatTensor (a dense one is used without copying, a
   *   strided view is copied), or a Float32Array (shape `[length]`)
   * @param options name, and a gradient buffer to use
   */
  constructor(values: FloatTensor | Float32Array, options?: ParameterOptions) {
    const fn = 'Parameter';
    const t = checkTensor(fn, 'values', ArrayBuffer.isView(values) ? { data: values as Float32Array, shape: [lengthOfView(values)] } : values, 0, 8);
    let name: unknown = 'parameter';
    let grad: unknown;
    if (options !== undefined) {
      if (options === null || typeof options !== 'object') throw new SETypeError(`${fn}: options must be an object like { name, grad } but got ${describeValue(options)}`);
      const n: unknown = options.name;
      grad = options.grad;
      if (n !== undefined) name = n;
    }
    if (typeof name !== 'string') throw new SETypeError(`${fn}: options.name must be a string but is ${describeValue(name)}`);
    const dense = t.contiguous && t.offset === 0 && t.data.length === t.size;
    this.data = dense ? t.data : gatherDense(new Float32Array(t.size), t);
    this.shape = Object.freeze(t.shape.slice());
    if (grad === undefined) {
      this.grad = new Float32Array(t.size);
    } else {
      const g = checkTensor(fn, 'options.grad', { data: grad as Float32Array, shape: [t.size] }, 1, 1);
      if (g.data.length !== t.size) throw new SEShapeError(`${fn}: options.grad has length ${g.data.length} but the values ${formatShape(this.shape)} need ${t.size}`);
      if (sharesMemory(g.data, this.data)) {
        throw new SEStateError(`${fn}: options.grad shares memory with the values; a backward would add the gradient into them. Give the gradient its own array`);
      }
      this.grad = g.data;
    }
    this.name = name;
    PARAMETERS.add(this);
  }
}

function lengthOfView(v: ArrayBufferView): number {
  return Math.max(0, typedArrayLength(v));
}

/** True for a Parameter made by this copy of the library (found by identity: no property is read). @internal */
export function isOwnParameter(v: unknown): v is Parameter {
  return typeof v === 'object' && v !== null && PARAMETERS.has(v);
}
