/**
 * A small reverse-mode autograd tape over dense Float32Array tensors.
 *
 * Ops are recorded in execution order, so backward is a plain reverse walk over the records
 * (no topological sort). Each record keeps the arrays its op declared it saves and a backward
 * function that returns one gradient per input; the tape checks what each backward returns (an
 * array with one Float32Array of the input's size per input that needs a gradient; the error
 * names the op, the record and the input) and adds it into the input's gradient, so a variable
 * used twice gets the sum of both contributions.
 *
 * Rules: a tape runs backward once; after that, recording on it or running backward again throws
 * SEStateError (build a new Tape per forward pass). Variables of different tapes never mix.
 * Leaf variables may share the caller's buffer (see {@link Tape.variable}); no op writes to it.
 * A backward is all or nothing: see {@link Tape}.
 *
 * The files: variable.ts (Variable and its private state), checks.ts (what `record` and `backward`
 * check, and the check of what a backward function returns), this file (the tape itself).
 */
import { isOwnParameter, type Parameter } from './parameter.js';
import { lastWriter, versionOf } from '../version.js';
import { SEStateError, SETypeError, describeThrown, describeValue, hasBrand } from '../errors.js';
import { checkTensor, formatShape, type FloatTensor } from '../tensor.js';
import {
  MAX_LIST,
  MAX_RANK,
  backwardLabel,
  checkGradients,
  denseOf,
  firstChange,
  ofOp,
  parameterGradient,
  readArray,
  readOutput,
  readSaved,
  startGradient,
  type BackwardFn,
  type SavedArray,
  type TapeRecord,
} from './checks.js';
import { STATE, Variable, VariableState, type VariableOptions } from './variable.js';

export { Variable, type VariableOptions } from './variable.js';
export type { BackwardFn, SavedArray } from './checks.js';

const TAPE = Symbol.for('se-kernels.Tape');

/**
 * The one place where gradients reach variables, once a backward's whole reverse walk has
 * succeeded and every parameter's gradient buffer has been read and checked
 * ({@link parameterGradient}): the variable's gradient becomes its staged buffer (a fresh array it
 * then owns), and a parameter's variable also ADDS it into `sink`, the parameter's `grad` as it is
 * now (which lives across tapes, like PyTorch's `.grad`). It writes the fields itself, so an own
 * `grad` property defined on the object cannot intercept it, and it cannot fail.
 */
function publishGradient(state: VariableState, sink: Float32Array | null): void {
  const g = state.staged;
  state.grad = g;
  state.staged = null;
  if (sink !== null && g !== null) for (let i = 0; i < g.length; i++) sink[i] += g[i];
}

/**
 * Records ops in execution order and runs them backward once.
 *
 * **All or nothing.** A backward accumulates every gradient into staging buffers of its own during
 * the reverse walk and publishes them to the variables' `grad` only after the whole walk has
 * succeeded, in one step (the place where gradient buffers that live across tapes will be added
 * into). If the walk fails anywhere (a backward function throws, or returns something that is not
 * one right-sized Float32Array per input that needs a gradient), then afterwards:
 * - every variable's `grad` is exactly what it was before the call, the same array with the same
 *   contents or null (no partial sums anywhere: not in variables used in several places, not in
 *   intermediate variables, not in the loss);
 * - the tape is closed (`finished` is true) and stays closed: `record` (so every op), `variable`,
 *   `constant` and `backward` throw SEStateError saying that this tape's backward failed, and why;
 * - the error thrown names the op, its record number (in execution order, of all records) and the
 *   input. A backward that returns the wrong thing gives SETypeError (not an array; an entry that
 *   is not a Float32Array, null included) or SEShapeError (too few entries, or a non-null entry
 *   past the last input; a Float32Array of the wrong length). Whatever a backward function throws,
 *   SEErrors included, is wrapped in an SEStateError naming the op and record, with the original
 *   as its `cause`: the original cannot say where on the tape it happened.
 *
 * Argument errors of `backward` itself (a loss of another tape, a seed of the wrong shape) are
 * thrown before anything happens: the tape stays open and can run backward with good arguments.
 */
export class Tape {
  /** @internal Brand recognised by `instanceof` across copies of the package. */
  readonly [TAPE] = true;
  /** `instanceof` by brand: true for instances from any copy of se-kernels (ESM and CommonJS builds, duplicate installs). */
  static [Symbol.hasInstance](v: unknown): boolean {
    return hasBrand(v, TAPE);
  }
  private readonly records: TapeRecord[] = [];
  private done = false;
  /** Set when a backward failed: what went wrong, for the messages of later calls. */
  private failure: string | null = null;

