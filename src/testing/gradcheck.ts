/**
 * `gradCheck`: compares the tape's analytic gradients of a function you build from tape ops with
 * central differences computed in float64, and reports the worst element readably.
 */
import { SEOptionError, SETypeError, describeValue } from '../errors.js';
import { Tape, Variable } from '../autograd/tape.js';
import { mul, sum } from '../autograd/ops.js';
import { checkTensor, gatherDense, type FloatTensor } from '../tensor.js';
import { numericGradient, relativeError } from './reference.js';
import { seededUniform, uniformFloat32 } from './seeded.js';

/** Options of {@link gradCheck}. */
export interface GradCheckOptions {
  /**
   * A float64 implementation of the same function, from the inputs' values (row-major) to the
   * output's. With it the numeric side is exact to ~1e-9 and the default tolerance is 2e-5;
   * without it the tape's own float32 forward is differenced (default eps 1e-2, tolerance 1e-2).
   */
  reference?: (inputs: Float64Array[]) => ArrayLike<number>;
  /** Central-difference step (default 1e-6 with a reference, 1e-2 without). */
  eps?: number;
  /** Pass bound on max |analytic - numeric| / max(max |numeric|, floor) per input (defaults above). */
  tolerance?: number;
  /**
   * Smallest scale of the gradient error (default 1e-6): below it the comparison is absolute. A
   * gradient that is a sum can cancel to far less than its terms, and float32 storage of the terms
   * then costs a relative error its size cannot bound; the library's own tests pass
   * `GRADIENT_ERROR_FLOOR` (0.05), as `gradientError` does.
   */
  floor?: number;
  /**
   * Pass bound on the forward's error against the reference, max |output - reference| /
   * max(max |reference|, 1e-6) (default: `tolerance`). Only with a reference.
   */
  forwardTolerance?: number;
  /** Seed of the random upstream gradient w in loss = sum(output * w), uniform in [-1, 1) from `seededUniform` (default 1). */
  seed?: number;
  /** Names of the inputs for the report (default 'input 0', 'input 1', ...). */
  names?: string[];
}

/** One input's outcome. */
export interface GradCheckInputReport {
  name: string;
  /** max |analytic - numeric| / max(max |numeric|, 1e-6) over the input's elements. */
  error: number;
  /** The element with the largest absolute difference: its multi-index and both values. */
  worst: { index: number[]; analytic: number; numeric: number };
}

/** Result of {@link gradCheck}. */
export interface GradCheckResult {
  /** True when every input's error is within `tolerance` and the forward (with a reference) within `forwardTolerance`. */
  ok: boolean;
  /** The largest per-input error. */
  maxError: number;
  /** The gradient bound used (given or default). */
  tolerance: number;
  /**
   * The tape's output against the reference at the point, max |output - reference| /
   * max(max |reference|, 1e-6); null without a reference.
   */
  forwardError: number | null;
  /** The forward bound used (given, or `tolerance`). */
  forwardTolerance: number;
  inputs: GradCheckInputReport[];
  /** A readable summary naming the worst element of the worst input. */
  message: string;
}

function unravel(i: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    index[k] = i % shape[k];
    i = Math.floor(i / shape[k]);
  }
  return index;
}

/**
 * Checks the tape's gradients of `build` at `inputs`.
 * @param build makes the output from the inputs' variables using tape ops
 * @param inputs the point to check at (any FloatTensors; not modified)
 * @param options reference function, eps, tolerance, floor, forwardTolerance, seed, names
 * @example
 * const r = gradCheck(([x, w]) => sum(mul(relu(x), w)), [x, w], { reference: ([x, w]) => ... });
 * if (!r.ok) throw new Error(r.message);
 */
