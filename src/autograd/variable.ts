/**
 * The tape's variables: a {@link Variable} is a handle whose fields live in a {@link VariableState}
 * under a symbol only the tape's modules hold, so what the tape checked when recording still holds
 * during backward. Shapes are frozen once and remembered, so an op passing `x.shape` on costs nothing.
 */
import { hasBrand } from '../errors.js';
import type { Parameter } from './parameter.js';
import type { Tape } from './tape.js';

const VARIABLE = Symbol.for('se-kernels.Variable');
/**
 * Where a Variable keeps its fields: a key private to the tape (this module and tape.ts), so no one
 * else can reach them. @internal
 */
export const STATE = Symbol('se-kernels.Variable.state');

/** A Variable's fields, kept under a key private to the tape. All but `grad`, `staged` and `owner` are fixed. @internal */
export class VariableState {
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
export const FROZEN_SHAPES = new WeakSet<readonly number[]>();

const SCALAR_SHAPE: readonly number[] = Object.freeze([]);
FROZEN_SHAPES.add(SCALAR_SHAPE);

/** `shape` itself if this module froze it, else a frozen copy (registered). */
export function frozenShape(shape: readonly number[]): readonly number[] {
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

/** Options of {@link Tape.variable}. */
export interface VariableOptions {
  /** Whether to compute a gradient for it (default true for `variable`, false for `constant`). */
  requiresGrad?: boolean;
  /** A name for messages (default 'variable' / 'constant'). */
  name?: string;
}
