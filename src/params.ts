/** SE block parameters: their type, creation and initialisation, hidden-width rounding, validation. */
import { booleanOption, choiceOption, integerOption, isPositiveInt, numberOption, readOptions } from './arguments.js';
import { SEOptionError, SEShapeError, SETypeError, describeValue } from './errors.js';
import { SeededRandom } from './rng.js';
import { typedArrayLength } from './intrinsics.js';
import { allocFloat32, detachedHint, isFloat32Array, plainFloat32 } from './tensor.js';

/**
 * The weights of one SE block, in PyTorch's layout: `w1` is the reducing layer `[hidden, channels]`
 * row-major (a Linear's `(out, in)`; a 1x1 conv weight `[R, C, 1, 1]` has the same bytes), `w2`
 * the expanding layer `[channels, hidden]`. Biases are null for a block without them.
 */
export interface SEParams {
  /** C, the number of channels of the input. */
  channels: number;
  /** R, the reduced (hidden) width. */
  hidden: number;
  /** Reducing weight `[R, C]`. */
  w1: Float32Array;
  /** Reducing bias `[R]`, or null. */
  b1: Float32Array | null;
  /** Expanding weight `[C, R]`. */
  w2: Float32Array;
  /** Expanding bias `[C]`, or null. */
  b2: Float32Array | null;
}

/** Weight initialisation schemes of {@link createSEParams}. */
export type SEInit = 'kaimingNormal' | 'normal' | 'zeros';
const SE_INITS: readonly SEInit[] = ['kaimingNormal', 'normal', 'zeros'];

/** Options of {@link createSEParams}. */
export interface CreateSEParamsOptions {
  /** C, the number of input channels (a positive integer). */
  channels: number;
  /**
   * Reduction ratio r >= 1 (default 16): hidden = max(1, floor(C / r)), or makeDivisible(C / r,
   * divisor). A ratio below 1 is an error: timm's `rd_ratio` (1/16) is {@link CreateSEParamsOptions.rdRatio}.
   */
  reduction?: number;
  /**
   * timm's `rd_ratio`, the inverse of `reduction`: hidden = max(1, floor(C * rdRatio)), or
   * makeDivisible(C * rdRatio, divisor) (timm's SE modules pass divisor 8 and roundLimit 0).
   */
  rdRatio?: number;
  /** An explicit hidden width R; excludes `reduction` and `divisor`. */
  hidden?: number;
  /** Round the hidden width to a multiple of this with {@link makeDivisible} (timm / torchvision style). */
  divisor?: number;
  /** `roundLimit` passed to makeDivisible with `divisor` (default 0.9, torchvision; timm's SE uses 0). */
  roundLimit?: number;
  /** Whether the two layers have biases (default true, as timm and torchvision). */
  bias?: boolean;
  /**
   * `'kaimingNormal'` (default): normal with std sqrt(2 / fan_out) (fan_out = R for w1, C for w2),
   * as PyTorch's `kaiming_normal_(mode='fan_out', nonlinearity='relu')`; `'normal'`: std `std`
   * (default 0.001, as the reference `SEAttention.init_weights`); `'zeros'`. Biases start at 0.
   */
  init?: SEInit;
  /** Standard deviation for `init: 'normal'` (default 0.001). */
  std?: number;
  /** Seed of the generator (default 0); equal seeds give equal weights. */
  seed?: number;
}

function isFinitePositive(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0;
}

/**
 * Rounds `v` to a multiple of `divisor`, as timm's and torchvision's `make_divisible`:
 * `n = max(minValue, floor((v + divisor / 2) / divisor) * divisor)`, then `n += divisor` if
 * `n < roundLimit * v` (so rounding down never loses more than 10% with the default 0.9).
 * Examples: makeDivisible(18) = 24, makeDivisible(120) = 120, makeDivisible(4) = 8,
 * makeDivisible(18, 8, 8, 0) = 16.
 * @param v the width to round (positive, finite)
 * @param divisor the multiple to round to (positive integer, default 8)
 * @param minValue the smallest result (default `divisor`)
 * @param roundLimit how far below `v` the result may fall, as a fraction (default 0.9)
 */
export function makeDivisible(v: number, divisor = 8, minValue?: number, roundLimit = 0.9): number {
  const fn = 'makeDivisible';
  if (!isFinitePositive(v)) throw new SEOptionError(`${fn}: v must be a finite positive number but is ${describeValue(v)}`);
  if (!isPositiveInt(divisor)) {
    throw new SEOptionError(`${fn}: divisor must be a positive integer but is ${describeValue(divisor)}`);
  }
  const min = minValue === undefined ? divisor : minValue;
  if (!isPositiveInt(min)) throw new SEOptionError(`${fn}: minValue must be a positive integer but is ${describeValue(minValue)}`);
  if (typeof roundLimit !== 'number' || !Number.isFinite(roundLimit) || roundLimit < 0) {
    throw new SEOptionError(`${fn}: roundLimit must be a finite number >= 0 but is ${describeValue(roundLimit)}`);
  }
  let n = Math.max(min, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < roundLimit * v) n += divisor;
  return n;
}

