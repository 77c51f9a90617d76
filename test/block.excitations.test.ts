/**
 * `SEBlock.excitations()`: the gate values s [N, C] of the block's latest forward, the same values
 * `cache.excitations()` gives for `seForward` on the same input, checked against the float64
 * reference; a typed error before any forward.
 */
import * as main from '../src/index.js';
import { SEBlock, SEStateError, seForward } from '../src/core.js';
import { params64, refOptions, seededUniform, seReference } from '../src/testing/index.js';

/** n seeded values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  const next = seededUniform(seed);
  return Float32Array.from({ length: n }, () => 2 * next() - 1);
}

describe('SEBlock.excitations()', () => {
  test('equals cache.excitations() of seForward on the same input, and the float64 reference gates', () => {
    for (const options of [{}, { gate: 'hardSigmoid' as const, activation: 'silu' as const }, { layout: 'channels-last' as const, squeeze: 'avgmax' as const }]) {
      const block = new SEBlock({ channels: 12, reduction: 4, seed: 3, ...options });
      const shape = options.layout === 'channels-last' ? [3, 5, 4, 12] : [3, 12, 5, 4];
      const x = { data: values(3 * 12 * 5 * 4, 11), shape };
      block.forward(x);
      const s = block.excitations();
      const { cache } = seForward(x, block.params, block.options);
      expect(s.shape).toEqual([3, 12]);
      expect(Array.from(s.data)).toEqual(Array.from(cache.excitations().data));
      const ref = seReference(Float64Array.from(x.data), shape, params64(block.params), refOptions(block.options));
      for (let i = 0; i < s.data.length; i++) expect(Math.abs(s.data[i] - ref.s[i])).toBeLessThan(1e-6);
    }
  });

  test('follows the latest forward; a fresh copy each call; with reuseBuffers too', () => {
    for (const reuseBuffers of [false, true]) {
      const block = new SEBlock({ channels: 8, reduction: 2, seed: 1, reuseBuffers });
      const a = { data: values(2 * 8 * 3 * 3, 1), shape: [2, 8, 3, 3] };
      const b = { data: values(1 * 8 * 3 * 3, 2), shape: [1, 8, 3, 3] };
      block.forward(a);
      const first = block.excitations();
      first.data.fill(-1); // a copy: changing it changes nothing in the block
      expect(Array.from(block.excitations().data)).toEqual(Array.from(seForward(a, block.params).cache.excitations().data));
      block.forward(b);
      expect(block.excitations().shape).toEqual([1, 8]);
      expect(Array.from(block.excitations().data)).toEqual(Array.from(seForward(b, block.params).cache.excitations().data));
    }
  });

  test('before any forward: SEStateError saying to call forward first', () => {
    const block = new SEBlock({ channels: 8, reduction: 2 });
    expect(() => block.excitations()).toThrow(SEStateError);
    expect(() => block.excitations()).toThrow(/^SEBlock\.excitations: no forward has run on this block; call forward\(x\) first$/);
  });

  test("the main entry's SEBlock returns a scijs ndarray [N, C]", () => {
    const block = new main.SEBlock({ channels: 8, reduction: 2, seed: 0 });
    block.forward({ data: values(2 * 8 * 2 * 2, 5), shape: [2, 8, 2, 2] });
    const s = block.excitations();
    expect(s.shape).toEqual([2, 8]);
    expect(s.get(1, 7)).toBe(s.data[15]);
  });
});
