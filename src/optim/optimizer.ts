/**
 * What every optimizer shares: the parameter list, per-parameter state created on the first step
 * that sees a gradient, the all-or-nothing validation of a step, `zeroGrad`, and a settable `lr`.
 */
import { SEOptionError, SEShapeError, SEStateError, SETypeError, describeValue } from '../errors.js';
import { isFloat32Array } from '../tensor.js';

/**
 * A parameter an optimizer updates: its values and the gradient of the loss with respect to them.
 * `SEBlock.parameters()` returns such objects, and tape `Variable`s are ones.
 */
export interface OptimizerParameter {
  /** The values; `step()` updates them in place. */
  data: Float32Array;
  /** The gradient (same length as `data`), or null when the parameter has none: `step()` then skips it, as torch skips `grad is None`. */
  grad: Float32Array | null;
}

/** A copy of `options`' own enumerable properties (each read once), with unknown keys rejected. */
export function readOptions(fn: string, options: unknown, known: readonly string[]): Record<string, unknown> {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new SETypeError(`${fn}: options must be an object like { ${known.join(', ')} } but got ${describeValue(options)}`);
  }
  const copy: Record<string, unknown> = { ...(options as Record<string, unknown>) };
  for (const key of Object.keys(copy)) {
    if (!known.includes(key)) throw new SEOptionError(`${fn}: unknown option '${key}'; expected one of ${known.join(', ')}`);
  }
  return copy;
}

/** A finite number at least `min` (and below `below` when given), or `fallback` when `v` is undefined. */
export function numberOption(fn: string, name: string, v: unknown, fallback: number | undefined, min = -Infinity, below = Infinity): number {
  if (v === undefined) {
    if (fallback === undefined) throw new SEOptionError(`${fn}: ${name} is required (a finite number >= ${min})`);
    return fallback;
  }
  const range = min === -Infinity ? 'a finite number' : below === Infinity ? `a finite number >= ${min}` : `a number in [${min}, ${below})`;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v >= below) {
    throw new SEOptionError(`${fn}: ${name} must be ${range} but is ${describeValue(v)}`);
  }
  return v;
}

/** A boolean, or `fallback` when `v` is undefined. */
export function booleanOption(fn: string, name: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new SEOptionError(`${fn}: ${name} must be true or false but is ${describeValue(v)}`);
  return v;
}

/** `[begin, end)` in bytes of a typed array within its buffer. */
interface Span {
  buffer: ArrayBufferLike;
  begin: number;
  end: number;
  index: number;
  label: string;
}

function span(a: Float32Array, index: number, label: string): Span {
  return { buffer: a.buffer, begin: a.byteOffset, end: a.byteOffset + a.byteLength, index, label };
}

/**
 * Throws SEStateError when two parameters' data share memory, or a gradient shares memory with any
 * parameter's data: the update of one would change another's values or gradient mid-step.
 */
function checkAliasing(fn: string, datas: readonly Float32Array[], grads: readonly (Float32Array | null)[]): void {
  const byBuffer = new Map<ArrayBufferLike, Span[]>();
  for (let i = 0; i < datas.length; i++) {
    if (datas[i].length === 0) continue; // owns no memory; skipping it also keeps the sorted scan below exact
    const s = span(datas[i], i, `parameters[${i}].data`);
    const list = byBuffer.get(s.buffer);
    if (list === undefined) byBuffer.set(s.buffer, [s]);
    else list.push(s);
  }
  for (const list of byBuffer.values()) {
    if (list.length < 2) continue;
    const sorted = list.slice().sort((a, b) => a.begin - b.begin);
    for (let k = 1; k < sorted.length; k++) {
      const prev = sorted[k - 1];
      const cur = sorted[k];
      if (cur.begin < prev.end) {
        const [first, second] = prev.index < cur.index ? [prev, cur] : [cur, prev];
        throw new SEStateError(
          `${fn}: ${second.label} shares memory with ${first.label} (a parameter listed twice, or two views of one array); ` +
            'each parameter must own its values',
        );
      }
    }
  }
  for (let i = 0; i < grads.length; i++) {
    const g = grads[i];
    if (g === null || g.length === 0) continue;
    const list = byBuffer.get(g.buffer);
    if (list === undefined) continue;
    const s = span(g, i, `parameters[${i}].grad`);
    for (const d of list) {
      if (s.begin < d.end && d.begin < s.end) {
        throw new SEStateError(`${fn}: ${s.label} shares memory with ${d.label}; a gradient must not alias any parameter's values`);
      }
    }
  }
}