/** The hidden width R that {@link createSEParams} would choose for these options. */
export function seHiddenWidth(
  opts: { channels: number; reduction?: number; rdRatio?: number; hidden?: number; divisor?: number; roundLimit?: number },
  fn = 'seHiddenWidth',
): number {
  if (opts === null || typeof opts !== 'object') {
    throw new SETypeError(`${fn}: options must be an object with channels but got ${describeValue(opts)}`);
  }
  return widthOf(fn, { ...opts }).hidden;
}

/** Channels and hidden width from options already copied (each field read once). */
function widthOf(fn: string, opts: Readonly<Record<string, unknown>>): { channels: number; hidden: number } {
  const { channels, reduction, rdRatio, hidden, divisor, roundLimit } = opts;
  if (!isPositiveInt(channels)) throw new SEOptionError(`${fn}: channels must be a positive integer but is ${describeValue(channels)}`);
  if (hidden !== undefined) {
    if (reduction !== undefined || rdRatio !== undefined || divisor !== undefined) {
      throw new SEOptionError(
        `${fn}: give either hidden or reduction/rdRatio/divisor, not both (hidden is ${describeValue(hidden)}, reduction is ${describeValue(reduction)}, ` +
          `rdRatio is ${describeValue(rdRatio)}, divisor is ${describeValue(divisor)})`,
      );
    }
    if (!isPositiveInt(hidden)) throw new SEOptionError(`${fn}: hidden must be a positive integer but is ${describeValue(hidden)}`);
    return { channels, hidden };
  }
  if (reduction !== undefined && rdRatio !== undefined) {
    throw new SEOptionError(`${fn}: give either reduction (r, e.g. 16) or rdRatio (timm's rd_ratio, e.g. 1/16), not both`);
  }
  let width: number;
  if (rdRatio !== undefined) {
    if (!isFinitePositive(rdRatio)) throw new SEOptionError(`${fn}: rdRatio must be a finite positive number but is ${describeValue(rdRatio)}`);
    width = channels * rdRatio;
  } else {
    const r = reduction === undefined ? 16 : reduction;
    if (!isFinitePositive(r)) throw new SEOptionError(`${fn}: reduction must be a finite positive number but is ${describeValue(reduction)}`);
    if (r < 1) {
      throw new SEOptionError(
        `${fn}: reduction is ${r}, below 1, which would make the hidden layer wider than the input (${channels} / ${r} = ${channels / r}); ` +
          `reduction is r (16 means hidden = channels / 16): for timm's rd_ratio (1/16) use rdRatio: ${r}`,
      );
    }
    width = channels / r;
  }
  if (divisor !== undefined) {
    if (roundLimit !== undefined && typeof roundLimit !== 'number') {
      throw new SEOptionError(`${fn}: roundLimit must be a finite number >= 0 but is ${describeValue(roundLimit)}`);
    }
    if (typeof divisor !== 'number') throw new SEOptionError(`${fn}: divisor must be a positive integer but is ${describeValue(divisor)}`);
    return { channels, hidden: makeDivisible(width, divisor, undefined, roundLimit === undefined ? 0.9 : roundLimit) };
  }
  if (roundLimit !== undefined) throw new SEOptionError(`${fn}: roundLimit only applies with divisor, which is not given`);
  // Rounded to 12 significant digits first, so 96 * (1 / 3) floors to 32, not 31.
  return { channels, hidden: Math.max(1, Math.floor(Number(width.toPrecision(12)))) };
}

/**
 * Creates the parameters of an SE block, initialised reproducibly from `seed`.
 * @example createSEParams({ channels: 64 }) // hidden 4, kaiming-normal weights, zero biases
 */
export function createSEParams(options: CreateSEParamsOptions): SEParams {
  return makeSEParams('createSEParams', options);
}

/** {@link createSEParams} for an options argument of any type, with messages naming `fn`. @internal */
export function makeSEParams(fn: string, options: unknown): SEParams {
  if (options === null || typeof options !== 'object') {
    throw new SETypeError(`${fn}: options must be an object like { channels: 64 } but got ${describeValue(options)}`);
  }
  const opts = readOptions(fn, options, ['channels', 'reduction', 'rdRatio', 'hidden', 'divisor', 'roundLimit', 'bias', 'init', 'std', 'seed']);
  const { channels, hidden } = widthOf(fn, opts);
  const bias = booleanOption(fn, 'bias', opts.bias, true);
  const init = choiceOption(fn, 'init', opts.init, SE_INITS, 'kaimingNormal');
  if (opts.std !== undefined && init !== 'normal') {
    throw new SEOptionError(`${fn}: std applies only to init 'normal' but init is '${init}'`);
  }
  const std = numberOption(fn, 'std', opts.std, 0.001, 0);
  const seed = integerOption(fn, 'seed', opts.seed, 0);
  const w1 = allocFloat32(fn, 'w1', hidden * channels);
  const w2 = allocFloat32(fn, 'w2', channels * hidden);
  if (init !== 'zeros') {
    const rng = new SeededRandom(seed);
    // fan_out of a [out, in] (or [out, in, 1, 1]) weight is `out`.
    rng.fillNormal(w1, init === 'normal' ? std : Math.sqrt(2 / hidden));
    rng.fillNormal(w2, init === 'normal' ? std : Math.sqrt(2 / channels));
  }
  return {
    channels,
    hidden,
    w1,
    b1: bias ? new Float32Array(hidden) : null,
    w2,
    b2: bias ? new Float32Array(channels) : null,
  };
}

