/**
 * SEBlock: an SE block as a module, the way PyTorch and TensorFlow.js users hold one: its
 * parameters, its variant, its gradients, forward and backward.
 */
import { booleanOption, checkKeys, hasOwn } from './arguments.js';
import { Parameter } from './autograd/parameter.js';
import { squeezeExcitation, type SEVariables } from './autograd/se.js';
import { Tape, Variable } from './autograd/tape.js';
import { SEOptionError, SEStateError, SETypeError, describeValue, hasBrand } from './errors.js';
import { SEWorkspace, type SECache } from './fused/index.js';
import { seBackwardAs } from './fused/backward.js';
import { seForwardAs } from './fused/forward.js';
import { readBlockStateDict } from './blockState.js';
import { checkConvention } from './interop/conventions.js';
import { saveSEParams, stateDictRecord, type SEWeightConvention, type StateDict } from './interop/weights.js';
import { resolveSEOptions, type ResolvedSEOptions, type SEOptions } from './options.js';
import { checkSEParams, makeSEParams, type CreateSEParamsOptions, type SEParams } from './params.js';
import { bumpVersion, lastWriter, versionOf } from './version.js';
import type { FloatTensor, PlainTensor } from './tensor.js';

const BLOCK = Symbol.for('se-kernels.SEBlock');
const OPTION_KEYS = ['layout', 'squeeze', 'activation', 'gate'];
const BLOCK_KEYS = ['reuseBuffers'];

/** What an {@link SEBlock} does besides its variant. */
export interface SEBlockBehaviour {
  /**
   * Reuse one set of buffers for every call (no allocation in steady state): y and dx are then
   * overwritten by the next forward / backward. Default false: results are fresh, safe to keep.
   */
  reuseBuffers?: boolean;
}

/** Options of {@link SEBlock.backward}. */
export interface SEBlockBackwardOptions {
  /**
   * Keep the forward's saved state so that another backward of the same forward may run (torch's
   * `retain_graph`; default false: a second backward of one forward is an SEStateError).
   */
  retainGraph?: boolean;
}

/** Options of {@link SEBlock.loadStateDict}. */
export interface SEBlockLoadOptions {
  /** Refuse missing and unexpected keys (default true, as torch's `load_state_dict`). */
  strict?: boolean;
  /** The names and layout of `sd` (default `'torchvision'`, what {@link SEBlock.stateDict} writes by default). */
  convention?: SEWeightConvention;
}

/** What {@link SEBlock.loadStateDict} found, as torch's `load_state_dict` returns it. */
export interface SEBlockLoadResult {
  /** Keys the block has that `sd` lacks (those parameters were left as they were). */
  missingKeys: string[];
  /** Keys of `sd` the block does not have (ignored). */
  unexpectedKeys: string[];
}

/** Options of `new SEBlock(...)`: {@link createSEParams}'s, the variant, and {@link SEBlockBehaviour}. */
export type SEBlockOptions = CreateSEParamsOptions & SEOptions & SEBlockBehaviour;

/** The weight gradients an {@link SEBlock} accumulates (PyTorch's `.grad`), the parameters' shapes. */
export interface SEGradients {
  readonly w1: Float32Array;
  readonly b1: Float32Array | null;
  readonly w2: Float32Array;
  readonly b2: Float32Array | null;
}

/** Splits an options object into the parameters' options, the variant and the behaviour, from one snapshot of it. */
function splitOptions(fn: string, options: unknown): { create: Record<string, unknown>; variant: Record<string, unknown>; reuse: boolean } {
  if (options === null || typeof options !== 'object') throw new SETypeError(`${fn}: options must be an object like { channels: 64 } but got ${describeValue(options)}`);
  const all: Record<string, unknown> = { ...(options as Record<string, unknown>) };
  const create: Record<string, unknown> = {};
  const variant: Record<string, unknown> = {};
  for (const key of Object.keys(all)) {
    if (OPTION_KEYS.includes(key)) variant[key] = all[key];
    else if (!BLOCK_KEYS.includes(key)) create[key] = all[key];
  }
  // An explicit `reuseBuffers: undefined` is refused (not taken as the default), as it always was.
  const reuse = hasOwn(all, 'reuseBuffers') ? all.reuseBuffers : false;
  if (typeof reuse !== 'boolean') throw new SEOptionError(`${fn}: options.reuseBuffers must be true or false but is ${describeValue(reuse)}`);
  return { create, variant, reuse };
}

