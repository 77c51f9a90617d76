/**
 * The float64 scalar functions behind every nonlinearity of the library: each kind's `f(v)` and its
 * gradient `dy * f'(v)`, written for precision (no cancellation where the function saturates, no
 * overflow). The array kernels in `activation.ts` map these over Float32Arrays.
 *
 * Kinks take PyTorch's values (relu'(0) = 0, hardSigmoid'(+-3) = 0), and NaN in x gives NaN in both
 * directions for every kind (relu and hardSigmoid included, whose flat pieces would otherwise hide it).
 */
import { erfcx, normalCdf, normalPdf } from './erf.js';

/** `max(v, 0)`. */
export function relu(v: number): number {
  return v > 0 || v !== v ? v : 0;
}

/** `v > 0 ? dy : 0`: 0 at v = 0, and 0 on the flat piece whatever dy is. */
export function reluGrad(dy: number, v: number): number {
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
export function sigmoidSlope(v: number): number {
  const e = Math.exp(-Math.abs(v));
  return e / ((1 + e) * (1 + e));
}

/** `dy * sigmoid'(v)`. */
export function sigmoidGrad(dy: number, v: number): number {
  return dy * sigmoidSlope(v);
}

/** SiLU (swish), `v * sigmoid(v)`, EfficientNet's SE activation. */
export function silu(v: number): number {
  return v * sigmoid(v);
}

/** `dy * s (1 + v (1 - s))`, `s = sigmoid(v)`. */
export function siluGrad(dy: number, v: number): number {
  const s = sigmoid(v);
  return dy * s * (1 + v * (1 - s));
}

/**
 * The exact GELU, `v * Phi(v)` with Phi the standard normal CDF: PyTorch's `nn.GELU()` and Keras'
 * default. Phi's lower tail comes from erfc, so gelu(-10) = -7.6e-23 keeps its relative precision
 * (PyTorch's `0.5 x (1 + erf(x / sqrt 2))` gives 0 there). gelu(-Infinity) is NaN, as in PyTorch.
 */
export function gelu(v: number): number {
  return v * normalCdf(v);
}

const SQRT_HALF_PI = Math.sqrt(Math.PI / 2);

/**
 * `dy * (Phi(v) + v phi(v))`, phi the standard normal density (NaN at +-Infinity, as in PyTorch).
 * Beyond |v| = 1/sqrt 2 the tail `Phi(-|v|) = sqrt(pi/2) phi(v) erfcx(|v| / sqrt 2)` reuses phi's exp.
 */
export function geluGrad(dy: number, v: number): number {
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
export function geluTanh(v: number): number {
  return v * sigmoid(2 * SQRT_2_OVER_PI * (v + GELU_TANH_C * v * v * v));
}

/** With `s = sigmoid(2u)`: `0.5 (1 + tanh u) = s` and `0.5 (1 - tanh^2 u) = 2 s (1 - s) = 2e / (1 + e)^2`, `e = exp(-|2u|)`. */
export function geluTanhGrad(dy: number, v: number): number {
  const u2 = 2 * SQRT_2_OVER_PI * (v + GELU_TANH_C * v * v * v);
  const e = Math.exp(-Math.abs(u2));
  const s = u2 >= 0 ? 1 / (1 + e) : e / (1 + e);
  return dy * (s + ((2 * v * e) / ((1 + e) * (1 + e))) * SQRT_2_OVER_PI * (1 + 3 * GELU_TANH_C * v * v));
}

/** PyTorch's hard sigmoid (MobileNetV3's gate) `clamp((v + 3) / 6, 0, 1)`, not ONNX's `0.2 v + 0.5`. */
export function hardSigmoid(v: number): number {
  return v <= -3 ? 0 : v >= 3 ? 1 : (v + 3) / 6;
}

/** `dy / 6` strictly inside (-3, 3), 0 elsewhere, the kinks included. */
export function hardSigmoidGrad(dy: number, v: number): number {
  return v > -3 && v < 3 ? dy / 6 : v !== v ? v : 0;
}

/**
 * `dy * (1 - t^2)`, `t = tanh(v)`, computed from v as `4 e / (1 + e)^2` with `e = exp(-2|v|)`:
 * `1 - t^2` loses its digits where tanh saturates, from the float32 output at once and even from a
 * float64 t beyond |v| ~ 10.
 */
export function tanhGrad(dy: number, v: number): number {
  return 4 * dy * sigmoidSlope(2 * v);
}

/** `v`. */
export function identity(v: number): number {
  return v;
}

/** `dy`. */
export function identityGrad(dy: number): number {
  return dy;
}
