/**
 * The elementwise nonlinearities an SE block uses (its inner activation and its gate): ONE table,
 * {@link ACTIVATIONS}, that everything dispatches on. Each entry holds the kind's float64 scalar
 * forward and backward (`activationScalar.ts`), its array kernels, whether its forward saves its
 * slope for the backward, where an SE block accepts it, and its wire code for the thread pool.
 *
 * Adding a kind: its scalar pair in `activationScalar.ts`, one entry here (two one-line kernels and
 * their steps included), and its float64 reference in `testing/reference.ts`. The option lists
 * (`SE_ACTIVATIONS`, `SE_GATES`), the types, dispatch and the wire format follow from the entry.
 *
 * Aliasing, for every kernel here: `out` may be `x`, and `dx` may be `dy` (each element is read
 * before it is written); the saving forward is the exception (see {@link activationForwardSaving}).
 *
 * Why each kind has step and kernel literals of its own instead of one generic loop: V8 inlines a
 * call whose site has only ever seen one function, and keeps call feedback per function literal. One
 * loop called with every kind would see them all and call each step out of line; a one-line kernel
 * per kind hands the shared loop its own step, so V8 inlines the loop into the kernel and the step
 * into the loop. Where it does not, a step still allocates nothing: it takes arrays and indices,
 * never a float value (a float passed to or returned from a call that is not inlined is boxed).
 */
import {
  gelu,
  geluGrad,
  geluTanh,
  geluTanhGrad,
  hardSigmoid,
  hardSigmoidGrad,
  identity,
  identityGrad,
  relu,
  reluGrad,
  sigmoid,
  sigmoidGrad,
  silu,
  siluGrad,
  tanhGrad,
} from './activationScalar.js';

export { sigmoid } from './activationScalar.js';

/** One nonlinearity on float64 scalars. */
export interface ScalarActivation {
  /** `f(v)`. */
  readonly forward: (v: number) => number;
  /** `dy * f'(v)`: the gradient through f at the input v. */
  readonly backward: (dy: number, v: number) => number;
}

/** The signature of every forward kernel here: `out[outOffset + i] = f(x[xOffset + i])` for i < n; returns out. */
export type ActivationForwardKernel = (
  out: Float32Array,
  x: Float32Array,
  n: number,
  outOffset?: number,
  xOffset?: number,
) => Float32Array;

/**
 * The signature of every backward kernel here: `dx[dxOffset + i] = dy[dyOffset + i] * f'(x[xOffset + i])`
 * for i < n (saved: the input x); returns dx.
 */
export type ActivationBackwardKernel = (
  dx: Float32Array,
  dy: Float32Array,
  x: Float32Array,
  n: number,
  dxOffset?: number,
  dyOffset?: number,
  xOffset?: number,
) => Float32Array;

/** One element of a forward: `out[i] = f(x[j])` (arrays and indices, never float values: see the file comment). */
export type ForwardStep = (out: Float32Array, i: number, x: Float32Array, j: number) => void;
/** One element of a backward: `dx[i] = dy[j] * f'(x[k])`. */
type BackwardStep = (dx: Float32Array, i: number, dy: Float32Array, j: number, x: Float32Array, k: number) => void;

/** The forward loop, shared by every kind. */
function mapForward(step: ForwardStep, out: Float32Array, x: Float32Array, n: number, outOffset: number, xOffset: number): Float32Array {
  const end = outOffset + n;
  for (let i = outOffset, j = xOffset; i < end; i++, j++) step(out, i, x, j);
  return out;
}

/** The backward loop, shared by every kind. */
function mapBackward(
  step: BackwardStep,
  dx: Float32Array,
  dy: Float32Array,
  x: Float32Array,
  n: number,
  dxOffset: number,
  dyOffset: number,
  xOffset: number,
): Float32Array {
  const end = dxOffset + n;
  for (let i = dxOffset, j = dyOffset, k = xOffset; i < end; i++, j++, k++) step(dx, i, dy, j, x, k);
  return dx;
}

