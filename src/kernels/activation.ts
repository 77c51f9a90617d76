/**
 * The elementwise nonlinearities an SE block uses (its inner activation and its gate): one table of
 * float64 scalar functions ({@link ACTIVATIONS}, each a forward and a backward) and one loop pair
 * that maps a table entry over Float32Arrays. The fused path and the tape dispatch by name once
 * per call ({@link activationForward} / {@link activationBackward}), never per element.
 *
 * Every backward reads (saves) only the input x and recomputes what it needs from it in float64.
 * Aliasing, for every kernel here: `out` may be `x`, and `dx` may be `dy` (each element is read
 * before it is written).
 *
 * Speed and allocation: the shared loop is as fast as a hand-written one only where V8 inlines the
 * per-element call in it, and V8 inlines a call whose site has only ever seen one function. One
 * loop called with every kind has one call site that sees them all (measured 3 to 6 times slower
 * for relu and hardSigmoid, about 2 times for the others). So each kind has a one-line kernel
 * (`reluForward`, ...) that hands the loop a step function of its own (a module-level literal, so
 * no closure is made per call): V8 inlines the loop into the kernel and the step into the loop.
 * Where it does not (its inlining budget is spent in a large caller), a step still allocates
 * nothing: it takes the arrays and indices, never a float value (a float passed to or returned
 * from a call that is not inlined is boxed, an allocation per element).
 */
import { erfcx, normalCdf, normalPdf } from './erf.js';

/** Every elementwise nonlinearity the library ships. */
export type ActivationKind = 'relu' | 'silu' | 'gelu' | 'geluTanh' | 'sigmoid' | 'hardSigmoid' | 'tanh' | 'identity';

/** The names accepted for each, in documentation order. */
export const ACTIVATION_KINDS: readonly ActivationKind[] = [
  'relu',
  'silu',
  'gelu',
  'geluTanh',
  'sigmoid',
  'hardSigmoid',
  'tanh',
  'identity',
];

/** One nonlinearity on float64 scalars. */
export interface ScalarActivation {
  /** `f(v)`. */
  readonly forward: (v: number) => number;
  /** `dy * f'(v)`: the gradient through f at the input v. */
  readonly backward: (dy: number, v: number) => number;
}

// The scalar functions. Kinks take PyTorch's values (relu'(0) = 0, hardSigmoid'(+-3) = 0), and NaN
// in x gives NaN in both directions for every kind (relu and hardSigmoid included, whose flat
// pieces would otherwise hide it).

/** `max(v, 0)`. */
function relu(v: number): number {
  return v > 0 || v !== v ? v : 0;
}

/** `v > 0 ? dy : 0`: 0 at v = 0, and 0 on the flat piece whatever dy is. */
function reluGrad(dy: number, v: number): number {
  return v > 0 ? dy : v !== v ? v : 0;
}

/**
 * Logistic sigmoid of one float64 value; never overflows: for v < 0 it is `e / (1 + e)` with
 * `e = exp(v)`, so large |v| give exactly 0 or 1, never NaN. NaN gives NaN.
 */
export function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/**
 * `s (1 - s)` for `s = sigmoid(v)`, as `e / (1 + e)^2` with `e = exp(-|v|)`. Recomputed from v
 * instead of read from the float32 output, in a form without the cancellation of `1 - s`: from a
 * float32 s it loses up to all of its digits where the sigmoid saturates, from a float64 s it does
 * beyond |v| ~ 20.
 */
function sigmoidSlope(v: number): number {
  const e = Math.exp(-Math.abs(v));
  return e / ((1 + e) * (1 + e));
}

/** `dy * sigmoid'(v)`. */
function sigmoidGrad(dy: number, v: number): number {
  return dy * sigmoidSlope(v);
}

/** SiLU (swish), `v * sigmoid(v)`, EfficientNet's SE activation. */
function silu(v: number): number {
  return v * sigmoid(v);
}

/** `dy * s (1 + v (1 - s))`, `s = sigmoid(v)`. */
function siluGrad(dy: number, v: number): number {
  const s = sigmoid(v);
  return dy * s * (1 + v * (1 - s));
}