  /** The variables made by {@link Tape.parameter}, in order. */
  private readonly parameters: VariableState[] = [];

  /** Number of ops recorded so far. */
  get length(): number {
    return this.records.length;
  }

  /** Whether backward has run, successfully or not (the tape then accepts no more ops). */
  get finished(): boolean {
    return this.done;
  }

  /**
   * A leaf variable from any FloatTensor. A dense row-major tensor whose buffer holds exactly its
   * elements is used without copying (no op writes to it); any other view is copied. A
   * Float32Array of a subclass or of another realm is used through a plain Float32Array over the
   * same memory.
   * @param t the values
   * @param options requiresGrad (default true) and name (default 'variable')
   */
  variable(t: FloatTensor, options?: VariableOptions): Variable {
    const fn = 'Tape.variable';
    this.assertOpen(fn, '');
    const ct = checkTensor(fn, 't', t, 0, MAX_RANK);
    let requiresGrad: unknown = true;
    let name: unknown = 'variable';
    if (options !== undefined) {
      if (options === null || typeof options !== 'object') {
        throw new SETypeError(`${fn}: options must be an object like { requiresGrad, name } or undefined but got ${describeValue(options)}`);
      }
      const r: unknown = options.requiresGrad;
      const n: unknown = options.name;
      if (r !== undefined) requiresGrad = r;
      if (n !== undefined) name = n;
    }
    if (typeof requiresGrad !== 'boolean') {
      throw new SETypeError(`${fn}: options.requiresGrad must be a boolean but is ${describeValue(requiresGrad)}`);
    }
    if (typeof name !== 'string') throw new SETypeError(`${fn}: options.name must be a string but is ${describeValue(name)}`);
    const { data } = denseOf(fn, 't', ct);
    return this.adopt(new Variable(this, data, ct.shape, requiresGrad, name));
  }

  /**
   * A leaf variable for a {@link Parameter}: its data without a copy, and a successful backward
   * ADDS the variable's gradient into `p.grad` (besides setting the variable's own `grad`), so one
   * Parameter serves a new tape every step and the optimizers see its gradient. A parameter may be
   * put on a tape more than once; each variable adds its share.
   *
   * Safety, as PyTorch's autograd (see {@link Tape.backward}): the gradient goes into the `grad`
   * the parameter has when the backward publishes it (one replaced by a fresh array in between
   * receives it); a `grad` sharing memory with the parameter's own `data` is refused here and at
   * backward; and the values are copied privately here, so that a backward after they were changed
   * in place throws instead of silently using the new values.
   * @param p the parameter (made by this copy of se-kernels)
   * @throws SEStateError when `p.grad` shares memory with `p.data`
   */
  parameter(p: Parameter): Variable {
    const fn = 'Tape.parameter';
    this.assertOpen(fn, '');
    if (!isOwnParameter(p)) throw new SETypeError(`${fn}: p must be a Parameter (the object itself, made by this copy of se-kernels) but got ${describeValue(p)}`);
    const data = p.data;
    const name = p.name;
    parameterGradient(fn, p, data, name, 'when put on the tape');
    const v = this.adopt(new Variable(this, data, p.shape, true, name));
    const state = v[STATE];
    state.param = p;
    state.original = data.slice();
    state.version = versionOf(data);
    this.parameters.push(state);
    return v;
  }

  /** A leaf that needs no gradient (inputs, targets). Same sharing rule as {@link Tape.variable}. */
  constant(t: FloatTensor, name = 'constant'): Variable {
    return this.variable(t, { requiresGrad: false, name });
  }

