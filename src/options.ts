/** SE block options: the variant names the public calls accept, and their validation. */
import { checkKeys } from './arguments.js';
import { SEOptionError, SETypeError, describeValue } from './errors.js';
import { ACTIVATIONS, ACTIVATION_KINDS, type ActivationKind } from './kernels/activation.js';

/** Memory layout of the SE block's input: `[N, C, ...spatial]` or `[N, ...spatial, C]`. */
export type SELayout = 'channels-first' | 'channels-last';
/** How the spatial axis is squeezed: mean (the paper's default), max, or their average (timm `add_maxpool`). */
export type SESqueeze = 'avg' | 'max' | 'avgmax';
/** The inner activation after the reducing layer: the kinds of the activation table marked `inner`. */
export type SEActivation = { [K in ActivationKind]: (typeof ACTIVATIONS)[K]['inner'] extends true ? K : never }[ActivationKind];
/** The gate applied to the expanded excitation: the kinds of the activation table marked `gate`. */
export type SEGate = { [K in ActivationKind]: (typeof ACTIVATIONS)[K]['gate'] extends true ? K : never }[ActivationKind];

/** Variant options of `seForward` (all optional; defaults give the paper's block). */
export interface SEOptions {
  /** `'channels-first'` (NCHW, default) or `'channels-last'` (NHWC). */
  layout?: SELayout;
  /** `'avg'` (default), `'max'` or `'avgmax'`. */
  squeeze?: SESqueeze;
  /**
   * `'relu'` (default; relu'(0) = 0), `'silu'`, `'gelu'` (the exact erf form `x * Phi(x)`, PyTorch's
   * `nn.GELU()` default), `'geluTanh'` (its tanh approximation, PyTorch `approximate='tanh'`) or `'identity'`.
   */
  activation?: SEActivation;
  /** `'sigmoid'` (default), `'hardSigmoid'` (PyTorch's), `'tanh'`, `'relu'` or `'identity'`. */
  gate?: SEGate;
}

/** SEOptions with every field filled in. */
export interface ResolvedSEOptions {
  readonly layout: SELayout;
  readonly squeeze: SESqueeze;
  readonly activation: SEActivation;
  readonly gate: SEGate;
}

// Each list starts with its default (resolveSEOptions relies on it; the activation table lists the
// default gate and the default activation first among theirs).
/** Every {@link SELayout}, default first. */
export const SE_LAYOUTS: readonly SELayout[] = ['channels-first', 'channels-last'];
/** Every {@link SESqueeze}, default first. */
export const SE_SQUEEZES: readonly SESqueeze[] = ['avg', 'max', 'avgmax'];
/** Every {@link SEActivation}, default first. */
export const SE_ACTIVATIONS: readonly SEActivation[] = Object.freeze(ACTIVATION_KINDS.filter((k): k is SEActivation => ACTIVATIONS[k].inner));
/** Every {@link SEGate}, default first. */
export const SE_GATES: readonly SEGate[] = Object.freeze(ACTIVATION_KINDS.filter((k): k is SEGate => ACTIVATIONS[k].gate));

/** The defaults: the block of the SENet paper. */
export const DEFAULT_SE_OPTIONS: ResolvedSEOptions = Object.freeze({
  layout: 'channels-first',
  squeeze: 'avg',
  activation: 'relu',
  gate: 'sigmoid',
});

function pick<T extends string>(fn: string, key: string, value: unknown, allowed: readonly T[]): number {
  if (value === undefined) return 0;
  const i = typeof value === 'string' ? (allowed as readonly string[]).indexOf(value) : -1;
  if (i >= 0) return i;
  throw new SEOptionError(
    `${fn}: options.${key} must be one of ${allowed.map((a) => `'${a}'`).join(', ')} but is ${describeValue(value)}`,
  );
}

const OPTION_KEYS: readonly string[] = ['layout', 'squeeze', 'activation', 'gate'];

/** One frozen object per combination, so resolving options allocates nothing after the first time. */
const interned: (ResolvedSEOptions | undefined)[] = [];

/**
 * Validates `options` (unknown keys and values are errors) and fills in the defaults. The result
 * is a shared frozen object (equal options give the same object).
 */
export function resolveSEOptions(fn: string, options: unknown): ResolvedSEOptions {
  if (options === undefined || options === null) return DEFAULT_SE_OPTIONS;
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new SETypeError(`${fn}: options must be an object but got ${describeValue(options)}`);
  }
  // No copy on this per-call path: the keys are checked, then each is read exactly once below.
  const o = checkKeys(fn, options, OPTION_KEYS, 'options');
  const l = pick(fn, 'layout', o.layout, SE_LAYOUTS);
  const q = pick(fn, 'squeeze', o.squeeze, SE_SQUEEZES);
  const a = pick(fn, 'activation', o.activation, SE_ACTIVATIONS);
  const g = pick(fn, 'gate', o.gate, SE_GATES);
  const id = ((l * SE_SQUEEZES.length + q) * SE_ACTIVATIONS.length + a) * SE_GATES.length + g;
  let resolved = interned[id];
  if (resolved === undefined) {
    resolved = Object.freeze({ layout: SE_LAYOUTS[l], squeeze: SE_SQUEEZES[q], activation: SE_ACTIVATIONS[a], gate: SE_GATES[g] });
    interned[id] = resolved;
  }
  return resolved;
}