/**
 * The base of {@link SGD} and {@link Adam}: torch.optim's `Optimizer` for one parameter group.
 *
 * - The parameter list is fixed at construction (an array or any iterable, read once); listing a
 *   parameter twice, or two parameters whose `data` share memory, is an SEStateError.
 * - `step()` reads each parameter's current `data` and `grad` once, validates all of them (data a
 *   Float32Array of the length it had at construction; grad null or a Float32Array of the same
 *   length, sharing no memory with any parameter's data) and only then updates anything, so a
 *   step that throws leaves every parameter and every state untouched. Parameters whose grad is
 *   null are skipped, and their state neither created nor advanced.
 * - State lives per parameter object, created on the first step that sees a gradient.
 * - Arithmetic: float64 per element, state and parameters stored as float32 (torch rounds to
 *   float32 after every elementary operation; the two agree to a few float32 ulps per step).
 * - One parameter group: there are no per-parameter hyperparameters (torch's `param_groups`).
 * @typeParam S the state kept per parameter
 */
export abstract class Optimizer<S> {
  /** The class name used in error messages (`SGD`, `Adam`, `AdamW`). */
  protected readonly fnName: string;
  private readonly params: readonly OptimizerParameter[];
  private readonly lengths: readonly number[];
  private readonly states = new Map<OptimizerParameter, S>();
  private learningRate: number;
  // The arrays of the last validated step, so that an unchanged set skips the aliasing check.
  private readonly seenDatas: (Float32Array | null)[];
  private readonly seenGrads: (Float32Array | null)[];
  private readonly datas: Float32Array[];
  private readonly grads: (Float32Array | null)[];

  /**
   * @param fnName the class name for error messages
   * @param parameters the parameters, an array or iterable of `{ data, grad }`
   * @param lr the validated learning rate
   */
  protected constructor(fnName: string, parameters: Iterable<OptimizerParameter>, lr: number) {
    this.fnName = fnName;
    this.learningRate = lr;
    const fn = fnName;
    if (parameters === null || typeof parameters !== 'object' || typeof (parameters as Partial<Iterable<unknown>>)[Symbol.iterator] !== 'function') {
      throw new SETypeError(
        `${fn}: parameters must be an array (or iterable) of { data: Float32Array, grad: Float32Array | null } but got ${describeValue(parameters)}` +
          (parameters !== null && typeof parameters === 'object' && 'data' in parameters ? ' (wrap a single parameter in an array)' : ''),
      );
    }
    const list: OptimizerParameter[] = Array.from(parameters as Iterable<OptimizerParameter>);
    if (list.length === 0) throw new SEShapeError(`${fn}: parameters is empty; expected at least one parameter`);
    const datas: Float32Array[] = [];
    const seen = new Map<unknown, number>();
    for (let i = 0; i < list.length; i++) {
      const p: unknown = list[i];
      if (p === null || typeof p !== 'object') {
        throw new SETypeError(`${fn}: parameters[${i}] must be an object { data: Float32Array, grad } but is ${describeValue(p)}`);
      }
      const first = seen.get(p);
      if (first !== undefined) throw new SEStateError(`${fn}: parameters[${i}] is the same object as parameters[${first}]; list each parameter once`);
      const data: unknown = (p as { data?: unknown }).data;
      if (!isFloat32Array(data)) {
        throw new SETypeError(`${fn}: parameters[${i}].data must be a Float32Array but is ${describeValue(data)}`);
      }
      seen.set(p, i);
      datas.push(data);
    }
    checkAliasing(fn, datas, []);
    this.params = Object.freeze(list);
    this.lengths = Object.freeze(datas.map((d) => d.length));
    this.datas = datas;
    this.grads = list.map(() => null);
    this.seenDatas = list.map(() => null);
    this.seenGrads = list.map(() => null);
  }