export function gradCheck(build: (vars: Variable[]) => Variable, inputs: FloatTensor[], options: GradCheckOptions = {}): GradCheckResult {
  const fn = 'gradCheck';
  if (typeof build !== 'function') throw new SETypeError(`${fn}: build must be a function of Variables but got ${describeValue(build)}`);
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new SETypeError(`${fn}: inputs must be a non-empty array of tensors but got ${describeValue(inputs)}`);
  }
  if (options === null || typeof options !== 'object') throw new SETypeError(`${fn}: options must be an object but got ${describeValue(options)}`);
  const { reference, eps: eps0, tolerance: tolerance0, floor: floor0, forwardTolerance: forwardTolerance0, seed: seed0, names: names0 } = options;
  if (reference !== undefined && typeof reference !== 'function') {
    throw new SETypeError(`${fn}: options.reference must be a function but got ${describeValue(reference)}`);
  }
  const eps = eps0 ?? (reference ? 1e-6 : 1e-2);
  const tolerance = tolerance0 ?? (reference ? 2e-5 : 1e-2);
  const floor = floor0 ?? 1e-6;
  const forwardTolerance = forwardTolerance0 ?? tolerance;
  const seed = seed0 ?? 1;
  for (const [key, v] of [['eps', eps], ['tolerance', tolerance], ['floor', floor], ['forwardTolerance', forwardTolerance]] as const) {
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
      throw new SEOptionError(`${fn}: options.${key} must be a positive finite number but is ${describeValue(v)}`);
    }
  }
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) throw new SEOptionError(`${fn}: options.seed must be a safe integer but is ${describeValue(seed)}`);
  if (names0 !== undefined && !Array.isArray(names0)) throw new SETypeError(`${fn}: options.names must be an array of strings but got ${describeValue(names0)}`);
  const checked = inputs.map((t, k) => checkTensor(fn, `inputs[${k}]`, t));
  const names = checked.map((_, k) => {
    const name: unknown = names0?.[k];
    return typeof name === 'string' ? name : `input ${k}`;
  });
  const dense = checked.map((t) => gatherDense(new Float32Array(t.size), t));

  // Analytic: loss = sum(output * w) on a tape.
  const tape = new Tape();
  const vars = dense.map((d, k) => tape.variable({ data: d, shape: checked[k].shape }, { name: names[k] }));
  const out = build(vars);
  if (!(out instanceof Variable)) throw new SETypeError(`${fn}: build must return a Variable but returned ${describeValue(out)}`);
  const w = uniformFloat32(out.size, seededUniform(seed), -1, 1);
  tape.backward(sum(mul(out, tape.constant({ data: w, shape: out.shape.slice() }))));

  // Numeric: central differences of the same loss, accumulated in float64.
  const values = dense.map((d) => Float64Array.from(d));
  let forwardError: number | null = null;
  if (reference) {
    const y = reference(values);
    if (y.length !== out.size) throw new SETypeError(`${fn}: the reference returned ${y.length} values but the output has ${out.size}`);
    forwardError = relativeError(out.data, y);
  }
  const loss = (): number => {
    let y: ArrayLike<number>;
    if (reference) y = reference(values);
    else {
      const t = new Tape();
      const vs = values.map((v, k) => t.constant({ data: Float32Array.from(v), shape: checked[k].shape }));
      y = build(vs).data;
    }
    if (y.length !== w.length) throw new SETypeError(`${fn}: the reference returned ${y.length} values but the output has ${w.length}`);
    let l = 0;
    for (let i = 0; i < y.length; i++) l += y[i] * w[i];
    return l;
  };
  const reports: GradCheckInputReport[] = vars.map((v, k) => {
    const vk = values[k];
    const grad = v.grad ?? new Float32Array(v.size);
    const numeric = numericGradient(loss, vk, eps);
    let worstAt = 0;
    let worstDiff = -1;
    let scale = floor;
    for (let i = 0; i < vk.length; i++) {
      scale = Math.max(scale, Math.abs(numeric[i]));
      const diff = Math.abs(grad[i] - numeric[i]);
      if (!(diff <= worstDiff)) {
        worstDiff = diff;
        worstAt = i;
      }
    }
    return {
      name: names[k],
      error: worstDiff / scale,
      worst: { index: unravel(worstAt, checked[k].shape), analytic: grad[worstAt], numeric: numeric[worstAt] },
    };
  });
  let maxError = 0;
  let worst = reports[0];
  for (const r of reports) {
    if (!(r.error <= maxError)) {
      maxError = r.error;
      worst = r;
    }
  }
  const gradientsOk = maxError <= tolerance;
  const forwardOk = forwardError === null || forwardError <= forwardTolerance;
  const ok = gradientsOk && forwardOk;
  let message =
    `gradCheck ${ok ? 'passed' : 'FAILED'}: worst is ${worst.name} element [${worst.worst.index.join(', ')}]: ` +
    `analytic ${worst.worst.analytic.toPrecision(7)} vs numeric ${worst.worst.numeric.toPrecision(7)} ` +
    `(relative error ${maxError.toExponential(2)} ${gradientsOk ? '<=' : '>'} tolerance ${tolerance})`;
  if (forwardError !== null) {
    message += `; forward error ${forwardError.toExponential(2)} ${forwardOk ? '<=' : '>'} forward tolerance ${forwardTolerance}`;
  }
  return { ok, maxError, tolerance, forwardError, forwardTolerance, inputs: reports, message };
}