/**
 * The exact GELU, `v * Phi(v)` with Phi the standard normal CDF: PyTorch's `nn.GELU()` and Keras'
 * default. Phi's lower tail comes from erfc, so gelu(-10) = -7.6e-23 keeps its relative precision
 * (PyTorch's `0.5 x (1 + erf(x / sqrt 2))` gives 0 there). gelu(-Infinity) is NaN, as in PyTorch.
 */
function gelu(v: number): number {
  return v * normalCdf(v);
}

const SQRT_HALF_PI = Math.sqrt(Math.PI / 2);

/**
 * `dy * (Phi(v) + v phi(v))`, phi the standard normal density (NaN at +-Infinity, as in PyTorch).
 * Beyond |v| = 1/sqrt 2 the tail `Phi(-|v|) = sqrt(pi/2) phi(v) erfcx(|v| / sqrt 2)` reuses phi's exp.
 */
function geluGrad(dy: number, v: number): number {
  const pdf = normalPdf(v);
  const z = Math.abs(v) * Math.SQRT1_2;
  let cdf: number;
  if (z < 0.5) cdf = normalCdf(v);
  else {
    const lower = SQRT_HALF_PI * pdf * erfcx(z);
    cdf = v < 0 ? lower : 1 - lower;
  }
  return dy * (cdf + v * pdf);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_TANH_C = 0.044715;

/**
 * GELU's tanh approximation (PyTorch `gelu(approximate='tanh')`): `0.5 v (1 + tanh(u))`,
 * `u = sqrt(2/pi) (v + 0.044715 v^3)`, within 5e-4 of the exact form. Evaluated through the
 * identity `0.5 (1 + tanh(u)) = sigmoid(2u)`: `1 + tanh(u)` cancels for negative v (all digits lost
 * below v ~ -7), the sigmoid form keeps full relative precision.
 */
function geluTanh(v: number): number {
  return v * sigmoid(2 * SQRT_2_OVER_PI * (v + GELU_TANH_C * v * v * v));
}

/** With `s = sigmoid(2u)`: `0.5 (1 + tanh u) = s` and `0.5 (1 - tanh^2 u) = 2 s (1 - s) = 2e / (1 + e)^2`, `e = exp(-|2u|)`. */
function geluTanhGrad(dy: number, v: number): number {
  const u2 = 2 * SQRT_2_OVER_PI * (v + GELU_TANH_C * v * v * v);
  const e = Math.exp(-Math.abs(u2));
  const s = u2 >= 0 ? 1 / (1 + e) : e / (1 + e);
  return dy * (s + ((2 * v * e) / ((1 + e) * (1 + e))) * SQRT_2_OVER_PI * (1 + 3 * GELU_TANH_C * v * v));
}

/** PyTorch's hard sigmoid (MobileNetV3's gate) `clamp((v + 3) / 6, 0, 1)`, not ONNX's `0.2 v + 0.5`. */
function hardSigmoid(v: number): number {
  return v <= -3 ? 0 : v >= 3 ? 1 : (v + 3) / 6;
}

/** `dy / 6` strictly inside (-3, 3), 0 elsewhere, the kinks included. */
function hardSigmoidGrad(dy: number, v: number): number {
  return v > -3 && v < 3 ? dy / 6 : v !== v ? v : 0;
}

/**
 * `dy * (1 - t^2)`, `t = tanh(v)`, computed from v as `4 e / (1 + e)^2` with `e = exp(-2|v|)`:
 * `1 - t^2` loses its digits where tanh saturates, from the float32 output at once and even from a
 * float64 t beyond |v| ~ 10.
 */
function tanhGrad(dy: number, v: number): number {
  return 4 * dy * sigmoidSlope(2 * v);
}

/** `v`. */
function identity(v: number): number {
  return v;
}

/** `dy`. */
function identityGrad(dy: number): number {
  return dy;
}

const entry = (forward: (v: number) => number, backward: (dy: number, v: number) => number): ScalarActivation =>
  Object.freeze({ forward, backward });

/**
 * The table: each nonlinearity's float64 forward `f(v)` and backward `dy * f'(v)` (see each
 * function's comment for its numerics). Frozen.
 */
export const ACTIVATIONS: Readonly<Record<ActivationKind, ScalarActivation>> = Object.freeze({
  relu: entry(relu, reluGrad),
  silu: entry(silu, siluGrad),
  gelu: entry(gelu, geluGrad),
  geluTanh: entry(geluTanh, geluTanhGrad),
  sigmoid: entry(sigmoid, sigmoidGrad),
  hardSigmoid: entry(hardSigmoid, hardSigmoidGrad),
  tanh: entry(Math.tanh, tanhGrad),
  identity: entry(identity, identityGrad),
});

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

/**
 * One element of a forward: `out[i] = f(x[j])`. Steps take arrays and indices, never the float
 * values themselves: a float passed to (or returned from) a call V8 does not inline is boxed, an
 * allocation per element, so this keeps the loops allocation-free whether or not V8 inlines them.
 */
type ForwardStep = (out: Float32Array, i: number, x: Float32Array, j: number) => void;
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

// One step pair per kind, each a function literal of its own (V8 keeps call feedback per literal,
// so each kernel's call site sees one step and inlines it; the file comment says why that matters).
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

/** relu over an array. */
export const reluForward: ActivationForwardKernel = (out, x, n, oo = 0, xo = 0) => mapForward(reluStep, out, x, n, oo, xo);
/** relu's gradient over an array (saved: x). */
export const reluBackward: ActivationBackwardKernel = (dx, dy, x, n, dxo = 0, dyo = 0, xo = 0) => mapBackward(reluGradStep, dx, dy, x, n, dxo, dyo, xo);
/** silu over an array. */
export const siluForward: ActivationForwardKernel = (out, x, n, oo = 0, xo = 0) => mapForward(siluStep, out, x, n, oo, xo);
/** silu's gradient over an array (saved: x). */
export const siluBackward: ActivationBackwardKernel = (dx, dy, x, n, dxo = 0, dyo = 0, xo = 0) => mapBackward(siluGradStep, dx, dy, x, n, dxo, dyo, xo);
/** The exact (erf) gelu over an array. */
export const geluForward: ActivationForwardKernel = (out, x, n, oo = 0, xo = 0) => mapForward(geluStep, out, x, n, oo, xo);
/** The exact (erf) gelu's gradient over an array (saved: x). */
export const geluBackward: ActivationBackwardKernel = (dx, dy, x, n, dxo = 0, dyo = 0, xo = 0) => mapBackward(geluGradStep, dx, dy, x, n, dxo, dyo, xo);
/** The tanh-approximated gelu over an array. */
export const geluTanhForward: ActivationForwardKernel = (out, x, n, oo = 0, xo = 0) => mapForward(geluTanhStep, out, x, n, oo, xo);
/** The tanh-approximated gelu's gradient over an array (saved: x). */
export const geluTanhBackward: ActivationBackwardKernel = (dx, dy, x, n, dxo = 0, dyo = 0, xo = 0) =>
  mapBackward(geluTanhGradStep, dx, dy, x, n, dxo, dyo, xo);
/** sigmoid over an array. */
export const sigmoidForward: ActivationForwardKernel = (out, x, n, oo = 0, xo = 0) => mapForward(sigmoidStep, out, x, n, oo, xo);
/** sigmoid's gradient over an array (saved: x). */
export const sigmoidBackward: ActivationBackwardKernel = (dx, dy, x, n, dxo = 0, dyo = 0, xo = 0) =>
  mapBackward(sigmoidGradStep, dx, dy, x, n, dxo, dyo, xo);
/** hardSigmoid over an array. */
export const hardSigmoidForward: ActivationForwardKernel = (out, x, n, oo = 0, xo = 0) => mapForward(hardSigmoidStep, out, x, n, oo, xo);
/** hardSigmoid's gradient over an array (saved: x). */
export const hardSigmoidBackward: ActivationBackwardKernel = (dx, dy, x, n, dxo = 0, dyo = 0, xo = 0) =>
  mapBackward(hardSigmoidGradStep, dx, dy, x, n, dxo, dyo, xo);
/** tanh over an array. */
export const tanhForward: ActivationForwardKernel = (out, x, n, oo = 0, xo = 0) => mapForward(tanhStep, out, x, n, oo, xo);
/** tanh's gradient over an array (saved: x). */
export const tanhBackward: ActivationBackwardKernel = (dx, dy, x, n, dxo = 0, dyo = 0, xo = 0) => mapBackward(tanhGradStep, dx, dy, x, n, dxo, dyo, xo);
const identityForward: ActivationForwardKernel = (out, x, n, oo = 0, xo = 0) => mapForward(identityStep, out, x, n, oo, xo);
// The gradient of the identity is dy: the forward copy step over dy, which does not read x at all.
const identityBackward: ActivationBackwardKernel = (dx, dy, _x, n, dxo = 0, dyo = 0) => mapForward(identityStep, dx, dy, n, dxo, dyo);

/**
 * Whether the forward of `kind` saves its slope f'(x) for the backward (computed from the same exp
 * as f(x), so the backward needs none): the sigmoid (the SE gate's default) and silu. The other
 * kinds' backwards need only x (a sign or range test, or nothing).
 */
export function savesSlope(kind: ActivationKind): boolean {
  return kind === 'sigmoid' || kind === 'silu';
}

/** One element of a saving forward: `out[i] = f(xs[j])`, and `xs[j]` becomes `f'(xs[j])`. */
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
  if (kind === 'sigmoid') return mapForward(sigmoidSavingStep, out, xs, n, outOffset, xsOffset);
  if (kind === 'silu') return mapForward(siluSavingStep, out, xs, n, outOffset, xsOffset);
  return activationForward(kind, out, xs, n, outOffset, xsOffset);
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
  if (savesSlope(kind)) return mapBackward(slopeStep, dx, dy, saved, n, dxOffset, dyOffset, savedOffset);
  return activationBackward(kind, dx, dy, saved, n, dxOffset, dyOffset, savedOffset);
}

