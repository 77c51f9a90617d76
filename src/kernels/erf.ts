/**
 * The error function family in float64 (JavaScript has no `Math.erf`): `erf`, `erfc`, the scaled
 * `erfcx(x) = exp(x^2) erfc(x)`, and the standard normal `normalCdf` / `normalPdf` that the exact
 * GELU needs. Relative error about 1e-15 (a few float64 ulps) wherever the result is a normal
 * float64, in both tails: `erfc` and the lower tail of `normalCdf` are computed as
 * `exp(-x^2) * erfcx(x)`, never as `1 - erf(x)`, so they keep their digits down to underflow.
 *
 * How: for |x| < 0.5, `erf(x) = x P(x^2)`; for 0.5 <= x < 4, `erfcx` on seven intervals of width
 * 1/2, a degree-13 polynomial in the interval's variable `u = 4x - 3 - 2k` in [-1, 1); for x >= 4,
 * `x erfcx(x) = Q(1/x^2)`. The coefficients are Chebyshev interpolants of the exact functions,
 * computed in 60-digit arithmetic, cut where the next term is below 2e-17 of the function, then
 * written as powers of the variable and rounded to float64. `exp(-x^2)` splits x into a head and a
 * tail so that the square is exact (x^2 rounded to float64 would cost up to 800 ulps of erfc near
 * x = 27, where x^2 ~ 745).
 */

/** `erf(z) / z` as powers of `t = z^2`, for |z| < 0.5 (t < 1/4); the last 0 pads it to an even count. */
const ERF_SMALL = Float64Array.of(
  1.1283791670955126, -0.37612638903183476, 0.11283791670925457, -0.026866170632921085, 0.005223977373542183,
  -0.0008548297798086192, 0.00012053337222877719, -1.4845900896375835e-5, 1.472638168001703e-6, 0,
);

/** Coefficients per interval of {@link ERFCX_GRID}. */
const GRID_STRIDE = 14;

/**
 * `erfcx(z)` for z in [0.5 + k/2, 1 + k/2), k = 0..6: row k holds the powers of `u = 4z - 3 - 2k`
 * (u in [-1, 1)), constant term first.
 */
const ERFCX_GRID = Float64Array.of(
  // k = 0: [0.5, 1)
  0.5069376502931449, -0.09199317291394885, 0.014434883221955935, -0.0020286884686699707, 0.0002609005567516252,
  -3.114966996112698e-5, 3.4885738732085394e-6, -3.693562169321858e-7, 3.7195450918192716e-8, -3.580145204643444e-9,
  3.3060433621918244e-10, -2.9402385351525456e-11, 2.5856058450716995e-12, -2.149725594007929e-13,
  // k = 1: [1, 1.5)
  0.3678229164523611, -0.052205468991152464, 0.006674723218537403, -0.0007846605374360513, 8.598189160525897e-5,
  -8.868776985335674e-6, 8.674584703806646e-7, -8.09193680378784e-8, 7.232218944423092e-9, -6.216436611027967e-10,
  5.1541245734905376e-11, -4.134419908556481e-12, 3.2792755526192155e-13, -2.4784641347778522e-14,
  // k = 2: [1.5, 2)
  0.2849722347374364, -0.0327440863786213, 0.0034852268804429513, -0.0003478124256466921, 3.2829371903672626e-5,
  -2.9501705580379753e-6, 2.537120413467957e-7, -2.096761187943402e-8, 1.6709188565359516e-9, -1.2876652664954847e-10,
  9.61829994919104e-12, -6.979895404220431e-13, 5.0106405498923414e-14, -3.4506170380182313e-15,
  // k = 3: [2, 2.5)
  0.23108725873039188, -0.02212162570218729, 0.001999539213169141, -0.00017190719931937565, 1.4136700602967933e-5,
  -1.1169223473188913e-6, 8.509165573276882e-8, -6.2695972349055866e-9, 4.47895124286782e-10, -3.1090872253400634e-11,
  2.1007977700408503e-12, -1.3842195935974555e-13, 9.028572914325023e-15, -5.681728668064077e-16,
  // k = 4: [2.5, 3)
  0.1936620962790687, -0.01580940939015871, 0.0012349120617076788, -9.272402964059337e-5, 6.717116739412168e-6,
  -4.7089363767693736e-7, 3.20268067630802e-8, -2.117835056640085e-9, 1.3641597543911722e-10, -8.573050752397346e-12,
  5.26375688592752e-13, -3.161845384403356e-14, 1.881610394184556e-15, -1.0856198532697764e-16,
  // k = 5: [3, 3.5)
  0.16633534842682188, -0.011799850580292594, 0.0008085806801886348, -5.3679239076680835e-5, 3.460955380993485e-6,
  -2.1717047809423855e-7, 1.3286232618759542e-8, -7.937402504587388e-10, 4.6368900338197455e-11, -2.652008588174515e-12,
  1.4865392513151417e-13, -8.174987749408994e-15, 4.457650316847777e-16, -2.3663057372689877e-17,
  // k = 6: [3.5, 4)
  0.14558972127503855, -0.009114064383180883, 0.0005549222204578311, -3.292629484639235e-5, 1.9071186800608639e-6,
  -1.0798786613700963e-7, 5.985430999798539e-9, -3.2511430596251907e-10, 1.7323694828221317e-11, -9.063736309711579e-13,
  4.659978523297898e-14, -2.3562507123350806e-15, 1.182281530245802e-16, -5.795307179884343e-18,
);

