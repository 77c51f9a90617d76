/** A small seeded random generator for the example: data split, shuffling, initialisation, augmentation. */

/** splitmix32: a Weyl step and an avalanche mix; equal seeds give equal sequences on every engine. */
export class SplitMix {
  private state: number;

  /** @param seed any integer (taken modulo 2^32) */
  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** The next uniform draw in [0, 1). */
  uniform(): number {
    this.state = (this.state + 0x9e3779b9) | 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    z ^= z >>> 15;
    return (z >>> 0) / 4294967296;
  }

  /** A uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Shuffles `a` in place (Fisher-Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}