/**
 * `out[outOffset + i] = f(x[xOffset + i])` for i < n, f the nonlinearity `kind`.
 * Aliasing: `out` may be `x`.
 * @returns out
 */
export function activationForward(
  kind: ActivationKind,
  out: Float32Array,
  x: Float32Array,
  n: number,
  outOffset = 0,
  xOffset = 0,
): Float32Array {
  switch (kind) {
    case 'relu':
      return reluForward(out, x, n, outOffset, xOffset);
    case 'silu':
      return siluForward(out, x, n, outOffset, xOffset);
    case 'gelu':
      return geluForward(out, x, n, outOffset, xOffset);
    case 'geluTanh':
      return geluTanhForward(out, x, n, outOffset, xOffset);
    case 'sigmoid':
      return sigmoidForward(out, x, n, outOffset, xOffset);
    case 'hardSigmoid':
      return hardSigmoidForward(out, x, n, outOffset, xOffset);
    case 'tanh':
      return tanhForward(out, x, n, outOffset, xOffset);
    case 'identity':
      return identityForward(out, x, n, outOffset, xOffset);
  }
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
  switch (kind) {
    case 'relu':
      return reluBackward(dx, dy, x, n, dxOffset, dyOffset, xOffset);
    case 'silu':
      return siluBackward(dx, dy, x, n, dxOffset, dyOffset, xOffset);
    case 'gelu':
      return geluBackward(dx, dy, x, n, dxOffset, dyOffset, xOffset);
    case 'geluTanh':
      return geluTanhBackward(dx, dy, x, n, dxOffset, dyOffset, xOffset);
    case 'sigmoid':
      return sigmoidBackward(dx, dy, x, n, dxOffset, dyOffset, xOffset);
    case 'hardSigmoid':
      return hardSigmoidBackward(dx, dy, x, n, dxOffset, dyOffset, xOffset);
    case 'tanh':
      return tanhBackward(dx, dy, x, n, dxOffset, dyOffset, xOffset);
    case 'identity':
      return identityBackward(dx, dy, x, n, dxOffset, dyOffset, xOffset);
  }
}