/** One kind: everything the library knows about it. */
export interface ActivationEntry extends ScalarActivation {
  /**
   * The kind's code on the thread pool's wire (the shared control block): stable, never reused, never a
   * list position, so reordering or adding kinds cannot change what a number means.
   */
  readonly code: number;
  /** Accepted as an SE block's inner activation (`SEOptions.activation`). */
  readonly inner: boolean;
  /** Accepted as an SE block's gate (`SEOptions.gate`). */
  readonly gate: boolean;
  /** The forward over an array. */
  readonly forwardKernel: ActivationForwardKernel;
  /** The backward over an array, from the saved input x. */
  readonly backwardKernel: ActivationBackwardKernel;
  /**
   * For kinds whose backward is cheaper from the slope f'(x) than from x: the forward over an array
   * that writes `out[i] = f(xs[i])` and replaces `xs[i]` by `f'(xs[i])` (both from the same exp).
   * Absent: the backward reads x itself (a sign or range test, or nothing).
   */
  readonly savingKernel?: ActivationForwardKernel;
}

/** An entry an SE block accepts as its inner activation only. */
export type InnerActivationEntry = ActivationEntry & { readonly inner: true; readonly gate: false };
/** An entry an SE block accepts as its gate only. */
export type GateActivationEntry = ActivationEntry & { readonly inner: false; readonly gate: true };
/** An entry an SE block accepts in both places. */
export type AnyPlaceActivationEntry = ActivationEntry & { readonly inner: true; readonly gate: true };

/** The shape of {@link ACTIVATIONS}: each kind, and where an SE block accepts it (`SEActivation` and `SEGate` come from this). */
export interface ActivationTable {
  /** The logistic sigmoid, the SE gate's default; saves its slope. */
  readonly sigmoid: GateActivationEntry;
  /** PyTorch's `clamp((v + 3) / 6, 0, 1)`, MobileNetV3's gate. */
  readonly hardSigmoid: GateActivationEntry;
  /** tanh (a gate in the paper's ablation). */
  readonly tanh: GateActivationEntry;
  /** `max(v, 0)`, the inner activation's default; relu'(0) = 0. */
  readonly relu: AnyPlaceActivationEntry;
  /** SiLU (swish), EfficientNet's inner activation; saves its slope. */
  readonly silu: InnerActivationEntry;
  /** The exact (erf) GELU, PyTorch's `nn.GELU()`. */
  readonly gelu: InnerActivationEntry;
  /** GELU's tanh approximation, PyTorch's `approximate='tanh'`. */
  readonly geluTanh: InnerActivationEntry;
  /** `v`. */
  readonly identity: AnyPlaceActivationEntry;
}

/** Freezes one table entry. */
function entry<T extends ActivationEntry>(e: T): T {
  return Object.freeze(e);
}

/**
 * The table, in documentation order: gates first (sigmoid, the default gate, leading), then the inner
 * activations (relu, the default, leading); relu and identity are both. Frozen.
 */
