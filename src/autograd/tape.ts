/**
 * A small reverse-mode autograd tape over dense Float32Array tensors.
 *
 * Ops are recorded in execution order, so backward is a plain reverse walk over the records
 * (no topological sort). Each record keeps the arrays its op declared it saves and a backward
 * function that returns one gradient per input; the tape asserts each gradient's size (the error
 * names the op) and adds it into the input's `grad`, so a variable used twice gets the sum of
 * both contributions.
 *
 * Rules: a tape runs backward once; after that, recording on it or running backward again throws
 * SEStateError (build a new Tape per forward pass). Variables of different tapes never mix.
 * Leaf variables may share the caller's buffer (see {@link Tape.variable}); no op writes to it.
 */
import { SEShapeError, SEStateError, SETypeError, hasBrand, describeValue } from '../errors.js';

const VARIABLE = Symbol.for('se-kernels.Variable');
const TAPE = Symbol.for('se-kernels.Tape');
import { checkTensor, formatShape, gatherDense, shapeSize, type FloatTensor } from '../tensor.js';

/** A tensor on a tape: dense row-major float32 data, its shape, and its gradient after backward. */
export class Variable {
  /** @internal Brand recognised by `instanceof` across copies of the package. */
  readonly [VARIABLE] = true;
  /** `instanceof` by brand: true for instances from any copy of se-kernels (ESM and CommonJS builds, duplicate installs). */
  static [Symbol.hasInstance](v: unknown): boolean {
    return hasBrand(v, VARIABLE);
  }
  /** Gradient of the loss with respect to this variable; null until backward reaches it. */
  grad: Float32Array | null = null;
  /** Number of elements. */
  readonly size: number;

  /** @internal Use {@link Tape.variable}, {@link Tape.constant} or an op to make one. */
  constructor(
    /** The tape this variable belongs to. */
    readonly tape: Tape,
    /** The values, dense row-major. */
    readonly data: Float32Array,
    /** The shape; `[]` is a scalar. */
    readonly shape: readonly number[],
    /** Whether gradients are computed for it (true if it is a parameter or depends on one). */
    readonly requiresGrad: boolean,
    /** The op that made it, or the name given to a leaf. */
    readonly name: string,
  ) {
    this.size = shapeSize(shape);
  }
}

/**
 * The backward of one recorded op: given the gradient of its output, the arrays it saved, and
 * which inputs need a gradient, returns one gradient per input (null where not needed), each the
 * size of its input. The tape copies what it keeps, so a backward may return `dy` itself.
 */
export type BackwardFn = (
  dy: Float32Array,
  saved: readonly Float32Array[],
  needs: readonly boolean[],
) => readonly (Float32Array | null)[];

interface TapeRecord {
  readonly op: string;
  readonly inputs: readonly Variable[];
  readonly output: Variable;
  readonly saved: readonly Float32Array[];
  readonly backward: BackwardFn;
}

/** Options of {@link Tape.variable}. */
export interface VariableOptions {
  /** Whether to compute a gradient for it (default true for `variable`, false for `constant`). */
  requiresGrad?: boolean;
  /** A name for messages (default 'variable' / 'constant'). */
  name?: string;
}

/** Records ops in execution order and runs them backward once. */
export class Tape {
  /** @internal Brand recognised by `instanceof` across copies of the package. */
  readonly [TAPE] = true;
  /** `instanceof` by brand: true for instances from any copy of se-kernels (ESM and CommonJS builds, duplicate installs). */
  static [Symbol.hasInstance](v: unknown): boolean {
    return hasBrand(v, TAPE);
  }
  private readonly records: TapeRecord[] = [];
  private done = false;

  /** Number of ops recorded so far. */
  get length(): number {
    return this.records.length;
  }

  /** Whether backward has run (the tape then accepts no more ops). */
  get finished(): boolean {
    return this.done;
  }

  /**
   * A leaf variable from any FloatTensor. A dense row-major tensor whose buffer holds exactly its
   * elements is used without copying (no op writes to it); any other view is copied.
   * @param t the values
   * @param options requiresGrad (default true) and name
   */
  variable(t: FloatTensor, options: VariableOptions = {}): Variable {
    const fn = 'Tape.variable';
    this.assertOpen(fn);
    const ct = checkTensor(fn, 't', t, 0, 8);
    const name = options.name === undefined ? 'variable' : options.name;
    const requiresGrad = options.requiresGrad === undefined ? true : options.requiresGrad;
    if (typeof requiresGrad !== 'boolean') {
      throw new SETypeError(`${fn}: options.requiresGrad must be a boolean but is ${describeValue(requiresGrad)}`);
    }
    const shared = ct.contiguous && ct.offset === 0 && ct.data.length === ct.size;
    const data = shared ? ct.data : gatherDense(new Float32Array(ct.size), ct);
    return new Variable(this, data, ct.shape, requiresGrad, name);
  }

