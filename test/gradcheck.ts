/** A float64 central-difference gradient check for tape ops, used by the tape tests. */
import { Tape, mul, sum, type Variable } from '../src/core.js';
import { lcg, numericGradient, randomFloat32, gradientError, relativeError } from './reference.js';

export interface GradInput {
  data: Float32Array;
  shape: number[];
}

/**
 * Builds `op` on a tape from `inputs`, takes loss = sum(out * w) for a random non-uniform w,
 * runs backward, and returns the worst relative error of each input's analytic gradient against
 * central differences of `reference` (a float64 implementation of the op) at the same point.
 */
export function tapeGradCheck(
  inputs: GradInput[],
  op: (vars: Variable[]) => Variable,
  reference: (values: Float64Array[]) => ArrayLike<number>,
  seed = 1,
): { forwardError: number; gradErrors: number[] } {
  const tape = new Tape();
  const vars = inputs.map((t, k) => tape.variable({ data: t.data, shape: t.shape }, { name: `in${k}` }));
  const out = op(vars);
  const w = randomFloat32(out.size, lcg(seed), -1, 1);
  tape.backward(sum(mul(out, tape.constant({ data: w, shape: out.shape.slice() }))));
  const values = inputs.map((t) => Float64Array.from(t.data));
  const forwardError = relativeError(out.data, reference(values));
  const loss = () => {
    const y = reference(values);
    let l = 0;
    for (let i = 0; i < y.length; i++) l += y[i] * w[i];
    return l;
  };
  const gradErrors = vars.map((v, k) => {
    const num = numericGradient(loss, values[k]);
    if (v.grad === null) throw new Error(`input ${k} got no gradient`);
    return gradientError(v.grad, num);
  });
  return { forwardError, gradErrors };
}

export function randomInput(shape: number[], seed: number, lo = -1, hi = 1): GradInput {
  const n = shape.reduce((a, b) => a * b, 1);
  return { data: randomFloat32(n, lcg(seed), lo, hi), shape };
}
