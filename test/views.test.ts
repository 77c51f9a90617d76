/**
 * Strided views: every scijs ndarray view (transposed, offset, stepped, reversed, picked) gives
 * bit-for-bit the results of a dense copy, for x and for dy, and outputs are real scijs ndarrays.
 */
import { fc, test as propTest } from '@fast-check/jest';
import ndarray, { type NdArray } from 'ndarray';
import ops from 'ndarray-ops';
import { createSEParams, seBackward, seForward } from '../src/index.js';
import { seededUniform, uniformFloat32 } from '../src/testing/index.js';

type ViewKind = 'transposed' | 'offset' | 'stepped' | 'reversed' | 'picked';

/** A view of `shape` whose elements are random, built from a larger or permuted buffer. */
function makeView(shape: number[], kind: ViewKind, seed: number): NdArray<Float32Array> {
  const rand = seededUniform(seed);
  const rank = shape.length;
  switch (kind) {
    case 'transposed': {
      // Stored with the axes in reverse order, viewed back in order.
      const stored = shape.slice().reverse();
      const base = ndarray(uniformFloat32(stored.reduce((a, b) => a * b, 1), rand), stored);
      return base.transpose(...shape.map((_, k) => rank - 1 - k));
    }
    case 'offset': {
      const big = shape.map((d) => d + 2);
      const base = ndarray(uniformFloat32(big.reduce((a, b) => a * b, 1), rand), big);
      return base.lo(...shape.map(() => 1)).hi(...shape);
    }
    case 'stepped': {
      const big = shape.map((d) => 2 * d);
      const base = ndarray(uniformFloat32(big.reduce((a, b) => a * b, 1), rand), big);
      return base.step(...shape.map(() => 2));
    }
    case 'reversed': {
      const base = ndarray(uniformFloat32(shape.reduce((a, b) => a * b, 1), rand), shape);
      return base.step(...shape.map((_, k) => (k % 2 === 0 ? -1 : 1)));
    }
    case 'picked': {
      // A leading axis of 3 picked at index 1.
      const base = ndarray(uniformFloat32(3 * shape.reduce((a, b) => a * b, 1), rand), [3, ...shape]);
      return base.pick(1);
    }
  }
}

function denseCopy(v: NdArray<Float32Array>): NdArray<Float32Array> {
  const out = ndarray(new Float32Array(v.size), v.shape.slice());
  ops.assign(out, v);
  return out;
}

const kindArb = fc.constantFrom<ViewKind>('transposed', 'offset', 'stepped', 'reversed', 'picked');

describe('strided views equal dense copies', () => {
  propTest.prop(
    [
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 6 }),
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
      fc.constantFrom('channels-first' as const, 'channels-last' as const),
      kindArb,
      kindArb,
      fc.integer({ min: 1, max: 1e9 }),
    ],
    { numRuns: 120 },
  )('seForward and seBackward, x and dy as views', (N, C, spatial, layout, xKind, dyKind, seed) => {
    const shape = layout === 'channels-first' ? [N, C, ...spatial] : [N, ...spatial, C];
    const params = createSEParams({ channels: C, hidden: 2, seed });
    const x = makeView(shape, xKind, seed);
    const dy = makeView(shape, dyKind, seed + 1);
    const viewed = seForward(x, params, { layout });
    const dense = seForward(denseCopy(x), params, { layout });
    expect(viewed.y.data).toEqual(dense.y.data);
    const gv = seBackward(dy, viewed.cache);
    const gd = seBackward(denseCopy(dy), dense.cache);
    expect(gv.dx.data).toEqual(gd.dx.data);
    expect(gv.dw1.data).toEqual(gd.dw1.data);
    expect(gv.dw2.data).toEqual(gd.dw2.data);
    expect(gv.db1!.data).toEqual(gd.db1!.data);
    expect(gv.db2!.data).toEqual(gd.db2!.data);
  });

  test('a view whose buffer is otherwise garbage only reads its own elements', () => {
    const data = new Float32Array(200).fill(Number.NaN);
    const x = ndarray(data, [2, 3, 4], [40, 12, 3], 7); // strided, every addressed element set below
    for (let n = 0; n < 2; n++) for (let c = 0; c < 3; c++) for (let s = 0; s < 4; s++) x.set(n, c, s, n + c * 0.5 - s * 0.25);
    const { y } = seForward(x, createSEParams({ channels: 3, hidden: 1 }));
    expect(y.data.every((v) => Number.isFinite(v))).toBe(true);
  });
});

describe('outputs are scijs ndarrays', () => {
  test('ndarray-ops works on y and the gradients', () => {
    const params = createSEParams({ channels: 4, reduction: 2, seed: 3 });
    const x = makeView([2, 4, 3, 3], 'transposed', 9);
    const { y, cache } = seForward(x, params);
    expect(y.shape).toEqual([2, 4, 3, 3]);
    expect(y.dtype).toBe('float32');
    expect(y.get(1, 2, 0, 1)).toBe(y.data[((1 * 4 + 2) * 3 + 0) * 3 + 1]);
    const g = seBackward(y, cache);
    expect(g.dw1.shape).toEqual([2, 4]);
    expect(g.dw2.shape).toEqual([4, 2]);
    expect(ops.sum(g.dx)).toBeCloseTo(Array.from(g.dx.data).reduce((a, b) => a + b, 0), 3);
    // A transposed view of an output goes straight back in.
    const again = seForward(y.transpose(0, 1, 3, 2), params);
    expect(again.y.shape).toEqual([2, 4, 3, 3]);
  });
});