  /** A leaf that needs no gradient (inputs, targets). Same sharing rule as {@link Tape.variable}. */
  constant(t: FloatTensor, name = 'constant'): Variable {
    return this.variable(t, { requiresGrad: false, name });
  }

  /**
   * Records one op and returns its output variable. This is how every op in `ops.ts` is built,
   * and how users add ops of their own.
   * @param op the op's name, used in error messages
   * @param inputs the variables the op read
   * @param data the op's output values (dense row-major, freshly allocated)
   * @param shape the output's shape
   * @param saved the arrays the backward needs (declared, so what an op keeps alive is visible)
   * @param backward computes the inputs' gradients from the output's (see {@link BackwardFn})
   */
  record(
    op: string,
    inputs: readonly Variable[],
    data: Float32Array,
    shape: readonly number[],
    saved: readonly Float32Array[],
    backward: BackwardFn,
  ): Variable {
    this.assertOpen(op);
    for (let k = 0; k < inputs.length; k++) this.assertOwn(op, `input ${k}`, inputs[k]);
    if (data.length !== shapeSize(shape)) {
      throw new SEShapeError(`${op}: output data has length ${data.length} but shape ${formatShape(shape)} needs ${shapeSize(shape)}`);
    }
    const requiresGrad = inputs.some((v) => v.requiresGrad);
    const output = new Variable(this, data, shape.slice(), requiresGrad, op);
    if (requiresGrad) this.records.push({ op, inputs: inputs.slice(), output, saved: saved.slice(), backward });
    return output;
  }

  /**
   * Computes gradients of `loss` with respect to every variable that requires one, then closes
   * the tape. Gradients land in each variable's `grad`.
   * @param loss the variable to differentiate; a scalar (size 1) unless `seed` is given
   * @param seed the gradient of the final objective with respect to `loss` (default 1)
   */
  backward(loss: Variable, seed?: FloatTensor): void {
    const fn = 'Tape.backward';
    this.assertOpen(fn);
    this.assertOwn(fn, 'loss', loss);
    let start: Float32Array;
    if (seed === undefined) {
      if (loss.size !== 1) {
        throw new SEShapeError(`${fn}: loss has shape ${formatShape(loss.shape)}; without a seed it must have one element`);
      }
      start = new Float32Array([1]);
    } else {
      const st = checkTensor(fn, 'seed', seed, 0, 8);
      if (st.size !== loss.size) {
        throw new SEShapeError(`${fn}: seed has ${st.size} elements but loss has shape ${formatShape(loss.shape)}`);
      }
      start = gatherDense(new Float32Array(st.size), st);
    }
    this.done = true;
    if (!loss.requiresGrad) return;
    loss.grad = start;
    for (let r = this.records.length - 1; r >= 0; r--) {
      const { op, inputs, output, saved, backward } = this.records[r];
      const dy = output.grad;
      if (dy === null) continue;
      const needs = inputs.map((v) => v.requiresGrad);
      const grads = backward(dy, saved, needs);
      for (let k = 0; k < inputs.length; k++) {
        if (!needs[k]) continue;
        const gk = grads[k];
        const input = inputs[k];
        // The tape's shape assertion: every gradient must match its input.
        if (!(gk instanceof Float32Array) || gk.length !== input.size) {
          throw new SEShapeError(
            `${op} backward: gradient for input ${k} has ${gk instanceof Float32Array ? `length ${gk.length}` : describeValue(gk)} ` +
              `but the input has shape ${formatShape(input.shape)} (${input.size} elements)`,
          );
        }
        // Copy on first arrival (a backward may return dy or a shared array), add after that.
        const acc = input.grad;
        if (acc === null) input.grad = gk.slice();
        else for (let i = 0; i < acc.length; i++) acc[i] += gk[i];
      }
    }
  }

  private assertOpen(fn: string): void {
    if (this.done) {
      throw new SEStateError(`${fn}: this tape has already run backward; record each forward pass on a new Tape`);
    }
  }

  private assertOwn(fn: string, what: string, v: unknown): void {
    if (!(v instanceof Variable)) throw new SETypeError(`${fn}: ${what} must be a Variable but got ${describeValue(v)}`);
    if (v.tape !== this) throw new SEStateError(`${fn}: ${what} belongs to a different tape`);
  }
}