/** `z erfcx(z)` as powers of `w = 1/z^2`, for z >= 4 (w <= 1/16); it tends to 1/sqrt(pi). */
const ERFCX_TAIL = Float64Array.of(
  0.5641895835477563, -0.2820947917738234, 0.423142187602402, -1.057855444460897, 3.702488659678533,
  -16.660487879812692, 91.57195372962708, -591.6971075187062, 4295.523980779805, -32466.99186272911,
  227734.13774065903, -1286003.6250314044, 4895872.271214235, -9076704.98174628,
);

/** Beyond this |x|, erfc(|x|) underflows float64 (erfc(27.3) < 2^-1074) and erf(x) is +-1. */
const ERFC_ZERO = 27.3;
/** Beyond this |x|, the normal density and the lower tail of the normal CDF underflow float64. */
const NORMAL_ZERO = 38.7;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * `c[from] + c[from + 1] t + ... + c[from + m] t^m` for odd m, as two Horner chains in t^2 (the
 * even and the odd coefficients) that the CPU runs side by side: half the latency of one chain.
 */
function poly(c: Float64Array, from: number, m: number, t: number): number {
  const t2 = t * t;
  let even = c[from + m - 1];
  let odd = c[from + m];
  for (let j = from + m - 3; j >= from; j -= 2) {
    even = even * t2 + c[j];
    odd = odd * t2 + c[j + 1];
  }
  return even + t * odd;
}

/** erf(z) for |z| < 0.5. */
function erfSmall(z: number): number {
  return z * poly(ERF_SMALL, 0, ERF_SMALL.length - 1, z * z);
}

/** erfcx(z) for z >= 0.5, Infinity included (0); NaN gives NaN. */
function erfcxLarge(z: number): number {
  if (z < 4) {
    const k = Math.floor(2 * z - 1);
    return poly(ERFCX_GRID, k * GRID_STRIDE, GRID_STRIDE - 1, 4 * z - 3 - 2 * k);
  }
  return poly(ERFCX_TAIL, 0, ERFCX_TAIL.length - 1, 1 / (z * z)) / z;
}

/**
 * `exp(c x^2)` for |x| < 40 and c in {1, -1, -1/2}, exact up to exp's own rounding: Veltkamp's split
 * `x = h + l` (h the top 26 bits) makes `h^2` exact in float64, and `x^2 = h^2 + l (x + h)`. For
 * float32 inputs (the kernels') l is 0 and one exp suffices.
 */
function expSquare(x: number, c: number): number {
  const s = 134217729 * x; // 2^27 + 1
  const h = s - (s - x);
  const l = x - h;
  const e = Math.exp(c * h * h);
  return l === 0 ? e : e * Math.exp(c * l * (x + h));
}

/**
 * The error function `erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt`, about 1e-15 relative.
 * erf(+-Infinity) = +-1; NaN gives NaN.
 */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 0.5) return erfSmall(x);
  if (a >= 6) return x > 0 ? 1 : -1; // erfc(6) = 2e-17 is below half an ulp of 1
  const r = 1 - expSquare(a, -1) * erfcxLarge(a);
  return x < 0 ? -r : r;
}

/**
 * The complementary error function `erfc(x) = 1 - erf(x)`, about 1e-15 relative for all x,
 * including the tail where 1 - erf(x) would have no digits left (erfc(10) = 2.1e-45).
 * erfc(+Infinity) = 0, erfc(-Infinity) = 2; NaN gives NaN.
 */
export function erfc(x: number): number {
  if (x !== x) return x;
  const a = Math.abs(x);
  if (a < 0.5) return 1 - erfSmall(x);
  const t = a < ERFC_ZERO ? expSquare(a, -1) * erfcxLarge(a) : 0;
  return x < 0 ? 2 - t : t;
}

/**
 * The scaled complementary error function `erfcx(x) = exp(x^2) erfc(x)`, about 1e-15 relative.
 * It is finite and slowly varying for x >= 0 (about `1 / (x sqrt(pi))` for large x, 0 at +Infinity),
 * and overflows to Infinity below x ~ -26.6; NaN gives NaN.
 */
export function erfcx(x: number): number {
  if (x >= 0.5 || x !== x) return erfcxLarge(x);
  if (x < -26.7) return Infinity;
  return expSquare(x, 1) * erfc(x);
}

/**
 * The standard normal cumulative distribution `Phi(x) = 0.5 erfc(-x / sqrt 2)`, about 1e-15 relative
 * on both sides: the lower tail is `0.5 exp(-x^2/2) erfcx(|x| / sqrt 2)` (Phi(-10) = 7.6e-24, with
 * all its digits). Phi(-Infinity) = 0, Phi(+Infinity) = 1; NaN gives NaN.
 */
export function normalCdf(x: number): number {
  const z = Math.abs(x) * Math.SQRT1_2;
  if (z < 0.5) return 0.5 + 0.5 * erfSmall(x * Math.SQRT1_2);
  const tail = z < NORMAL_ZERO * Math.SQRT1_2 ? 0.5 * expSquare(x, -0.5) * erfcxLarge(z) : 0;
  // NaN fails both comparisons above and is returned by the test below.
  return x < 0 ? tail : x !== x ? x : 1 - tail;
}

/** The standard normal density `phi(x) = exp(-x^2 / 2) / sqrt(2 pi)`, about 1e-15 relative; NaN gives NaN. */
export function normalPdf(x: number): number {
  return Math.abs(x) < NORMAL_ZERO ? INV_SQRT_2PI * expSquare(x, -0.5) : x !== x ? x : 0;
}
