/**
 * The saving forward and the backward from what it saved (the fused SE block's activations), for
 * every kind: the forward equals activationForward bit for bit, the backward agrees with
 * activationBackward from x within the one extra float32 rounding of a saved slope, NaN and
 * infinities propagate the same way.
 */
import { test as propTest, fc } from '@fast-check/jest';
import { kernels } from '../src/core.js';

const KINDS = kernels.ACTIVATION_KINDS;
const values = (n: number) =>
  fc.array(fc.oneof(fc.float({ min: -30, max: 30, noNaN: true }), fc.constantFrom(0, -0, 1e-30, -1e-30, 3, -3, 88, -88, 1e4, -1e4)), { minLength: n, maxLength: n });

propTest.prop([fc.constantFrom(...KINDS), fc.integer({ min: 1, max: 40 }).chain((n) => fc.tuple(values(n), values(n)))], { numRuns: 300 })(
  'forward = activationForward exactly; backward within 2^-23 relative of activationBackward',
  (kind, [xs, dys]) => {
    const x = Float32Array.from(xs);
    const dy = Float32Array.from(dys);
    const n = x.length;
    const saved = x.slice();
    const out = kernels.activationForwardSaving(kind, new Float32Array(n), saved, n);
    const want = kernels.activationForward(kind, new Float32Array(n), x, n);
    expect(Array.from(out)).toEqual(Array.from(want));
    if (!kernels.savesSlope(kind)) expect(Array.from(saved)).toEqual(Array.from(x));
    const dx = kernels.activationBackwardSaved(kind, new Float32Array(n), dy, saved, n);
    const dxWant = kernels.activationBackward(kind, new Float32Array(n), dy, x, n);
    for (let i = 0; i < n; i++) {
      const tol = Math.abs(dxWant[i]) * 2 ** -23 + 1e-44;
      if (!(Math.abs(dx[i] - dxWant[i]) <= tol)) throw new Error(`${kind} x=${x[i]} dy=${dy[i]}: ${dx[i]} vs ${dxWant[i]}`);
    }
  },
);

test('NaN and infinities give what activationForward/activationBackward give (a NaN input: NaN both ways)', () => {
  for (const kind of KINDS) {
    const x = Float32Array.from([NaN, Infinity, -Infinity, 0, -0]);
    const dy = Float32Array.from([1, 1, 1, 1, 1]);
    const saved = x.slice();
    const out = kernels.activationForwardSaving(kind, new Float32Array(5), saved, 5);
    const dx = kernels.activationBackwardSaved(kind, new Float32Array(5), dy, saved, 5);
    expect(Array.from(out)).toEqual(Array.from(kernels.activationForward(kind, new Float32Array(5), x, 5)));
    expect(Array.from(dx)).toEqual(Array.from(kernels.activationBackward(kind, new Float32Array(5), dy, x, 5)));
    expect(Number.isNaN(out[0]) && (kind === 'identity' || Number.isNaN(dx[0]))).toBe(true); // identity's gradient does not read x
  }
});

test('offsets: only the given ranges are read and written', () => {
  const xs = Float32Array.from([9, 9, -1, 0.5, 2, 9]);
  const out = new Float32Array(6).fill(7);
  kernels.activationForwardSaving('sigmoid', out, xs, 3, 1, 2);
  expect([out[0], out[4], out[5], xs[0], xs[1], xs[5]]).toEqual([7, 7, 7, 9, 9, 9]);
  expect(out[2]).toBe(Math.fround(1 / (1 + Math.exp(-0.5))));
});
