/**
 * Reading what callers pass: the one module every public entry reads its arguments through.
 *
 * The read-once rule. A caller's object may be a Proxy, have getters, or change between two reads
 * (a getter that returns another value the second time, a resizable buffer shrunk by a getter). So
 * an entry reads each argument and each property it needs exactly once, into a snapshot of plain
 * values, validates the snapshot, and computes only from the snapshot: no user code runs between a
 * check and the use of what it checked. Options objects: unknown keys are errors (a misspelt option
 * is never silently ignored), and the messages name the function, the argument, and what was
 * expected against what was received.
 *
 * Entries that go through this module: the SE calls (`seForward`, `seBackward`, the workspace and
 * the thread pool's options), `createSEParams` and the cost model, `SEBlock` (its constructor,
 * `fromParams`, `backward`, `loadStateDict`), the optimizers (options, and the state dicts of
 * `loadStateDict` in optim/state.ts), and the checkpoint functions (`readSafetensors`,
 * `writeSafetensors`, `loadSEParams`, `saveSEParams`, `listSEBlocks`, `saveCheckpoint`). Views
 * (`{ data, shape, stride, offset }`) are read by `TensorSnapshot` in tensor.ts, parameters by
 * `ParamsSnapshot` in params.ts, and the tape's list arguments by `readArray` in
 * autograd/checks.ts, under the same rule. Typed arrays' lengths, buffers and offsets are read
 * through src/intrinsics.ts, never as properties.
 */
import { SEOptionError, SETypeError, describeValue } from './errors.js';

/** `Object.prototype.hasOwnProperty` for any object (also one with a null prototype or its own `hasOwnProperty`). */
export function hasOwn(obj: object, key: PropertyKey): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** A positive safe integer. */
export function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

/** A non-negative safe integer (a dim, an offset, a byte count). */
export function isNonNegativeInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** A key for a message, cut at 40 characters (a hostile key can be megabytes long). */
function shortKey(key: string): string {
  return key.length > 40 ? `${key.slice(0, 40)}...` : key;
}

/**
 * Checks that `value` (the argument `what`, e.g. 'options' or 'buffers') is an object whose
 * enumerable keys are all among `allowed`, without copying it: for hot paths, whose caller then
 * reads each key it needs exactly once (into locals) and uses only those reads. `null` is refused
 * (unlike {@link readOptions}). The fused calls, the SE options, SEBlock's methods and the thread
 * pool all check their objects here.
 * @param noun how the unknown-key message names a key: 'unknown option' for `what` 'options',
 *   'unknown <what> key' otherwise (the thread pool's constructor keeps its 'unknown options key')
 */
export function checkKeys(
  fn: string,
  value: unknown,
  allowed: readonly string[],
  what = 'buffers',
  noun?: string,
): Record<string, unknown> {
  if (value === null || typeof value !== 'object') {
    throw new SETypeError(`${fn}: ${what} must be an object with keys among ${allowed.join(', ')} but got ${describeValue(value)}`);
  }
  for (const key in value) {
    if (!allowed.includes(key)) {
      // The noun is worded here, on the error path only: a template string per call would allocate.
      const word = noun ?? (what === 'options' ? 'option' : `${what} key`);
      throw new SEOptionError(`${fn}: unknown ${word} '${shortKey(key)}'; expected ${allowed.join(', ')}`);
    }
  }
  return value as Record<string, unknown>;
}

/**
 * A snapshot of an options object: its own enumerable properties, each read once (a spread copy),
 * with any key outside `known` refused. `undefined` and `null` give an empty snapshot; anything
 * that is not a plain object (an array, a function, a primitive) is a type error. Compute only from
 * the snapshot.
 * @param what the argument's name in messages (default 'options')
 */
export function readOptions(fn: string, options: unknown, known: readonly string[], what = 'options'): Readonly<Record<string, unknown>> {
  const copy = optionsSnapshot(fn, options, known, what);
  if (what === 'options') {
    refuseUnknownOptions(fn, copy, known);
    return copy;
  }
  const key = unknownKey(copy, known);
  if (key !== undefined) {
    const noun = what === 'opts' ? 'option' : 'key';
    throw new SEOptionError(`${fn}: unknown ${noun} '${shortKey(key)}' in ${what}; expected one of ${known.join(', ')}`);
  }
  return copy;
}

/** Throws SEOptionError `unknown option 'k'; expected one of ...` for a key of the snapshot `o` not in `known`. */
export function refuseUnknownOptions(fn: string, o: object, known: readonly string[]): void {
  const key = unknownKey(o, known);
  if (key !== undefined) throw new SEOptionError(`${fn}: unknown option '${shortKey(key)}'; expected one of ${known.join(', ')}`);
}

/**
 * {@link readOptions}' snapshot without its key check, for an entry whose message about an unknown
 * key is worded its own way (check the snapshot with {@link unknownKey}).
 */
export function optionsSnapshot(fn: string, options: unknown, known: readonly string[], what = 'options'): Record<string, unknown> {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new SETypeError(`${fn}: ${what} must be an object like { ${known.join(', ')} } but got ${describeValue(options)}`);
  }
  return { ...(options as Record<string, unknown>) };
}

/** The first own enumerable key of `o` (a snapshot) not among `known`, or undefined. */
export function unknownKey(o: object, known: readonly string[]): string | undefined {
  for (const key of Object.keys(o)) if (!known.includes(key)) return key;
  return undefined;
}

/**
 * Throws SEOptionError for a key of `o` (a snapshot the caller made) not in `known`: for objects
 * that are not options, such as a state dict's entry or group named `where`.
 * @param expected how the message lists the known keys (default: `known` joined by commas)
 */
export function refuseUnknownKeys(fn: string, where: string, o: Record<string, unknown>, known: readonly string[], expected = known.join(', ')): void {
  const key = unknownKey(o, known);
  if (key !== undefined) throw new SEOptionError(`${fn}: unknown key '${key.slice(0, 40)}' in ${where}; expected ${expected}`);
}

/** A finite number at least `min` (and below `below` when given), or `fallback` when `v` is undefined (required when `fallback` is undefined). */
export function numberOption(fn: string, name: string, v: unknown, fallback: number | undefined, min = -Infinity, below = Infinity): number {
  if (v === undefined) {
    if (fallback === undefined) throw new SEOptionError(`${fn}: ${name} is required (a finite number >= ${min})`);
    return fallback;
  }
  const range = min === -Infinity ? 'a finite number' : below === Infinity ? `a finite number >= ${min}` : `a number in [${min}, ${below})`;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v >= below) {
    throw new SEOptionError(`${fn}: ${name} must be ${range} but is ${describeValue(v)}`);
  }
  return v;
}

/** A boolean, or `fallback` when `v` is undefined. */
export function booleanOption(fn: string, name: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new SEOptionError(`${fn}: ${name} must be true or false but is ${describeValue(v)}`);
  return v;
}

/** A safe integer, or `fallback` when `v` is undefined. */
export function integerOption(fn: string, name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new SEOptionError(`${fn}: ${name} must be an integer but is ${describeValue(v)}`);
  return v;
}

/** One of the strings `allowed`, or `fallback` when `v` is undefined. */
export function choiceOption<T extends string>(fn: string, name: string, v: unknown, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  throw new SEOptionError(`${fn}: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')} but is ${describeValue(v)}`);
}