export const ACTIVATIONS: ActivationTable = Object.freeze({
  sigmoid: entry({
    code: 5,
    inner: false,
    gate: true,
    forward: sigmoid,
    backward: sigmoidGrad,
    forwardKernel: (out, x, n, oo = 0, xo = 0) => mapForward(sigmoidStep, out, x, n, oo, xo),
    backwardKernel: (dx, dy, x, n, dxo = 0, dyo = 0, xo = 0) => mapBackward(sigmoidGradStep, dx, dy, x, n, dxo, dyo, xo),
    savingKernel: (out, xs, n, oo = 0, xo = 0) => mapForward(sigmoidSavingStep, out, xs, n, oo, xo),
  }),
  hardSigmoid: entry({
    code: 6,
    inner: false,
    gate: true,
    forward: hardSigmoid,
    backward: hardSigmoidGrad,
    forwardKernel: (out, x, n, oo = 0, xo = 0) => mapForward(hardSigmoidStep, out, x, n, oo, xo),
    backwardKernel: (dx, dy, x, n, dxo = 0, dyo = 0, xo = 0) => mapBackward(hardSigmoidGradStep, dx, dy, x, n, dxo, dyo, xo),
  }),
  tanh: entry({
    code: 7,
    inner: false,
    gate: true,
    forward: Math.tanh,
    backward: tanhGrad,
    forwardKernel: (out, x, n, oo = 0, xo = 0) => mapForward(tanhStep, out, x, n, oo, xo),
    backwardKernel: (dx, dy, x, n, dxo = 0, dyo = 0, xo = 0) => mapBackward(tanhGradStep, dx, dy, x, n, dxo, dyo, xo),
  }),
  relu: entry({
    code: 1,
    inner: true,
    gate: true,
    forward: relu,
    backward: reluGrad,
    forwardKernel: (out, x, n, oo = 0, xo = 0) => mapForward(reluStep, out, x, n, oo, xo),
    backwardKernel: (dx, dy, x, n, dxo = 0, dyo = 0, xo = 0) => mapBackward(reluGradStep, dx, dy, x, n, dxo, dyo, xo),
  }),
  silu: entry({
    code: 2,
    inner: true,
    gate: false,
    forward: silu,
    backward: siluGrad,
    forwardKernel: (out, x, n, oo = 0, xo = 0) => mapForward(siluStep, out, x, n, oo, xo),
    backwardKernel: (dx, dy, x, n, dxo = 0, dyo = 0, xo = 0) => mapBackward(siluGradStep, dx, dy, x, n, dxo, dyo, xo),
    savingKernel: (out, xs, n, oo = 0, xo = 0) => mapForward(siluSavingStep, out, xs, n, oo, xo),
  }),
  gelu: entry({
    code: 3,
    inner: true,
    gate: false,
    forward: gelu,
    backward: geluGrad,
    forwardKernel: (out, x, n, oo = 0, xo = 0) => mapForward(geluStep, out, x, n, oo, xo),
    backwardKernel: (dx, dy, x, n, dxo = 0, dyo = 0, xo = 0) => mapBackward(geluGradStep, dx, dy, x, n, dxo, dyo, xo),
  }),
  geluTanh: entry({
    code: 4,
    inner: true,
    gate: false,
    forward: geluTanh,
    backward: geluTanhGrad,
    forwardKernel: (out, x, n, oo = 0, xo = 0) => mapForward(geluTanhStep, out, x, n, oo, xo),
    backwardKernel: (dx, dy, x, n, dxo = 0, dyo = 0, xo = 0) => mapBackward(geluTanhGradStep, dx, dy, x, n, dxo, dyo, xo),
  }),
  identity: entry({
    code: 8,
    inner: true,
    gate: true,
    forward: identity,
    backward: identityGrad,
    forwardKernel: (out, x, n, oo = 0, xo = 0) => mapForward(identityStep, out, x, n, oo, xo),
    // The gradient of the identity is dy: the forward's copy step over dy, which does not read x at all.
    backwardKernel: (dx, dy, _x, n, dxo = 0, dyo = 0) => mapForward(identityStep, dx, dy, n, dxo, dyo),
  }),
});

