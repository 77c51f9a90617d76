import { fc, test as propTest } from '@fast-check/jest';
import { createSEParams, seForward } from '../src/index.js';

test('seForward returns y with the shape of x', () => {
  const p = createSEParams({ channels: 4, reduction: 2 });
  const { y } = seForward({ data: new Float32Array(2 * 4 * 3), shape: [2, 4, 3] }, p);
  expect(y.shape).toEqual([2, 4, 3]);
});

propTest.prop([fc.integer({ min: 1, max: 4 })])('fast-check runs', (n) => {
  expect(n).toBeGreaterThan(0);
});