  /** The learning rate; set it between steps (schedulers), as torch users set `param_groups[0]['lr']`. */
  get lr(): number {
    return this.learningRate;
  }

  /** Sets the learning rate of the next steps (a finite number >= 0, else an SEOptionError). */
  set lr(value: number) {
    this.learningRate = numberOption(`${this.fnName}.lr`, 'the learning rate', value, undefined, 0);
  }

  /** The parameters, in the order given (a frozen array). */
  get parameters(): readonly OptimizerParameter[] {
    return this.params;
  }

  /**
   * The state of one parameter (the live object: torch's `optimizer.state[p]`), or undefined before
   * the first step that saw its gradient or for an object that is not one of the parameters.
   * @param parameter one of the objects passed to the constructor
   */
  state(parameter: OptimizerParameter): Readonly<S> | undefined {
    return this.states.get(parameter);
  }

  /**
   * One optimization step: updates every parameter whose `grad` is not null, in place, from its
   * current gradient. All parameters are validated before any is updated.
   * @throws SETypeError / SEShapeError / SEStateError naming the parameter (nothing is modified)
   */
  step(): void {
    this.snapshot(`${this.fnName}.step`);
    const lr = this.learningRate;
    for (let i = 0; i < this.params.length; i++) {
      const grad = this.grads[i];
      if (grad === null) continue;
      const p = this.params[i];
      let s = this.states.get(p);
      const fresh = s === undefined;
      if (s === undefined) {
        s = this.createState(this.lengths[i]);
        this.states.set(p, s);
      }
      this.update(this.datas[i], grad, s, fresh, lr);
    }
  }

  /**
   * Fills every parameter's gradient with zeros where it is a Float32Array (null stays null).
   * This is torch 1.x's `zero_grad(set_to_none=False)`; torch 2's default sets grads to None
   * instead. Here gradients are often fixed buffers owned by a module (`SEBlock.grads`, into which
   * backward adds), so they are cleared in place. Validated like {@link Optimizer.step} first.
   */
  zeroGrad(): void {
    this.snapshot(`${this.fnName}.zeroGrad`);
    for (let i = 0; i < this.grads.length; i++) {
      const g = this.grads[i];
      if (g !== null) g.fill(0);
    }
  }

  /** A fresh state for a parameter of `n` elements. */
  protected abstract createState(n: number): S;

  /**
   * Updates `data` from `grad` and the state in place.
   * @param fresh true on the first step that saw this parameter's gradient (the state was just made)
   */
  protected abstract update(data: Float32Array, grad: Float32Array, state: S, fresh: boolean, lr: number): void;

  /** Reads every parameter's data and grad once into `datas`/`grads` and validates them all. */
  private snapshot(fn: string): void {
    const { params, lengths, datas, grads } = this;
    let changed = false;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const data: unknown = p.data;
      const grad: unknown = p.grad;
      if (!isFloat32Array(data)) {
        throw new SETypeError(`${fn}: parameters[${i}].data must be a Float32Array but is ${describeValue(data)}`);
      }
      if (data.length !== lengths[i]) {
        throw new SEShapeError(
          `${fn}: parameters[${i}].data has length ${data.length} but had length ${lengths[i]} when the optimizer was created`,
        );
      }
      if (grad !== null) {
        if (!isFloat32Array(grad)) {
          throw new SETypeError(`${fn}: parameters[${i}].grad must be a Float32Array or null but is ${describeValue(grad)}`);
        }
        if (grad.length !== data.length) {
          throw new SEShapeError(`${fn}: parameters[${i}].grad has length ${grad.length} but parameters[${i}].data has length ${data.length}`);
        }
      }
      datas[i] = data;
      grads[i] = grad;
      if (data !== this.seenDatas[i] || grad !== this.seenGrads[i]) changed = true;
    }
    if (!changed) return;
    checkAliasing(fn, datas, grads);
    for (let i = 0; i < params.length; i++) {
      this.seenDatas[i] = datas[i];
      this.seenGrads[i] = grads[i];
    }
  }
}