  /**
   * Records one op and returns its output variable. This is how every op in `ops.ts` is built,
   * and how users add ops of their own. Every argument is checked (each array argument read once
   * and copied) before anything is recorded; messages name `Tape.record`, the op and the argument,
   * e.g. `Tape.record: shape[0] of op "myOp" must be a positive integer but is -2`.
   * @param op the op's name (a non-empty string), used in error messages and as the output's name
   * @param inputs the variables the op read: Variables of this tape (the same one may repeat)
   * @param data the op's output values, dense row-major: a real Float32Array (of any realm or
   *   subclass; those are used through a plain Float32Array over the same memory) whose true
   *   length is the product of `shape`
   * @param shape the output's shape: at most 8 dims, each a positive safe integer (zero-sized dims
   *   are refused, as everywhere in the library: every Variable has at least one element); copied
   *   and frozen (a variable's own `shape` is taken as it is)
   * @param saved the typed arrays the backward needs (declared, so what an op keeps alive is
   *   visible); the list is copied, the arrays are kept as given
   * @param backward computes the inputs' gradients from the output's (see {@link BackwardFn})
   */
  record<S extends readonly SavedArray[]>(
    op: string,
    inputs: readonly Variable[],
    data: Float32Array,
    shape: readonly number[],
    saved: S,
    backward: BackwardFn<S>,
  ): Variable {
    const fn = 'Tape.record';
    if (typeof op !== 'string' || op.length === 0) {
      throw new SETypeError(`${fn}: op must be a non-empty string (the op's name) but got ${describeValue(op)}`);
    }
    if (this.done) this.assertOpen(fn, ` cannot record op ${describeValue(op)}:`);

    const ins = readArray(fn, 'inputs', op, inputs, MAX_LIST).map((v, k) => this.own(fn, op, k, v));
    const { out, shape: outShape } = readOutput(fn, op, data, shape);
    const keep = readSaved(fn, op, saved);
    if (typeof backward !== 'function') {
      throw new SETypeError(`${fn}: ${ofOp('backward', op)} must be a function (dy, saved, needs) => gradients but got ${describeValue(backward)}`);
    }
    const needs = ins.map((v) => v.requiresGrad);
    const requiresGrad = needs.includes(true);
    const output = this.adopt(new Variable(this, out, outShape, requiresGrad, op));
    if (requiresGrad) this.records.push({ op, inputs: ins, needs, output, saved: keep, run: backward });
    return output;
  }

  /**
   * Computes gradients of `loss` with respect to every variable that requires one, then closes
   * the tape. Gradients land in each reached variable's `grad` (the loss and intermediate
   * variables included), all at once when the whole reverse walk has succeeded; if it fails,
   * no `grad` changes (see {@link Tape}).
   * @param loss the variable to differentiate, a Variable of this tape; it must have exactly one
   *   element (any shape: `[]`, `[1]`, `[1, 1]`) unless `seed` is given
   * @param seed the gradient of the final objective with respect to `loss` (default 1): a tensor
   *   of exactly the loss's shape (a scalar loss of shape `[]` takes a seed of shape `[]`, not `[1]`)
   */
  backward(loss: Variable, seed?: FloatTensor): void {
    const fn = 'Tape.backward';
    this.assertOpen(fn, '');
    loss = this.own(fn, null, 0, loss);
    const start = startGradient(fn, loss, seed);
    this.done = true;
    if (!loss.requiresGrad) return;
    // Staging: each reached variable's gradient accumulates in its state's `staged` slot; `reached`
    // lists them, to publish them all on success or clear them all on failure.
    const lossState = loss[STATE];
    lossState.staged = start;
    const reached: VariableState[] = [lossState];
    let sinks: (Float32Array | null)[];
    try {
      this.checkUnmodified(fn);
      this.walk(fn, reached);
      sinks = reached.map((r) => (r.param === null ? null : parameterGradient(fn, r.param, r.data, r.name, 'at backward')));
    } catch (e) {
      for (let i = 0; i < reached.length; i++) reached[i].staged = null;
      this.failure = describeThrown(e);
      throw e;
    }
    for (let i = 0; i < reached.length; i++) publishGradient(reached[i], sinks[i]);
  }

