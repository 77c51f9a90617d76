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
 */
import { isOwnParameter, type Parameter } from './parameter.js';
import { lastWriter, versionOf } from '../version.js';
import { SEShapeError, SEStateError, SETypeError, describeThrown, describeValue, hasBrand } from '../errors.js';
import { float32Length, isRealFloat32Array, plainFloat32Array, typedArrayName } from '../intrinsics.js';
import { checkTensor, formatShape, gatherDense, type CheckedTensor, type FloatTensor } from '../tensor.js';

const VARIABLE = Symbol.for('se-kernels.Variable');
const TAPE = Symbol.for('se-kernels.Tape');
/** Highest rank of a variable, as everywhere in the library. */
const MAX_RANK = 8;
/**
 * Most entries read from a list argument (inputs, saved arrays, returned gradients): far more than
 * any op has, and a bound on the work a Proxy claiming a huge length can cause.
 */
const MAX_LIST = 1 << 20;

/** Where a Variable keeps its fields: a key private to this module, so no one else can reach them. */
const STATE = Symbol('se-kernels.Variable.state');

/** A Variable's fields, kept under a key private to this module. All but `grad` and `owner` are fixed. */
class VariableState {
  grad: Float32Array | null = null;
  /** The gradient being accumulated by a running backward; null outside one (see {@link Tape.backward}). */
  staged: Float32Array | null = null;
  /** The tape that made the variable and recognises it (set once, by that tape); null for a Variable constructed directly. */
  owner: Tape | null = null;
  /** For a variable made by {@link Tape.parameter}: the parameter, whose `grad` (as it is when the backward publishes) a successful backward adds into. */
  param: Parameter | null = null;
  /** For a variable made by {@link Tape.parameter}: a private copy of its values then, to detect an in-place change before backward. */
  original: Float32Array | null = null;
  /** For a variable made by {@link Tape.parameter}: the library's write count of its values then (see `src/version.ts`). */
  version = 0;
  constructor(
    readonly self: Variable,
    readonly tape: Tape,
    readonly data: Float32Array,
    /** Frozen, and registered in FROZEN_SHAPES. */
    readonly shape: readonly number[],
    readonly size: number,
    readonly requiresGrad: boolean,
    readonly name: string,
  ) {}
}

/**
 * Shapes this module copied and froze. A variable's shape is one of them, so an op passing
 * `x.shape` as its output's shape (the common case) costs neither a copy nor a check.
 */
const FROZEN_SHAPES = new WeakSet<readonly number[]>();

const SCALAR_SHAPE: readonly number[] = Object.freeze([]);
FROZEN_SHAPES.add(SCALAR_SHAPE);

/** `shape` itself if this module froze it, else a frozen copy (registered). */
function frozenShape(shape: readonly number[]): readonly number[] {
  if (FROZEN_SHAPES.has(shape)) return shape;
  if (shape.length === 0) return SCALAR_SHAPE;
  const copy = Object.freeze(shape.slice());
  FROZEN_SHAPES.add(copy);
  return copy;
}

/**
 * A tensor on a tape: dense row-major float32 data, its shape, and its gradient after backward.
 * Everything but `grad` is fixed when the variable is made: `data`, `shape` (a frozen array),
 * `size`, `requiresGrad`, `name` and `tape` are read-only accessors, so what the tape checked when
 * recording still holds during backward, and no op sees a shape changed under it.
 */
export class Variable {
  /** @internal Brand recognised by `instanceof` across copies of the package. */
  readonly [VARIABLE] = true;
  /** @internal The fields, under a key only this module has. */
  readonly [STATE]: VariableState;
  /** `instanceof` by brand: true for instances from any copy of se-kernels (ESM and CommonJS builds, duplicate installs). */
  static [Symbol.hasInstance](v: unknown): boolean {
    return hasBrand(v, VARIABLE);
  }

  /**
   * @internal Use {@link Tape.variable}, {@link Tape.constant} or an op to make one; a Variable
   * constructed directly is not one of any tape's variables, and every tape refuses it.
   */
  constructor(tape: Tape, data: Float32Array, shape: readonly number[], requiresGrad: boolean, name: string) {
    const dims = frozenShape(shape);
    let size = 1;
    for (let k = 0; k < dims.length; k++) size *= dims[k];
    this[STATE] = new VariableState(this, tape, data, dims, size, requiresGrad, name);
  }

