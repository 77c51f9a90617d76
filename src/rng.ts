/**
 * A small seeded pseudo-random generator for weight initialisation: reproducible for a seed.
 * Uniforms come from a 32-bit integer mixer (only exact integer arithmetic), normals from the
 * Box-Muller transform in float64; the draws are rounded to float32 when stored.
 */

/** A seeded source of uniform and standard-normal draws. */
export class SeededRandom {
  private state: number;
  private spare = 0;
  private hasSpare = false;

  /** @param seed any 32-bit integer; equal seeds give equal sequences */
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
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const t = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(t);
    this.hasSpare = true;
    return r * Math.cos(t);
  }

  /** Fills `out` with normal draws of the given standard deviation and returns it. */
  fillNormal(out: Float32Array, std: number): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = std * this.normal();
    return out;
  }
}