  /**
   * Throws SEStateError when a parameter an op saved for backward was changed in place since it
   * was put on the tape (torch: "one of the variables needed for gradient computation has been
   * modified by an inplace operation"), naming the parameter, the op and the element.
   *
   * Two checks. Torch bumps a tensor's version in every in-place op; here the library's own
   * in-place writers (optimizer steps, `SEBlock.loadStateDict`) bump a count (`src/version.ts`),
   * which catches them even when the values did not change, and names the writer. But users write
   * `p.data[i] = v` on a plain Float32Array, which no counter sees, so {@link Tape.parameter} also
   * keeps a private copy of the values and this compares them, bit for bit, once per backward: one
   * pass over the parameters (the cost of an optimizer step over them), never over activations. Variables from {@link Tape.variable} are not compared (they can
   * be as large as the data); the fused SE op checks its input's fingerprint itself (see `SECache`).
   */
  private checkUnmodified(fn: string): void {
    for (const state of this.parameters) {
      const original = state.original;
      if (original === null) continue;
      const byLibrary = versionOf(state.data) !== state.version;
      const i = byLibrary ? -1 : firstChange(state.data, original);
      if (!byLibrary && i < 0) continue;
      const n = this.records.length;
      const r = this.records.findIndex((rec) => rec.inputs.some((v) => v[STATE] === state));
      if (r < 0) continue; // no op used it: nothing saved it for backward
      const how = byLibrary ? `by ${lastWriter(state.data) ?? 'the library'}` : `(element ${i} was ${original[i]} and is now ${state.data[i]})`;
      throw new SEStateError(
        `${fn}: parameter ${describeValue(state.name)} (shape ${formatShape(state.shape)}), which op ${describeValue(this.records[r].op)} ` +
          `(record ${r + 1} of ${n}) saved for its backward, was modified in place after the forward ${how}, so its gradients would be wrong; ` +
          'change parameters only after backward (an optimizer step), or run the forward again on a new Tape',
      );
    }
  }

  /** The reverse walk: runs each reached record's backward and adds its gradients into the inputs' staged slots. */
  private walk(fn: string, reached: VariableState[]): void {
    const n = this.records.length;
    for (let r = n - 1; r >= 0; r--) {
      const rec = this.records[r];
      const dy = rec.output[STATE].staged;
      if (dy === null) continue;
      const run = rec.run;
      let result: unknown;
      try {
        result = run(dy, rec.saved, rec.needs);
      } catch (e) {
        throw new SEStateError(`${fn}: ${backwardLabel(rec, r, n)} threw ${describeThrown(e)}`, { cause: e });
      }
      const grads = checkGradients(fn, rec, r, n, result);
      for (let k = 0; k < rec.inputs.length; k++) {
        const input = rec.inputs[k][STATE];
        if (!input.requiresGrad) continue;
        const g = grads[k];
        const acc = input.staged;
        if (acc === null) {
          // Copy on first arrival: a backward may return dy or an array it shares.
          const copy = new Float32Array(input.size);
          copy.set(g);
          input.staged = copy;
          reached.push(input);
        } else {
          for (let i = 0; i < acc.length; i++) acc[i] += g[i];
        }
      }
    }
  }

  /** Registers a variable this tape made. */
  private adopt(v: Variable): Variable {
    v[STATE].owner = this;
    return v;
  }

  /** Throws SEStateError if the tape is closed; `doing` (e.g. ` cannot record op "mul":`) follows `fn:`. */
  private assertOpen(fn: string, doing: string): void {
    if (!this.done) return;
    if (this.failure === null) {
      throw new SEStateError(`${fn}:${doing} this tape has already run backward; record each forward pass on a new Tape`);
    }
    throw new SEStateError(
      `${fn}:${doing} this tape already ran a backward that failed, so it is closed (no variable's grad was changed by it); ` +
        `record the forward pass again on a new Tape. The failure: ${this.failure}`,
    );
  }

  /**
   * `v` as one of this tape's Variables (the object itself when `v` is a Proxy of one), or throws:
   * SETypeError for anything else, SEStateError for a Variable of another tape. Messages call it
   * `loss` (op null) or `inputs[k] of op "name"`.
   */
  private own(fn: string, op: string | null, k: number, v: unknown): Variable {
    let state: unknown;
    if (typeof v === 'object' && v !== null) {
      try {
        state = (v as { [STATE]?: unknown })[STATE];
      } catch {
        state = undefined;
      }
    }
    if (state instanceof VariableState && state.owner === this) return state.self;
    const what = op === null ? 'loss' : ofOp(`inputs[${k}]`, op);
    if (!(v instanceof Variable)) throw new SETypeError(`${fn}: ${what} must be a Variable but got ${describeValue(v)}`);
    let tape: unknown;
    try {
      tape = v.tape;
    } catch {
      tape = undefined;
    }
    if (tape !== this && tape instanceof Tape) throw new SEStateError(`${fn}: ${what} belongs to a different tape`);
    throw new SETypeError(`${fn}: ${what} is not a Variable made by this tape (an imitation, or a copy of one)`);
  }
}