  /**
   * Gradient of the loss with respect to this variable; null until a backward that reaches it
   * succeeds (see {@link Tape} for when and how the tape writes it). Assignable.
   */
  get grad(): Float32Array | null {
    return this[STATE].grad;
  }
  /** Replaces the gradient (e.g. with null before reusing the variable's values elsewhere). */
  set grad(g: Float32Array | null) {
    this[STATE].grad = g;
  }
  /** The tape this variable belongs to. */
  get tape(): Tape {
    return this[STATE].tape;
  }
  /** The values, dense row-major. */
  get data(): Float32Array {
    return this[STATE].data;
  }
  /** The shape, a frozen array; `[]` is a scalar. */
  get shape(): readonly number[] {
    return this[STATE].shape;
  }
  /** Number of elements. */
  get size(): number {
    return this[STATE].size;
  }
  /** Whether gradients are computed for it (true if it is a parameter or depends on one). */
  get requiresGrad(): boolean {
    return this[STATE].requiresGrad;
  }
  /** The op that made it, or the name given to a leaf. */
  get name(): string {
    return this[STATE].name;
  }
}

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

/** Whether two typed arrays share any byte of memory. */
function sharesMemory(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return a.buffer === b.buffer && a.byteLength > 0 && b.byteLength > 0 && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/**
 * A parameter's gradient buffer as it is now (read once): a Float32Array of the data's length that
 * shares no memory with the data (a backward adding into it would change the values), else an
 * SEStateError (SETypeError for a wrong type) naming the parameter. `when` says at which call.
 */
function parameterGradient(fn: string, p: Parameter, data: Float32Array, name: string, when: string): Float32Array {
  const grad: unknown = p.grad;
  if (!isRealFloat32Array(grad)) throw new SETypeError(`${fn}: parameter ${describeValue(name)} has grad ${describeValue(grad)} ${when}; expected a Float32Array(${data.length})`);
  if (grad.length !== data.length) {
    throw new SEShapeError(`${fn}: parameter ${describeValue(name)} has a grad of length ${grad.length} ${when} but its data has ${data.length} elements`);
  }
  if (sharesMemory(grad, data)) {
    throw new SEStateError(`${fn}: parameter ${describeValue(name)} has a grad that shares memory with its own data ${when}; a backward would add the gradient into the values. Give it its own array`);
  }
  return grad;
}

/** The first index where two equal-length arrays differ bit for bit (NaN payloads and -0 count), or -1. */
function firstChange(now: Float32Array, then: Float32Array): number {
  const a = new Int32Array(now.buffer, now.byteOffset, now.length);
  const b = new Int32Array(then.buffer, then.byteOffset, then.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** A typed array an op may save for its backward: Float32Array values, integer indices, and so on. */
export type SavedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/**
 * The backward of one recorded op: given the gradient of its output, the arrays it saved (in the
 * order given to {@link Tape.record}), and which inputs need a gradient, returns an array with one
 * entry per input: a Float32Array of that input's size where `needs[k]` is true (zeros if the
 * output does not depend on it; null is an error there), anything (conventionally null) where
 * `needs[k]` is false (ignored). Entries past the last input must be null or undefined. The tape
 * copies what it keeps, so a backward may return `dy` itself; it must not modify `dy` or the saved
 * arrays. It is called as a plain function (`this` is undefined). What it throws is wrapped, see
 * {@link Tape}.
 */
export type BackwardFn<S extends readonly SavedArray[] = readonly Float32Array[]> = (
  dy: Float32Array,
  saved: S,
  needs: readonly boolean[],
) => readonly (Float32Array | null)[];

interface TapeRecord {
  readonly op: string;
  /** The record's own copy of the inputs. */
  readonly inputs: readonly Variable[];
  /** `inputs[k].requiresGrad`, for the backward (the tape itself asks the variables, whose flags cannot change). */
  readonly needs: readonly boolean[];
  readonly output: Variable;
  /** The record's own copy of the saved list (the arrays themselves are the op's). */
  readonly saved: readonly SavedArray[];
  /** The op's backward (method syntax: it was checked against the saved list's own type when recorded). */
  run(dy: Float32Array, saved: readonly SavedArray[], needs: readonly boolean[]): unknown;
}

/** Options of {@link Tape.variable}. */
export interface VariableOptions {
  /** Whether to compute a gradient for it (default true for `variable`, false for `constant`). */
  requiresGrad?: boolean;
  /** A name for messages (default 'variable' / 'constant'). */
  name?: string;
}

function isTypedArray(v: unknown): v is SavedArray {
  return typedArrayName(v) !== undefined;
}

/** `1 gradient`, `2 inputs`. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** `shape of op "mul"`: an argument of an op, for messages (built only when a message is). */
function ofOp(arg: string, op: string): string {
  return `${arg} of op ${describeValue(op)}`;
}

/** `the backward of op "mul" (record 3 of 5)`, for messages. */
function backwardLabel(rec: TapeRecord, r: number, n: number): string {
  return `the backward of op ${describeValue(rec.op)} (record ${r + 1} of ${n})`;
}

/** `input 1 ("w", shape [4, 2])` for messages. */
function inputLabel(k: number, v: Variable): string {
  return `input ${k} (${describeValue(v.name)}, shape ${formatShape(v.shape)})`;
}

/** The name of an argument in messages (see {@link readArray}). */
function argLabel(arg: string | (() => string), op: string | null): string {
  const name = typeof arg === 'string' ? arg : arg();
  return op === null ? name : ofOp(name, op);
}

/**
 * Reads an array argument once: checks it is an array of at most `maxLength` entries and copies
 * them into a new array (the length and each index read exactly once). Messages call it `arg`
 * (a function is called only when a message is built), or `arg of op "name"` when `op` is given.
 * A Proxy trap or getter that throws becomes an SETypeError whose `cause` is what it threw.
 */
function readArray(fn: string, arg: string | (() => string), op: string | null, v: unknown, maxLength: number): unknown[] {
  let array: boolean;
  try {
    array = Array.isArray(v);
  } catch {
    array = false; // a revoked Proxy
  }
  if (!array) throw new SETypeError(`${fn}: ${argLabel(arg, op)} must be an array but got ${describeValue(v)}`);
  const source = v as readonly unknown[];
  let n: unknown;
  try {
    n = source.length;
  } catch (e) {
    throw new SETypeError(`${fn}: reading ${argLabel(arg, op)} threw ${describeThrown(e)}`, { cause: e });
  }
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new SETypeError(`${fn}: ${argLabel(arg, op)} must be an array but its length is ${describeValue(n)}`);
  }
  if (n > maxLength) throw new SEShapeError(`${fn}: ${argLabel(arg, op)} must have at most ${maxLength} entries but has ${n}`);
  const copy = new Array<unknown>(n);
  try {
    for (let i = 0; i < n; i++) copy[i] = source[i];
  } catch (e) {
    throw new SETypeError(`${fn}: reading ${argLabel(arg, op)} threw ${describeThrown(e)}`, { cause: e });
  }
  return copy;
}

/** The plain Float32Array behind a checked tensor, its reach checked against the array's true length. */
function denseData(fn: string, name: string, ct: CheckedTensor): Float32Array {
  const data = plainFloat32Array(ct.data);
  if (data === null) throw new SETypeError(`${fn}: ${name}.data must be a Float32Array but got ${describeValue(ct.data)}`);
  let lo = ct.offset;
  let hi = ct.offset;
  for (let k = 0; k < ct.shape.length; k++) {
    const reach = ct.stride[k] * (ct.shape[k] - 1);
    if (reach < 0) lo += reach;
    else hi += reach;
  }
  // Checked again on the true length: a subclass or an own property may report a longer `length`.
  if (lo < 0 || hi >= data.length) {
    throw new SEShapeError(`${fn}: ${name} addresses data[${lo}..${hi}] but ${name}.data has length ${data.length}`);
  }
  return data;
}

/** A dense row-major copy of a checked tensor, or its own array when that already is one. */
function denseOf(fn: string, name: string, ct: CheckedTensor): { data: Float32Array; shared: boolean } {
  const data = denseData(fn, name, ct);
  if (ct.contiguous && ct.offset === 0 && data.length === ct.size) return { data, shared: true };
  const view: CheckedTensor = { data, shape: ct.shape, stride: ct.stride, offset: ct.offset, size: ct.size, contiguous: ct.contiguous };
  return { data: gatherDense(new Float32Array(ct.size), view), shared: false };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
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

    const vars = readArray(fn, 'inputs', op, inputs, MAX_LIST);
    for (let k = 0; k < vars.length; k++) vars[k] = this.own(fn, op, k, vars[k]);

    const out = plainFloat32Array(data);
    if (out === null) throw new SETypeError(`${fn}: ${ofOp('data', op)} must be a Float32Array but got ${describeValue(data)}`);

    let outShape: readonly number[];
    let size = 1;
    if (typeof shape === 'object' && shape !== null && FROZEN_SHAPES.has(shape)) {
      // A variable's shape: checked when that variable was made, and frozen since.
      outShape = shape;
      for (let k = 0; k < outShape.length; k++) size *= outShape[k];
    } else {
      const dims = readArray(fn, 'shape', op, shape, MAX_RANK);
      for (let k = 0; k < dims.length; k++) {
        const d = dims[k];
        if (typeof d !== 'number' || !Number.isSafeInteger(d) || d <= 0) {
          throw new SEShapeError(`${fn}: ${ofOp(`shape[${k}]`, op)} must be a positive integer but is ${describeValue(d)}`);
        }
        size *= d;
      }
      const checked = dims as number[];
      if (!Number.isSafeInteger(size)) {
        throw new SEShapeError(`${fn}: ${ofOp('shape', op)} is ${formatShape(checked)}, ${size} elements, more than can be counted exactly`);
      }
      outShape = frozenShape(checked);
    }
    if (out.length !== size) {
      throw new SEShapeError(`${fn}: ${ofOp('data', op)} has length ${out.length} but shape ${formatShape(outShape)} needs ${size}`);
    }

    const keep = readArray(fn, 'saved', op, saved, MAX_LIST);
    for (let k = 0; k < keep.length; k++) {
      if (!isTypedArray(keep[k])) {
        throw new SETypeError(`${fn}: ${ofOp(`saved[${k}]`, op)} must be a typed array (such as a Float32Array) but got ${describeValue(keep[k])}`);
      }
    }
    if (typeof backward !== 'function') {
      throw new SETypeError(`${fn}: ${ofOp('backward', op)} must be a function (dy, saved, needs) => gradients but got ${describeValue(backward)}`);
    }

    const ins = vars as Variable[];
    const needs = new Array<boolean>(ins.length);
    let requiresGrad = false;
    for (let k = 0; k < ins.length; k++) {
      needs[k] = ins[k].requiresGrad;
      if (needs[k]) requiresGrad = true;
    }
    const output = this.adopt(new Variable(this, out, outShape, requiresGrad, op));
    if (requiresGrad) this.records.push({ op, inputs: ins, needs, output, saved: keep as SavedArray[], run: backward });
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
    let start: Float32Array;
    if (seed === undefined) {
      if (loss.size !== 1) {
        throw new SEShapeError(`${fn}: loss has shape ${formatShape(loss.shape)}; without a seed it must have one element`);
      }
      start = new Float32Array(1);
      start[0] = 1;
    } else {
      const st = checkTensor(fn, 'seed', seed, 0, MAX_RANK);
      if (!sameShape(st.shape, loss.shape)) {
        throw new SEShapeError(
          `${fn}: seed has shape ${formatShape(st.shape)} but loss has shape ${formatShape(loss.shape)}; the seed must have exactly the loss's shape`,
        );
      }
      const dense = denseOf(fn, 'seed', st);
      start = dense.data;
      if (dense.shared) {
        start = new Float32Array(st.size);
        start.set(dense.data);
      }
    }
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

/**
 * What a backward returned, read once and checked: an array with an entry per input, a
 * Float32Array of the input's size where the input needs a gradient. Returns the entries.
 */
function checkGradients(fn: string, rec: TapeRecord, r: number, nRecords: number, result: unknown): Float32Array[] {
  const n = rec.inputs.length;
  const expected = (): string =>
    `an array of ${count(n, 'gradient')}, one per input (a Float32Array of the input's size, or null where needs[k] is false)`;
  let array: boolean;
  try {
    array = Array.isArray(result);
  } catch {
    array = false;
  }
  if (!array) {
    const hint = isRealFloat32Array(result) ? '; wrap a single gradient in an array: [gradient]' : '';
    throw new SETypeError(`${fn}: ${backwardLabel(rec, r, nRecords)} returned ${describeValue(result)}; expected ${expected()}${hint}`);
  }
  const entries = readArray(fn, () => `what ${backwardLabel(rec, r, nRecords)} returned`, null, result, MAX_LIST);
  // Entries past the last input are tolerated only when null or undefined (an op with an
  // optional input, such as linear's bias, may list a null for it when it is absent).
  let extra = false;
  for (let k = n; k < entries.length; k++) if (entries[k] !== null && entries[k] !== undefined) extra = true;
  if (entries.length < n || extra) {
    throw new SEShapeError(`${fn}: ${backwardLabel(rec, r, nRecords)} returned ${count(entries.length, 'gradient')} for ${count(n, 'input')}; expected ${expected()}`);
  }
  const grads = new Array<Float32Array>(n);
  for (let k = 0; k < n; k++) {
    const input = rec.inputs[k];
    if (!input.requiresGrad) continue;
    const g = entries[k];
    const length = float32Length(g);
    if (length < 0) {
      const why = g === null || g === undefined ? ', which needs one (return zeros if the output does not depend on it)' : '';
      throw new SETypeError(
        `${fn}: ${backwardLabel(rec, r, nRecords)} returned ${describeValue(g)} as the gradient of ${inputLabel(k, input)}${why}; expected a Float32Array(${input.size})`,
      );
    }
    if (length !== input.size) {
      throw new SEShapeError(
        `${fn}: ${backwardLabel(rec, r, nRecords)} returned a Float32Array(${length}) as the gradient of ${inputLabel(k, input)}; expected a Float32Array(${input.size})`,
      );
    }
    grads[k] = g as Float32Array;
  }
  return grads;
}
