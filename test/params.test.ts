/** createSEParams, makeDivisible, hidden widths and the seeded initialisation. */
import { fc, test as propTest } from '@fast-check/jest';
import { createSEParams, makeDivisible, seHiddenWidth } from '../src/core.js';
import { portableLog, SeededRandom } from '../src/rng.js';

describe('makeDivisible (timm / torchvision make_divisible)', () => {
  test.each([
    [18, 8, undefined, 0.9, 24],
    [120, 8, undefined, 0.9, 120],
    [4, 8, undefined, 0.9, 8],
    [18, 8, undefined, 0, 16],
    [64 / 16, 8, undefined, 0.9, 8],
    [37.5, 8, undefined, 0.9, 40],
    [10, 4, 1, 0.9, 12],
    [2, 4, 1, 0.9, 4],
  ])('makeDivisible(%p, %p, %p, %p) = %p', (v, d, min, limit, expected) => {
    expect(makeDivisible(v, d, min, limit)).toBe(expected);
  });

  propTest.prop([fc.double({ min: 0.1, max: 1e4, noNaN: true }), fc.integer({ min: 1, max: 64 })])(
    'a multiple of the divisor, >= it, and never more than 10% below v',
    (v, d) => {
      const n = makeDivisible(v, d);
      expect(n % d).toBe(0);
      expect(n).toBeGreaterThanOrEqual(d);
      expect(n).toBeGreaterThanOrEqual(0.9 * v);
    },
  );
});

describe('hidden width', () => {
  test.each([
    [{ channels: 64 }, 4],
    [{ channels: 64, reduction: 4 }, 16],
    [{ channels: 8 }, 1], // max(1, floor(8 / 16))
    [{ channels: 100, reduction: 16 }, 6],
    [{ channels: 64, hidden: 7 }, 7],
    [{ channels: 96, reduction: 16, divisor: 8 }, 8],
    [{ channels: 144, reduction: 4, divisor: 8 }, 40], // makeDivisible(36) = 40
    [{ channels: 144, reduction: 4, divisor: 8, roundLimit: 0 }, 40],
    [{ channels: 72, reduction: 4, divisor: 8, roundLimit: 0 }, 16], // timm: 18 -> 16
  ])('%p -> %p', (opts, R) => {
    expect(seHiddenWidth(opts)).toBe(R);
    expect(createSEParams(opts).hidden).toBe(R);
  });
});

describe('createSEParams', () => {
  test('sizes, biases and their absence', () => {
    const p = createSEParams({ channels: 12, hidden: 3 });
    expect([p.channels, p.hidden, p.w1.length, p.b1!.length, p.w2.length, p.b2!.length]).toEqual([12, 3, 36, 3, 36, 12]);
    expect(Array.from(p.b1!)).toEqual([0, 0, 0]);
    const q = createSEParams({ channels: 12, hidden: 3, bias: false });
    expect([q.b1, q.b2]).toEqual([null, null]);
  });

  test('kaimingNormal is fan_out: std sqrt(2 / R) for w1 and sqrt(2 / C) for w2', () => {
    const p = createSEParams({ channels: 512, hidden: 32, seed: 9 });
    const std = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    // 16384 draws each: the sample std is within ~1% of the true one (3 sigma ~ 1.7%).
    expect(std(p.w1) / Math.sqrt(2 / 32)).toBeCloseTo(1, 1);
    expect(std(p.w2) / Math.sqrt(2 / 512)).toBeCloseTo(1, 1);
    expect(Math.abs(mean(p.w1))).toBeLessThan(4 * Math.sqrt(2 / 32 / p.w1.length));
  });

  test("normal uses the given std (default 0.001, the reference SEAttention's) and zeros is zeros", () => {
    const std = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    expect(std(createSEParams({ channels: 512, hidden: 32, init: 'normal' }).w1) / 0.001).toBeCloseTo(1, 1);
    expect(std(createSEParams({ channels: 512, hidden: 32, init: 'normal', std: 0.2 }).w2) / 0.2).toBeCloseTo(1, 1);
    const z = createSEParams({ channels: 16, hidden: 4, init: 'zeros' });
    expect(z.w1.every((v) => v === 0) && z.w2.every((v) => v === 0)).toBe(true);
  });

  test('seeded: equal seeds give equal weights, different seeds differ', () => {
    const a = createSEParams({ channels: 32, seed: 7 });
    const b = createSEParams({ channels: 32, seed: 7 });
    const c = createSEParams({ channels: 32, seed: 8 });
    expect(b.w1).toEqual(a.w1);
    expect(b.w2).toEqual(a.w2);
    expect(c.w1).not.toEqual(a.w1);
  });

  test('the draws follow the documented generator (an independent re-implementation with Math.log)', () => {
    // splitmix32-style uniforms, Marsaglia's polar method; w1 first, then w2, times the kaiming std.
    let state = 42;
    const uniform = () => {
      state = (state + 0x9e3779b9) | 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      z ^= z >>> 15;
      return ((z >>> 0) + 0.5) / 4294967296;
    };
    const normals: number[] = [];
    while (normals.length < 32) {
      const u = 2 * uniform() - 1;
      const v = 2 * uniform() - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const f = Math.sqrt((-2 * Math.log(s)) / s);
      normals.push(u * f, v * f);
    }
    const p = createSEParams({ channels: 8, hidden: 2, seed: 42 });
    const expected = [...normals.slice(0, 16).map((n) => n * Math.sqrt(2 / 2)), ...normals.slice(16, 32).map((n) => n * Math.sqrt(2 / 8))];
    const got = [...p.w1, ...p.w2];
    for (let i = 0; i < 32; i++) expect(got[i]).toBeCloseTo(expected[i], 6);
  });

  test('pinned values for seed 42 (a change here changes every user\'s initial weights)', () => {
    const p = createSEParams({ channels: 8, hidden: 2, seed: 42 });
    expect(Array.from(p.w1.slice(0, 4))).toEqual([-0.42807650566101074, 0.20814014971256256, -1.2765923738479614, 0.5159545540809631]);
  });
});

describe('the portable logarithm behind the seeded normals', () => {
  propTest.prop([fc.double({ min: 5e-324, max: 1, noNaN: true })])('agrees with Math.log to a few ulp', (v) => {
    const a = portableLog(v);
    const b = Math.log(v);
    expect(Math.abs(a - b)).toBeLessThanOrEqual(4 * Number.EPSILON * Math.max(Math.abs(b), 1e-300) + 1e-300);
  });

  test('normal draws have mean 0 and variance 1', () => {
    const r = new SeededRandom(123);
    let s = 0;
    let s2 = 0;
    const n = 200000;
    for (let i = 0; i < n; i++) {
      const v = r.normal();
      s += v;
      s2 += v * v;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.01);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.015);
  });
});
