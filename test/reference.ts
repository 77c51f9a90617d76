/** Test-only helpers: deterministic data generators; the float64 reference lives in src/testing. */
import type { SEParams } from '../src/core.js';

export * from '../src/testing/reference.js';

/** A small deterministic generator for test data (independent of the library's). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Float32 values uniform in [lo, hi). */
export function randomFloat32(n: number, rand: () => number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}

/** Random SEParams with weights in [-scale, scale). */
export function randomParams(C: number, R: number, bias: boolean, rand: () => number, scale = 1): SEParams {
  return {
    channels: C,
    hidden: R,
    w1: randomFloat32(R * C, rand, -scale, scale),
    b1: bias ? randomFloat32(R, rand, -0.5, 0.5) : null,
    w2: randomFloat32(C * R, rand, -scale, scale),
    b2: bias ? randomFloat32(C, rand, -0.5, 0.5) : null,
  };
}
