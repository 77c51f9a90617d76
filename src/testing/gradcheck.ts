/**
 * `gradCheck`: compares the tape's analytic gradients of a function you build from tape ops with
 * central differences computed in float64, and reports the worst element readably.
 */
import { SEOptionError, SETypeError, describeValue } from '../errors.js';
import { Tape, Variable } from '../autograd/tape.js';
import { mul, sum } from '../autograd/ops.js';
import { checkTensor, gatherDense, type FloatTensor } from '../tensor.js';
import { numericGradient } from './reference.js';

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
  /** Pass bound on max |analytic - numeric| / max |numeric| per input (defaults above). */
  tolerance?: number;
  /** Seed of the random upstream gradient w in loss = sum(output * w) (default 1). */
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
  ok: boolean;
  /** The largest per-input error. */
  maxError: number;
  tolerance: number;
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

/** A deterministic upstream gradient in [-1, 1). */
function upstream(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

/**
 * Checks the tape's gradients of `build` at `inputs`.
 * @param build makes the output from the inputs' variables using tape ops
 * @param inputs the point to check at (any FloatTensors; not modified)
 * @param options reference function, eps, tolerance, seed, names
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
  const { reference } = options;
  if (reference !== undefined && typeof reference !== 'function') {
    throw new SETypeError(`${fn}: options.reference must be a function but got ${describeValue(reference)}`);
  }
  const eps = options.eps ?? (reference ? 1e-6 : 1e-2);
  const tolerance = options.tolerance ?? (reference ? 2e-5 : 1e-2);
  const seed = options.seed ?? 1;
  for (const [key, v] of [['eps', eps], ['tolerance', tolerance]] as const) {
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
      throw new SEOptionError(`${fn}: options.${key} must be a positive finite number but is ${describeValue(v)}`);
    }
  }
  const checked = inputs.map((t, k) => checkTensor(fn, `inputs[${k}]`, t));
  const names = checked.map((_, k) => options.names?.[k] ?? `input ${k}`);
  const dense = checked.map((t) => gatherDense(new Float32Array(t.size), t));

  // Analytic: loss = sum(output * w) on a tape.
  const tape = new Tape();
  const vars = dense.map((d, k) => tape.variable({ data: d, shape: checked[k].shape }, { name: names[k] }));
  const out = build(vars);
  if (!(out instanceof Variable)) throw new SETypeError(`${fn}: build must return a Variable but returned ${describeValue(out)}`);
  const w = upstream(out.size, seed);
  tape.backward(sum(mul(out, tape.constant({ data: w, shape: out.shape.slice() }))));

  // Numeric: central differences of the same loss, accumulated in float64.
  const values = dense.map((d) => Float64Array.from(d));
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
    let scale = 1e-6;
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
  const ok = maxError <= tolerance;
  const message =
    `gradCheck ${ok ? 'passed' : 'FAILED'}: worst is ${worst.name} element [${worst.worst.index.join(', ')}]: ` +
    `analytic ${worst.worst.analytic.toPrecision(7)} vs numeric ${worst.worst.numeric.toPrecision(7)} ` +
    `(relative error ${maxError.toExponential(2)} ${ok ? '<=' : '>'} tolerance ${tolerance})`;
  return { ok, maxError, tolerance, inputs: reports, message };
}