/**
 * An SE block as a module: parameters, variant and gradients together, so a call never repeats
 * (or forgets) the variant.
 *
 * - `forward(x)` runs the fused forward and keeps its cache; `backward(dy)` runs the backward of
 *   the LATEST forward, returns dx and ADDS the weight gradients into `grads` (like PyTorch's
 *   `.grad`: zero them with `zeroGrad()` or an optimizer's `zeroGrad()`).
 * - One backward per forward, as in PyTorch: a second `backward` of the same forward would add the
 *   gradients twice, so it throws SEStateError unless the earlier one was called with
 *   `{ retainGraph: true }` (torch's `retain_graph=True`).
 * - `stateDict(convention)` / `loadStateDict(sd, { strict })` exchange the weights under
 *   PyTorch's (or timm's, Keras') names and shapes; see docs/checkpoints.md.
 * - Results are fresh arrays, safe to keep, unless the block was made with `reuseBuffers: true`
 *   (then no call allocates, and y / dx are overwritten by the next forward / backward).
 * - `parameters()` gives the {@link Parameter}s (`{ data, grad }`) the optimizers update in place.
 * - `variables(tape)` / `tapeForward(x)` put the block on a tape as one fused op whose backward
 *   adds into the same `grads`.
 */
export class SEBlock {
  /** @internal Brand recognised by `instanceof` across copies of the package. */
  readonly [BLOCK] = true;
  /** `instanceof` by brand: true for instances from any copy of se-kernels. */
  static [Symbol.hasInstance](v: unknown): boolean {
    return hasBrand(v, BLOCK);
  }
  /** The weights (the block updates them only through an optimizer acting on `parameters()`). */
  readonly params: SEParams;
  /** The variant, every field filled in. */
  readonly options: ResolvedSEOptions;
  /** The accumulated weight gradients. */
  readonly grads: SEGradients;
  private readonly list: readonly Parameter[];
  private readonly workspace: SEWorkspace | null;
  private cache: SECache | null = null;
  /** Whether a backward without `retainGraph` has consumed the latest forward. */
  private consumed = false;
  /** Private copies of the weights at the latest forward (allocated once), to detect an in-place change before backward. */
  private readonly atForward: readonly { name: string; now: Float32Array; then: Float32Array; nowBits: Int32Array; thenBits: Int32Array; version: number }[];

  /**
   * @param options `channels` and the rest of {@link createSEParams}'s options, the variant
   *   (`layout`, `squeeze`, `activation`, `gate`) and `reuseBuffers`
   * @example new SEBlock({ channels: 64, rdRatio: 1 / 16, activation: 'silu' })
   */
  constructor(options: SEBlockOptions);
  /** @internal */
  constructor(options: SEBlockOptions, from: { params: SEParams; variant: unknown; reuse: boolean });
  constructor(options: SEBlockOptions, from?: { params: SEParams; variant: unknown; reuse: boolean }) {
    let params: SEParams;
    let variant: unknown;
    let reuse: boolean;
    if (from === undefined) {
      const fn = 'SEBlock';
      const parts = splitOptions(fn, options);
      variant = parts.variant;
      reuse = parts.reuse;
      this.options = resolveSEOptions(fn, variant);
      params = makeSEParams(fn, parts.create);
    } else {
      params = from.params;
      reuse = from.reuse;
      this.options = resolveSEOptions('SEBlock.fromParams', from.variant);
    }
    this.params = Object.freeze({ ...params });
    const p = this.params;
    this.grads = Object.freeze({
      w1: new Float32Array(p.w1.length),
      b1: p.b1 === null ? null : new Float32Array(p.b1.length),
      w2: new Float32Array(p.w2.length),
      b2: p.b2 === null ? null : new Float32Array(p.b2.length),
    });
    const C = p.channels;
    const R = p.hidden;
    const g = this.grads;
    const list = [new Parameter({ data: p.w1, shape: [R, C] }, { name: 'w1', grad: g.w1 })];
    if (p.b1 !== null && g.b1 !== null) list.push(new Parameter({ data: p.b1, shape: [R] }, { name: 'b1', grad: g.b1 }));
    list.push(new Parameter({ data: p.w2, shape: [C, R] }, { name: 'w2', grad: g.w2 }));
    if (p.b2 !== null && g.b2 !== null) list.push(new Parameter({ data: p.b2, shape: [C] }, { name: 'b2', grad: g.b2 }));
    this.list = Object.freeze(list);
    this.workspace = reuse ? new SEWorkspace() : null;
    this.atForward = Object.freeze(
      list.map((q) => {
        const then = new Float32Array(q.data.length);
        const bits = (a: Float32Array): Int32Array => new Int32Array(a.buffer, a.byteOffset, a.length);
        return { name: `params.${q.name}`, now: q.data, then, nowBits: bits(q.data), thenBits: bits(then), version: 0 };
      }),
    );
  }

