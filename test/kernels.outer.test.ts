/**
 * batchOuterProduct (u^T v over a batch: the SE block's weight gradients) against a float64
 * reference, for batches of one and more and widths hitting its 8-, 4- and 1-column paths;
 * offsets of nothing, inputs unchanged, nothing outside the output written.
 */
import { test as propTest, fc } from '@fast-check/jest';
import { kernels } from '../src/core.js';

const dims = fc.record({ N: fc.integer({ min: 1, max: 5 }), P: fc.integer({ min: 1, max: 11 }), Q: fc.integer({ min: 1, max: 21 }) });
const values = (n: number) => fc.array(fc.float({ min: -4, max: 4, noNaN: true }), { minLength: n, maxLength: n }).map((a) => Float32Array.from(a));
const cases = dims.chain(({ N, P, Q }) => fc.record({ N: fc.constant(N), P: fc.constant(P), Q: fc.constant(Q), u: values(N * P), v: values(N * Q) }));

propTest.prop([cases], { numRuns: 200 })('out[r, k] = sum_n u[n, r] v[n, k] within float32 rounding of the float64 sum', ({ N, P, Q, u, v }) => {
  const uc = u.slice();
  const vc = v.slice();
  const out = new Float32Array(P * Q + 3).fill(NaN);
  const view = out.subarray(0, P * Q);
  expect(kernels.batchOuterProduct(view, u, v, N, P, Q)).toBe(view);
  for (let r = 0; r < P; r++) {
    for (let k = 0; k < Q; k++) {
      let want = 0;
      let scale = 0;
      for (let n = 0; n < N; n++) {
        want += u[n * P + r] * v[n * Q + k];
        scale += Math.abs(u[n * P + r] * v[n * Q + k]);
      }
      // One rounding of a float64 sum to float32: half an ulp of the result, plus the float64 sum's own error.
      expect(Math.abs(view[r * Q + k] - want)).toBeLessThanOrEqual(Math.abs(want) * 2 ** -24 + scale * 1e-15 + 1e-45);
    }
  }
  expect(Array.from(out.subarray(P * Q)).every(Number.isNaN)).toBe(true);
  expect(Array.from(u)).toEqual(Array.from(uc));
  expect(Array.from(v)).toEqual(Array.from(vc));
});

test('a batch of one is the plain outer product, exactly', () => {
  const u = Float32Array.from([1.5, -2, 0.25]);
  const v = Float32Array.from([3, 0.1, -7, 2, 5, 1, 0, 9, -1, 4]);
  const out = kernels.batchOuterProduct(new Float32Array(30), u, v, 1, 3, 10);
  for (let r = 0; r < 3; r++) for (let k = 0; k < 10; k++) expect(out[r * 10 + k]).toBe(Math.fround(u[r] * v[k]));
});
