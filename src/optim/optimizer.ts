/**
 * What every optimizer shares: the parameter list, per-parameter state created on the first step
 * that sees a gradient, the all-or-nothing validation of a step, `zeroGrad`, and a settable `lr`.
 */
import { numberOption } from '../arguments.js';
import { SEShapeError, SEStateError, SETypeError, describeValue } from '../errors.js';
import { float32Length, viewBuffer, viewByteOffset } from '../intrinsics.js';
import { isFloat32Array } from '../tensor.js';
import { bumpVersion } from '../version.js';
import { readStateDict, type OptimizerStateDict } from './state.js';

export type { OptimizerStateDict } from './state.js';

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

/** `[begin, end)` in bytes of a typed array within its buffer. */
interface Span {
  buffer: ArrayBufferLike;
  begin: number;
  end: number;
  index: number;
  label: string;
}

/** The span of `a`, a Float32Array the caller validated, read through the engine's own getters (never the array's properties). */
function span(a: Float32Array, index: number, label: string): Span {
  const begin = viewByteOffset(a);
  return { buffer: viewBuffer(a), begin, end: begin + float32Length(a) * 4, index, label };
}

/**
 * Throws SEStateError when two parameters' data share memory, or a gradient shares memory with any
 * parameter's data: the update of one would change another's values or gradient mid-step.
 */
function checkAliasing(fn: string, datas: readonly Float32Array[], grads: readonly (Float32Array | null)[]): void {
  const byBuffer = new Map<ArrayBufferLike, Span[]>();
  for (let i = 0; i < datas.length; i++) {
    if (float32Length(datas[i]) === 0) continue; // owns no memory; skipping it also keeps the sorted scan below exact
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
    if (g === null || float32Length(g) === 0) continue;
    const list = byBuffer.get(viewBuffer(g));
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
 * @typeParam E one parameter's state in a state dict (torch's names)
 * @typeParam G the hyperparameters in a state dict's group (torch's names)
 */
export abstract class Optimizer<S, E = Record<string, unknown>, G = Record<string, unknown>> {
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
    this.lengths = Object.freeze(datas.map((d) => float32Length(d)));
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
      bumpVersion(this.datas[i], `${this.fnName}.step`);
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

  /**
   * The state in torch's `state_dict()` structure (see {@link OptimizerStateDict}): copies, so
   * later steps do not change it. `writeSafetensors`-ready tensors and the scalars are separated by
   * `saveCheckpoint`; see docs/checkpoints.md.
   */
  stateDict(): OptimizerStateDict<E, G> {
    const state: Record<number, E> = {};
    for (let i = 0; i < this.params.length; i++) {
      const s = this.states.get(this.params[i]);
      if (s !== undefined) state[i] = this.exportState(s);
    }
    return { state, param_groups: [{ ...this.exportGroup(), params: this.params.map((_, i) => i) }] };
  }

  /**
   * Replaces the hyperparameters and the state with those of `sd` (torch's `load_state_dict`): a
   * state dict from {@link Optimizer.stateDict}, or torch's own converted key for key (tensors as
   * Float32Arrays or FloatTensors, `step` a number or a one-element tensor). Everything is checked
   * first (one group whose `params` are `[0, ..., n - 1]` for this optimizer's n parameters; the
   * hyperparameters as the constructor checks them; state indices in range, each entry with exactly
   * this optimizer's keys, arrays of the parameter's length); nothing changes if anything is wrong.
   * Torch's `foreach`, `capturable`, `differentiable`, `fused` are accepted when false or null.
   * @param sd the state dict (read once; its arrays are copied)
   * @throws SETypeError / SEShapeError / SEOptionError naming the key that is wrong
   */
  loadStateDict(sd: { readonly state: object; readonly param_groups: readonly object[] }): void {
    const fn = `${this.fnName}.loadStateDict`;
    const { hyper, entries } = readStateDict(
      fn,
      sd,
      this.params.length,
      (group) => this.importGroup(fn, 'sd.param_groups[0]', group),
      (i, entry, h) => this.importState(fn, `sd.state[${i}]`, entry, this.lengths[i], h),
    );
    this.applyGroup(hyper);
    this.states.clear();
    for (const [i, s] of entries) this.states.set(this.params[i], s);
  }

  /** The hyperparameters under torch's names (without `params`). */
  protected abstract exportGroup(): G;

  /** One parameter's state under torch's names, copied. */
  protected abstract exportState(s: S): E;

  /**
   * Checks a group's hyperparameters (torch's names, `params` and torch's off flags removed) and
   * returns them for {@link Optimizer.applyGroup}; unknown keys are an SEOptionError. Applies nothing.
   */
  protected abstract importGroup(fn: string, where: string, group: Record<string, unknown>): unknown;

  /** Sets the hyperparameters returned by {@link Optimizer.importGroup}. */
  protected abstract applyGroup(hyper: unknown): void;

  /** Checks one parameter's state entry (torch's names) against `hyper` and returns a fresh state. */
  protected abstract importState(fn: string, where: string, entry: Record<string, unknown>, n: number, hyper: unknown): S;

  /** Sets the learning rate without the setter's check (the caller checked it). */
  protected setLearningRate(lr: number): void {
    this.learningRate = lr;
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
      const n = float32Length(data);
      if (n !== lengths[i]) {
        throw new SEShapeError(`${fn}: parameters[${i}].data has length ${n} but had length ${lengths[i]} when the optimizer was created`);
      }
      if (grad !== null) {
        if (!isFloat32Array(grad)) {
          throw new SETypeError(`${fn}: parameters[${i}].grad must be a Float32Array or null but is ${describeValue(grad)}`);
        }
        const m = float32Length(grad);
        if (m !== n) throw new SEShapeError(`${fn}: parameters[${i}].grad has length ${m} but parameters[${i}].data has length ${n}`);
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