  /**
   * A block around existing weights (used without copying: e.g. from `loadSEParams`), with its variant.
   * @param params the weights
   * @param options the variant and `reuseBuffers`
   */
  static fromParams<T extends SEBlock>(
    this: new (options: SEBlockOptions, from: { params: SEParams; variant: unknown; reuse: boolean }) => T,
    params: SEParams,
    options?: SEOptions & SEBlockBehaviour,
  ): T {
    const fn = 'SEBlock.fromParams';
    const checked = checkSEParams(fn, params);
    let variant: Record<string, unknown> = {};
    let reuse = false;
    if (options !== undefined) {
      const o = checkKeys(fn, options, [...OPTION_KEYS, ...BLOCK_KEYS], 'options');
      const parts = splitOptions(fn, o);
      variant = parts.variant;
      reuse = parts.reuse;
    }
    return new this({ channels: checked.channels }, { params: checked, variant, reuse });
  }

  /**
   * The block's forward: y = x scaled per channel by the excitation. Keeps the cache for
   * {@link SEBlock.backward}.
   * @param x `[N, C, ...spatial]` (or `[N, ...spatial, C]` channels-last), any FloatTensor view
   * @returns y, a dense tensor of x's shape (fresh unless `reuseBuffers`)
   */
  forward(x: FloatTensor): PlainTensor {
    const buffers = this.workspace === null ? undefined : { workspace: this.workspace };
    const r = seForwardAs('SEBlock.forward', x, this.params, this.options, buffers);
    for (const a of this.atForward) {
      a.then.set(a.now);
      a.version = versionOf(a.now);
    }
    this.cache = r.cache;
    this.consumed = false;
    return r.y;
  }

  /**
   * The backward of the latest forward: returns dx and ADDS dW1, db1, dW2, db2 into `grads`.
   * Once per forward unless `retainGraph` (see the class notes).
   * @param dy gradient of the loss with respect to the latest forward's y
   * @param options `retainGraph: true` to allow another backward of the same forward
   * @returns dx (fresh unless `reuseBuffers`)
   * @throws SEStateError before any forward, or for a second backward of one forward without `retainGraph`
   */
  backward(dy: FloatTensor, options?: SEBlockBackwardOptions): PlainTensor {
    const fn = 'SEBlock.backward';
    const retain = options === undefined ? false : booleanOption(fn, 'options.retainGraph', checkKeys(fn, options, ['retainGraph'], 'options').retainGraph, false);
    const cache = this.cache;
    if (cache === null) throw new SEStateError(`${fn}: no forward has run on this block; call forward(x) first`);
    if (this.consumed) {
      throw new SEStateError(
        `${fn}: the latest forward's backward has already run, and its gradients are already in grads; ` +
          'run forward again, or pass { retainGraph: true } to the earlier backward to run backward twice (torch: retain_graph=True)',
      );
    }
    this.checkUnmodified(fn);
    const g = seBackwardAs(fn, dy, cache, this.workspace === null ? undefined : { workspace: this.workspace });
    if (!retain) this.consumed = true;
    const grads = this.grads;
    addInto(grads.w1, g.dw1.data);
    addInto(grads.w2, g.dw2.data);
    if (grads.b1 !== null && g.db1 !== null) addInto(grads.b1, g.db1.data);
    if (grads.b2 !== null && g.db2 !== null) addInto(grads.b2, g.db2.data);
    return g.dx;
  }

  /**
   * The weights as a state dict under a framework's names and shapes (fresh arrays, never aliasing
   * the block): with the default `'torchvision'`, `fc1.weight [R, C, 1, 1]`, `fc1.bias [R]`,
   * `fc2.weight [C, R, 1, 1]`, `fc2.bias [C]`, so `writeSafetensors(block.stateDict())` loads into
   * `torchvision.ops.SqueezeExcitation(C, R)` with `load_state_dict(strict=True)`. Other conventions
   * as {@link saveSEParams} writes them (`'timm'`, `'timm-efficientnet'`, `'seattention'`, `'keras'`).
   * @param convention the names and layout (default `'torchvision'`)
   */
  stateDict(convention: SEWeightConvention = 'torchvision'): Record<string, PlainTensor> {
    const fn = 'SEBlock.stateDict';
    checkConvention(fn, 'convention', convention);
    if (convention === 'seattention' && this.params.b1 !== null) {
      throw new SEOptionError(`${fn}: convention 'seattention' has no biases but this block has them; use 'torchvision', 'timm' or 'timm-efficientnet'`);
    }
    return saveSEParams(this.params, convention);
  }