// The steps the kernels above hand to the shared loops: a literal per kind (see the file comment).
const reluStep: ForwardStep = (o, i, x, j) => void (o[i] = relu(x[j]));
const reluGradStep: BackwardStep = (d, i, g, j, x, k) => void (d[i] = reluGrad(g[j], x[k]));
const siluStep: ForwardStep = (o, i, x, j) => void (o[i] = silu(x[j]));
const siluGradStep: BackwardStep = (d, i, g, j, x, k) => void (d[i] = siluGrad(g[j], x[k]));
const geluStep: ForwardStep = (o, i, x, j) => void (o[i] = gelu(x[j]));
const geluGradStep: BackwardStep = (d, i, g, j, x, k) => void (d[i] = geluGrad(g[j], x[k]));
const geluTanhStep: ForwardStep = (o, i, x, j) => void (o[i] = geluTanh(x[j]));
const geluTanhGradStep: BackwardStep = (d, i, g, j, x, k) => void (d[i] = geluTanhGrad(g[j], x[k]));
const sigmoidStep: ForwardStep = (o, i, x, j) => void (o[i] = sigmoid(x[j]));
const sigmoidGradStep: BackwardStep = (d, i, g, j, x, k) => void (d[i] = sigmoidGrad(g[j], x[k]));
const hardSigmoidStep: ForwardStep = (o, i, x, j) => void (o[i] = hardSigmoid(x[j]));
const hardSigmoidGradStep: BackwardStep = (d, i, g, j, x, k) => void (d[i] = hardSigmoidGrad(g[j], x[k]));
const tanhStep: ForwardStep = (o, i, x, j) => void (o[i] = Math.tanh(x[j]));
const tanhGradStep: BackwardStep = (d, i, g, j, x, k) => void (d[i] = tanhGrad(g[j], x[k]));
const identityStep: ForwardStep = (o, i, x, j) => void (o[i] = x[j]);
// The saving forwards: `out[i] = f(xs[j])`, and `xs[j]` becomes `f'(xs[j])`, from one exp.
const sigmoidSavingStep: ForwardStep = (o, i, xs, j) => {
  const v = xs[j];
  const e = Math.exp(-Math.abs(v));
  const d = 1 + e;
  o[i] = v >= 0 ? 1 / d : e / d;
  xs[j] = e / (d * d);
};
const siluSavingStep: ForwardStep = (o, i, xs, j) => {
  const v = xs[j];
  const e = Math.exp(-Math.abs(v));
  const d = 1 + e;
  const s = v >= 0 ? 1 / d : e / d;
  const rest = v >= 0 ? e / d : 1 / d; // 1 - s without cancellation
  o[i] = v * s;
  xs[j] = s * (1 + v * rest);
};

/** Every elementwise nonlinearity the library ships: the keys of {@link ACTIVATIONS}. */
export type ActivationKind = keyof typeof ACTIVATIONS;

/** Every kind, in the table's (documentation) order. */
export const ACTIVATION_KINDS: readonly ActivationKind[] = Object.freeze(Object.keys(ACTIVATIONS) as ActivationKind[]);

const BY_CODE: ReadonlyMap<number, ActivationKind> = new Map(ACTIVATION_KINDS.map((k) => [ACTIVATIONS[k].code, k]));

/** The stable wire code of `kind` ({@link ActivationEntry.code}). */
export function activationCode(kind: ActivationKind): number {
  return ACTIVATIONS[kind].code;
}

/** The kind whose wire code is `code`, or undefined for a code no kind has. */
export function activationFromCode(code: number): ActivationKind | undefined {
  return BY_CODE.get(code);
}

/** relu over an array. */
export const reluForward: ActivationForwardKernel = ACTIVATIONS.relu.forwardKernel;
/** relu's gradient over an array (saved: x). */
export const reluBackward: ActivationBackwardKernel = ACTIVATIONS.relu.backwardKernel;
/** silu over an array. */
export const siluForward: ActivationForwardKernel = ACTIVATIONS.silu.forwardKernel;
/** silu's gradient over an array (saved: x). */
export const siluBackward: ActivationBackwardKernel = ACTIVATIONS.silu.backwardKernel;
/** The exact (erf) gelu over an array. */
export const geluForward: ActivationForwardKernel = ACTIVATIONS.gelu.forwardKernel;
/** The exact (erf) gelu's gradient over an array (saved: x). */
export const geluBackward: ActivationBackwardKernel = ACTIVATIONS.gelu.backwardKernel;
/** The tanh-approximated gelu over an array. */
export const geluTanhForward: ActivationForwardKernel = ACTIVATIONS.geluTanh.forwardKernel;
/** The tanh-approximated gelu's gradient over an array (saved: x). */
export const geluTanhBackward: ActivationBackwardKernel = ACTIVATIONS.geluTanh.backwardKernel;
/** sigmoid over an array. */
export const sigmoidForward: ActivationForwardKernel = ACTIVATIONS.sigmoid.forwardKernel;
/** sigmoid's gradient over an array (saved: x). */
export const sigmoidBackward: ActivationBackwardKernel = ACTIVATIONS.sigmoid.backwardKernel;
/** hardSigmoid over an array. */
export const hardSigmoidForward: ActivationForwardKernel = ACTIVATIONS.hardSigmoid.forwardKernel;
/** hardSigmoid's gradient over an array (saved: x). */
export const hardSigmoidBackward: ActivationBackwardKernel = ACTIVATIONS.hardSigmoid.backwardKernel;
/** tanh over an array. */
export const tanhForward: ActivationForwardKernel = ACTIVATIONS.tanh.forwardKernel;
/** tanh's gradient over an array (saved: x). */
export const tanhBackward: ActivationBackwardKernel = ACTIVATIONS.tanh.backwardKernel;

