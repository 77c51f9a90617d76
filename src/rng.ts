/**
 * A small seeded pseudo-random generator for weight initialisation, reproducible for a seed on
 * every platform: uniforms come from a 32-bit integer mixer (exact integer arithmetic), normals
 * from Marsaglia's polar method using only +, -, *, / and sqrt (all correctly rounded in IEEE
 * 754) and a logarithm computed here from those, never the engine's Math.log, whose last bits
 * may differ between JavaScript engines.
 */

const LN2 = 0.6931471805599453;

/**
 * Natural logarithm of `v` in (0, 1], from basic arithmetic only (deterministic everywhere):
 * `v = m * 2^e` with m in [sqrt(1/2), sqrt(2)) (scaling by 2 is exact), then
 * `log m = 2 atanh(t)`, `t = (m - 1) / (m + 1)`, |t| < 0.172, by its series.
 */
export function portableLog(v: number): number {
  let m = v;
  let e = 0;
  while (m < Math.SQRT1_2) {
    m *= 2;
    e--;
  }
  const t = (m - 1) / (m + 1);
  const t2 = t * t;
  let term = t;
  let sum = 0;
  for (let k = 1; k < 60; k += 2) {
    sum += term / k;
    term *= t2;
    if (Math.abs(term) < 1e-18) break;
  }
  return 2 * sum + e * LN2;
}

/** A seeded source of uniform and standard-normal draws. */
export class SeededRandom {
  private state: number;
  private spare = 0;
  private hasSpare = false;

  /** @param seed any integer (taken modulo 2^32); equal seeds give equal sequences */
  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** The next uniform draw in (0, 1), with 32 bits of randomness. */
  uniform(): number {
    // splitmix32-style: a Weyl step then an avalanche mix.
    this.state = (this.state + 0x9e3779b9) | 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    z ^= z >>> 15;
    return ((z >>> 0) + 0.5) / 4294967296;
  }

  /** The next standard-normal draw (mean 0, variance 1). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u = 0;
    let v = 0;
    let s = 0;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * portableLog(s)) / s);
    this.spare = v * f;
    this.hasSpare = true;
    return u * f;
  }

  /** Fills `out` with normal draws of the given standard deviation and returns it. */
  fillNormal(out: Float32Array, std: number): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = std * this.normal();
    return out;
  }
}