  /**
   * Copies weights from a state dict into the block's parameter arrays, in place (so optimizers and
   * tapes holding `parameters()` see them), as torch's `load_state_dict`: every key the block has
   * under `convention` is looked for; keys it lacks are missing, others unexpected. With `strict`
   * (the default) either is an SETypeError listing them; without, the present ones load and the lists
   * are returned. A tensor of the wrong shape (torchvision: exactly `[R, C, 1, 1]`, ...) is an
   * SEShapeError in both modes. Everything is checked before any weight is written.
   * @param sd tensors by name (an object or a Map; what `readSafetensors` or {@link SEBlock.stateDict} gives)
   * @param options `strict` (default true) and `convention` (default `'torchvision'`)
   * @returns the missing and unexpected keys (both empty after a strict load)
   */
  loadStateDict(sd: StateDict, options?: SEBlockLoadOptions): SEBlockLoadResult {
    const fn = 'SEBlock.loadStateDict';
    const tensors = stateDictRecord(fn, sd);
    const o = options === undefined ? {} : checkKeys(fn, options, ['strict', 'convention'], 'options');
    const strict = booleanOption(fn, 'options.strict', o.strict, true);
    const convention = o.convention === undefined ? 'torchvision' : o.convention;
    checkConvention(fn, 'options.convention', convention);
    const { loads, missingKeys, unexpectedKeys } = readBlockStateDict(fn, this.params, tensors, convention, strict);
    for (const l of loads) {
      l.target.set(l.values);
      bumpVersion(l.target, fn);
    }
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Throws SEStateError when a weight was changed in place between the latest forward and this
   * backward (torch: "modified by an inplace operation"): by the library (an optimizer step,
   * `loadStateDict`: its version count moved, and the message names the writer), or by the user's
   * own `params.w1[i] = v`, which no count sees, so the forward also keeps a private copy of the
   * weights (one pass over them, in arrays allocated once) compared here. See `Tape.parameter`.
   */
  private checkUnmodified(fn: string): void {
    for (const a of this.atForward) {
      if (versionOf(a.now) !== a.version) {
        throw new SEStateError(
          `${fn}: ${a.name}, which SEBlock.forward saved for the backward, was modified in place by ${lastWriter(a.now) ?? 'the library'} after the forward, ` +
            'so its gradients would be wrong; step the optimizer (or load weights) only after backward, or run forward again',
        );
      }
      const now = a.nowBits;
      const then = a.thenBits;
      for (let i = 0; i < now.length; i++) {
        if (now[i] === then[i]) continue;
        throw new SEStateError(
          `${fn}: ${a.name}, which SEBlock.forward saved for the backward, was modified in place after the forward (element ${i} was ${a.then[i]} ` +
            `and is now ${a.now[i]}), so its gradients would be wrong; change the weights only after backward (an optimizer step), or run forward again`,
        );
      }
    }
  }

  /**
   * The gate values s `[N, C]` of the latest `forward(x)`: the factor each sample's channels were
   * scaled by (a fresh copy, what `cache.excitations()` gives for a `seForward` cache). A
   * `tapeForward` does not change it.
   * @throws SEStateError before the first forward
   */
  excitations(): PlainTensor {
    const cache = this.cache;
    if (cache === null) throw new SEStateError('SEBlock.excitations: no forward has run on this block; call forward(x) first');
    return cache.excitations();
  }

  /** Sets every accumulated gradient to zero. */
  zeroGrad(): void {
    for (const p of this.list) p.grad.fill(0);
  }

  /** The parameters in order w1, b1, w2, b2 (biases only when present): the same objects every call, for an optimizer. */
  parameters(): Parameter[] {
    return this.list.slice();
  }

  /** The block's parameters on `tape` (see `Tape.parameter`): a backward through them adds into `grads`. */
  variables(tape: Tape): SEVariables {
    if (!(tape instanceof Tape)) throw new SETypeError(`SEBlock.variables: tape must be a Tape but got ${describeValue(tape)}`);
    const l = this.list;
    const hasB1 = this.params.b1 !== null;
    const hasB2 = this.params.b2 !== null;
    const w1 = tape.parameter(l[0]);
    const b1 = hasB1 ? tape.parameter(l[1]) : null;
    const w2 = tape.parameter(l[hasB1 ? 2 : 1]);
    const b2 = hasB2 ? tape.parameter(l[l.length - 1]) : null;
    return { w1, b1, w2, b2 };
  }

  /**
   * The block as one fused op on x's tape, with this block's variant; its backward adds into `grads`.
   * @param x a Variable `[N, C, ...spatial]` (or channels-last)
   */
  tapeForward(x: Variable): Variable {
    if (!(x instanceof Variable)) throw new SETypeError(`SEBlock.tapeForward: x must be a Variable but got ${describeValue(x)}`);
    return squeezeExcitation(x, this.variables(x.tape), this.options);
  }
}

/** Adds `g` into `acc`, element by element. */
function addInto(acc: Float32Array, g: Float32Array): void {
  for (let i = 0; i < acc.length; i++) acc[i] += g[i];
}