/**
 * Whether the forward of `kind` saves its slope f'(x) for the backward (its entry has a
 * `savingKernel`): the sigmoid (the SE gate's default) and silu.
 */
export function savesSlope(kind: ActivationKind): boolean {
  return (ACTIVATIONS[kind] as ActivationEntry).savingKernel !== undefined;
}

/** One element of a backward from a saved slope: `dx[i] = dy[j] * slope[k]`. */
const slopeStep: BackwardStep = (d, i, g, j, sl, k) => void (d[i] = g[j] * sl[k]);

/**
 * `out = f(xs)` for n values, and `xs` then holds what {@link activationBackwardSaved} needs: the
 * slope f'(x) for kinds that save it ({@link savesSlope}; computed in float64 from the same exp as
 * f, in forms without cancellation, and rounded to float32 once), else x itself, unchanged. The
 * fused SE block keeps the saved array in its cache.
 * Aliasing: `out` must not overlap `xs`.
 * @returns out
 */
export function activationForwardSaving(kind: ActivationKind, out: Float32Array, xs: Float32Array, n: number, outOffset = 0, xsOffset = 0): Float32Array {
  const entry: ActivationEntry = ACTIVATIONS[kind];
  // The entry's own kernel literal, which hands the shared loop a constant step (see the file comment).
  if (entry.savingKernel !== undefined) return entry.savingKernel(out, xs, n, outOffset, xsOffset);
  return entry.forwardKernel(out, xs, n, outOffset, xsOffset);
}

/**
 * The backward from what {@link activationForwardSaving} left: `dx = dy * slope` for kinds that
 * save their slope, else {@link activationBackward} from x.
 * Aliasing: `dx` may be `dy`.
 * @returns dx
 */
export function activationBackwardSaved(
  kind: ActivationKind,
  dx: Float32Array,
  dy: Float32Array,
  saved: Float32Array,
  n: number,
  dxOffset = 0,
  dyOffset = 0,
  savedOffset = 0,
): Float32Array {
  const entry: ActivationEntry = ACTIVATIONS[kind];
  if (entry.savingKernel !== undefined) return mapBackward(slopeStep, dx, dy, saved, n, dxOffset, dyOffset, savedOffset);
  return entry.backwardKernel(dx, dy, saved, n, dxOffset, dyOffset, savedOffset);
}

/**
 * `out[outOffset + i] = f(x[xOffset + i])` for i < n, f the nonlinearity `kind`.
 * Aliasing: `out` may be `x`.
 * @returns out
 */
export function activationForward(kind: ActivationKind, out: Float32Array, x: Float32Array, n: number, outOffset = 0, xOffset = 0): Float32Array {
  return ACTIVATIONS[kind].forwardKernel(out, x, n, outOffset, xOffset);
}

/**
 * `dx[dxOffset + i] = dy[dyOffset + i] * f'(x[xOffset + i])` for i < n, f the nonlinearity `kind`;
 * every kind saves only its input x. Aliasing: `dx` may be `dy`.
 * @returns dx
 */
export function activationBackward(
  kind: ActivationKind,
  dx: Float32Array,
  dy: Float32Array,
  x: Float32Array,
  n: number,
  dxOffset = 0,
  dyOffset = 0,
  xOffset = 0,
): Float32Array {
  return ACTIVATIONS[kind].backwardKernel(dx, dy, x, n, dxOffset, dyOffset, xOffset);
}