/** Names and expected shapes of the four arrays, for messages. */
const WEIGHT_NAMES = ['w1', 'b1', 'w2', 'b2'] as const;
function weightShape(k: number, R: number, C: number): string {
  return k === 0 ? `[hidden, channels] = [${R}, ${C}]` : k === 1 ? `[hidden] = [${R}]` : k === 2 ? `[channels, hidden] = [${C}, ${R}]` : `[channels] = [${C}]`;
}

/**
 * A read-once snapshot of an {@link SEParams} argument: {@link ParamsSnapshot.read} reads each of
 * `channels`, `hidden`, `w1`, `b1`, `w2`, `b2` exactly once and checks their types;
 * {@link ParamsSnapshot.checkData} then checks the arrays' live lengths (meant to run after every
 * user-visible read of the call, so a getter cannot change what was checked) and swaps subclass or
 * other-realm arrays for plain Float32Arrays over the same memory. Reused by a workspace.
 */
export class ParamsSnapshot {
  channels = 0;
  hidden = 0;
  w1: Float32Array = NO_WEIGHTS;
  b1: Float32Array | null = null;
  w2: Float32Array = NO_WEIGHTS;
  b2: Float32Array | null = null;

  /** Reads `params` once and checks the sizes' and arrays' types. */
  read(fn: string, params: unknown, name = 'params'): this {
    if (params === null || typeof params !== 'object') {
      throw new SETypeError(`${fn}: ${name} must be SEParams {channels, hidden, w1, b1, w2, b2} but got ${describeValue(params)}`);
    }
    const p = params as Partial<Record<keyof SEParams, unknown>>;
    const channels = p.channels;
    const hidden = p.hidden;
    const w1 = p.w1;
    const b1 = p.b1;
    const w2 = p.w2;
    const b2 = p.b2;
    if (!isPositiveInt(channels)) {
      throw new SEShapeError(`${fn}: ${name}.channels must be a positive integer but is ${describeValue(channels)}`);
    }
    if (!isPositiveInt(hidden)) {
      throw new SEShapeError(`${fn}: ${name}.hidden must be a positive integer but is ${describeValue(hidden)}`);
    }
    this.channels = channels;
    this.hidden = hidden;
    this.w1 = weightArray(fn, name, 0, w1);
    this.b1 = b1 === null ? null : weightArray(fn, name, 1, b1);
    this.w2 = weightArray(fn, name, 2, w2);
    this.b2 = b2 === null ? null : weightArray(fn, name, 3, b2);
    return this;
  }

  /** Checks the arrays' live lengths against channels and hidden. */
  checkData(fn: string, name = 'params'): this {
    const C = this.channels;
    const R = this.hidden;
    this.w1 = weightLength(fn, name, 0, this.w1, R * C, R, C);
    if (this.b1 !== null) this.b1 = weightLength(fn, name, 1, this.b1, R, R, C);
    this.w2 = weightLength(fn, name, 2, this.w2, C * R, R, C);
    if (this.b2 !== null) this.b2 = weightLength(fn, name, 3, this.b2, C, R, C);
    return this;
  }
}

const NO_WEIGHTS = new Float32Array(0);

function weightArray(fn: string, name: string, k: number, v: unknown): Float32Array {
  if (isFloat32Array(v)) return v;
  const nullable = k === 1 || k === 3;
  throw new SETypeError(`${fn}: ${name}.${WEIGHT_NAMES[k]} must be a Float32Array${nullable ? ' or null' : ''} but got ${describeValue(v)}`);
}

function weightLength(fn: string, name: string, k: number, v: Float32Array, length: number, R: number, C: number): Float32Array {
  const got = typedArrayLength(v);
  if (got !== length) {
    throw new SEShapeError(`${fn}: ${name}.${WEIGHT_NAMES[k]} has length ${got} but ${weightShape(k, R, C)} needs ${length}${detachedHint(v, got)}`);
  }
  return plainFloat32(v);
}

/**
 * Checks that `params` is a well-formed SEParams whose array sizes agree with channels and hidden,
 * reading each field once, and returns a new SEParams object holding what it read (use it, not
 * `params`: a getter on `params` could return something else on a second read).
 */
export function checkSEParams(fn: string, params: unknown, name = 'params'): SEParams {
  const p = new ParamsSnapshot().read(fn, params, name).checkData(fn, name);
  return { channels: p.channels, hidden: p.hidden, w1: p.w1, b1: p.b1, w2: p.w2, b2: p.b2 };
}
