/**
 * Optimizer state dicts in torch's `optimizer.state_dict()` structure: the type, the reader that
 * validates one before anything changes (used by `Optimizer.loadStateDict`), and the readers
 * of its tensors and step counts.
 */
import { refuseUnknownKeys } from '../arguments.js';
import { SEOptionError, SEShapeError, SETypeError, describeValue } from '../errors.js';
import { float32Length } from '../intrinsics.js';
import { checkTensor, formatShape, gatherDense, isFloat32Array } from '../tensor.js';

/**
 * An optimizer's state in torch's `optimizer.state_dict()` structure: `state` by parameter index
 * (only parameters that have state; the values are fresh copies), and one entry in `param_groups`
 * with the hyperparameters under torch's names and `params`, the indices `[0, 1, ..., n - 1]`.
 * See {@link SGDStateDict} and {@link AdamStateDict} for each optimizer's keys.
 */
export interface OptimizerStateDict<E = Record<string, unknown>, G = Record<string, unknown>> {
  /** Per parameter index: torch's names (`step`, `momentum_buffer`, `exp_avg`, ...). */
  state: Record<number, E>;
  /** One group: the hyperparameters (torch's names) and `params`. */
  param_groups: (G & { params: number[] })[];
}

/** Keys torch writes in `param_groups` that this library has no counterpart for: accepted when off (false or null). */
const TORCH_FLAGS = ['foreach', 'capturable', 'differentiable', 'fused'];

/** A snapshot of an object that must be a plain object (not null, not an array): its own enumerable properties. */
function plainObject(fn: string, where: string, v: unknown, expected: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new SETypeError(`${fn}: ${where} must be ${expected} but is ${describeValue(v)}`);
  return { ...(v as Record<string, unknown>) };
}

/**
 * The group of a state dict for an optimizer of `n` parameters, checked: exactly one group, whose
 * `params` are `[0, ..., n - 1]`; torch's off flags removed. Returns a copy without `params`.
 */
function readGroup(fn: string, groups: unknown, n: number): Record<string, unknown> {
  if (!Array.isArray(groups)) throw new SETypeError(`${fn}: sd.param_groups must be an array of one group but is ${describeValue(groups)}`);
  if (groups.length !== 1) {
    throw new SEShapeError(`${fn}: sd.param_groups has ${groups.length} groups but this optimizer has one (of ${n} parameters)`);
  }
  const group = plainObject(fn, 'sd.param_groups[0]', groups[0], 'an object');
  const indices: unknown = group.params;
  if (!Array.isArray(indices) || indices.length !== n || indices.some((v, i) => v !== i)) {
    throw new SEShapeError(
      `${fn}: sd.param_groups[0].params must be [0, ..., ${n - 1}] (this optimizer's ${n} parameters, in order) but is ${describeValue(indices)}`,
    );
  }
  delete group.params;
  for (const flag of TORCH_FLAGS) {
    if (!(flag in group)) continue;
    const v = group[flag];
    if (v !== false && v !== null) throw new SEOptionError(`${fn}: sd.param_groups[0].${flag} is ${describeValue(v)}; only false or null (torch's default) is supported`);
    delete group[flag];
  }
  return group;
}

/**
 * Reads and checks a whole state dict for an optimizer of `n` parameters, changing nothing: the
 * group through `importGroup`, then each state entry (a copy) through `importState`.
 * @returns the hyperparameters and the states by parameter index
 */
export function readStateDict<S, H>(
  fn: string,
  sd: unknown,
  n: number,
  importGroup: (group: Record<string, unknown>) => H,
  importState: (i: number, entry: Record<string, unknown>, hyper: H) => S,
): { hyper: H; entries: Map<number, S> } {
  if (sd === null || typeof sd !== 'object') throw new SETypeError(`${fn}: sd must be an object { state, param_groups } but got ${describeValue(sd)}`);
  const top: Record<string, unknown> = { ...sd };
  refuseUnknownKeys(fn, 'sd', top, ['state', 'param_groups'], 'state and param_groups');
  const hyper = importGroup(readGroup(fn, top.param_groups, n));
  const stateIn = plainObject(fn, 'sd.state', top.state, 'an object of states by parameter index');
  const entries = new Map<number, S>();
  for (const key of Object.keys(stateIn)) {
    const i = Number(key);
    if (!/^(0|[1-9][0-9]*)$/.test(key) || i >= n) {
      throw new SEOptionError(`${fn}: sd.state has key '${key.slice(0, 40)}' but the keys must be parameter indices 0 to ${n - 1}`);
    }
    entries.set(i, importState(i, plainObject(fn, `sd.state[${i}]`, stateIn[key], 'an object'), hyper));
  }
  return { hyper, entries };
}

/**
 * A fresh copy of a state tensor: a Float32Array, or a FloatTensor (e.g. a `readSafetensors` entry)
 * of any shape with `n` elements, e.g. torch's `[R, C, 1, 1]` buffer for a parameter of R*C elements.
 */
export function stateArray(fn: string, name: string, v: unknown, n: number): Float32Array {
  const t = isFloat32Array(v) ? checkTensor(fn, name, { data: v, shape: [float32Length(v)] }, 1, 1) : checkTensor(fn, name, v);
  if (t.size !== n) throw new SEShapeError(`${fn}: ${name} has ${t.size} elements (shape ${formatShape(t.shape)}) but its parameter has ${n}`);
  return gatherDense(new Float32Array(n), t);
}

/** A step count: a non-negative integer, given as a number or a one-element tensor (torch keeps it as a float tensor). */
export function stepCount(fn: string, name: string, v: unknown): number {
  let step: unknown = v;
  if (v !== null && typeof v === 'object') {
    const t = checkTensor(fn, name, v);
    if (t.size !== 1) throw new SEShapeError(`${fn}: ${name} must be a number or a one-element tensor but has shape ${formatShape(t.shape)}`);
    step = t.data[t.offset];
  }
  if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) {
    throw new SETypeError(`${fn}: ${name} must be a whole number of steps >= 0 but is ${describeValue(step)}`);
  }
  return step;
}
