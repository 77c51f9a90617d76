/**
 * Typed errors thrown by every public function of se-kernels.
 *
 * All of them extend {@link SEError}, so `catch (e) { if (e instanceof SEError) ... }`
 * catches anything the library raises on purpose. Messages name the function, the
 * argument and the expected versus the received value, e.g.
 * `seForward: x.shape[1] is 63 but params.channels is 64`.
 */

import { bufferKind, typedArrayBuffer, typedArrayLength, typedArrayName } from './intrinsics.js';

const HAS_OWN = Function.prototype.call.bind(Object.prototype.hasOwnProperty);

/** Marks the library's errors across copies of the package (an ESM and a CJS copy, two bundles). */
const ERROR_KIND = Symbol.for('se-kernels.SEError.kind');

/** Options of the {@link SEError} constructors. */
export interface SEErrorOptions {
  /** The error that led to this one (for example what a user's backward function threw); kept as `cause`. */
  cause?: unknown;
}

/**
 * Base class of every error the library throws on purpose. `instanceof` works across copies of
 * the package (an ESM and a CommonJS copy loaded together, or two bundles): it checks a
 * registered-symbol brand, not the prototype chain.
 */
export class SEError extends Error {
  /** The class's name, kept even if a bundler renames classes. */
  static readonly kind: string = 'SEError';
  /** @internal */
  readonly [ERROR_KIND]: string;
  /** The error that led to this one, when there is one (as the standard `Error` `cause`). */
  declare readonly cause?: unknown;

  constructor(message: string, options?: SEErrorOptions) {
    super(message);
    const kind = (new.target as typeof SEError).kind;
    this.name = kind;
    this[ERROR_KIND] = kind;
    if (options !== undefined && options !== null && HAS_OWN(options, 'cause') === true) {
      // Like the standard option: an own, non-enumerable property, present only when given.
      Object.defineProperty(this, 'cause', { value: options.cause, writable: true, enumerable: false, configurable: true });
    }
  }

  /** `instanceof` by brand: true for errors from any copy of se-kernels (ESM and CommonJS builds, duplicate installs). */
  static override [Symbol.hasInstance](v: unknown): boolean {
    if (typeof v !== 'object' || v === null) return false;
    let kind: unknown;
    try {
      kind = (v as { [ERROR_KIND]?: unknown })[ERROR_KIND];
    } catch {
      return false; // a Proxy whose get trap throws is not one of ours
    }
    return typeof kind === 'string' && (this.kind === 'SEError' || kind === this.kind);
  }
}

/** A shape, size, stride, offset or data length that does not fit. */
export class SEShapeError extends SEError {
  static override readonly kind: string = 'SEShapeError';
}

/** A value of the wrong type: a Float64Array or plain array where a Float32Array is needed, a missing argument. */
export class SETypeError extends SEError {
  static override readonly kind: string = 'SETypeError';
}

/** An unknown option name or option value, or an option value out of range. */
export class SEOptionError extends SEError {
  static override readonly kind: string = 'SEOptionError';
}

/** Misuse of state: a tape used after backward, a stale cache, outputs aliasing inputs where that is unsafe. */
export class SEStateError extends SEError {
  static override readonly kind: string = 'SEStateError';
}

/**
 * A synchronous call where the thread may not block: `SEThreads.seForward` / `seBackward` on a
 * browser page's main thread (use `seForwardAsync` / `seBackwardAsync` there). Exported by
 * `se-kernels/threads`.
 */
export class SEBlockingError extends SEError {
  static override readonly kind: string = 'SEBlockingError';
}

/**
 * The test behind `instanceof` for classes that must be recognised across copies of the package:
 * true for objects carrying the registered-symbol brand (`Symbol.for('se-kernels.<class>')`).
 * Never throws (false for a Proxy whose get trap throws).
 */
export function hasBrand(v: unknown, brand: symbol): boolean {
  if (typeof v !== 'object' || v === null) return false;
  try {
    return (v as Record<symbol, unknown>)[brand] === true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Describing values in messages.
//
// The value being described is by definition one the caller got wrong, so it may be anything: a
// Proxy whose traps throw, a revoked Proxy, an object whose `constructor` is a throwing getter, a
// cycle, an array nested 100,000 deep, a string of a billion characters. The functions below run
// no getter, `toString`, `valueOf` or `toJSON` of the value: they read own data properties through
// property descriptors (a Proxy's traps may still run; whatever they throw is caught), identify
// typed arrays and buffers by the engine's internal slots (./intrinsics.ts), recurse at most
// DESCRIBE_DEPTH levels, show at most DESCRIBE_ITEMS items, cut strings at DESCRIBE_STRING
// characters and the whole description at DESCRIBE_TOTAL, and never throw.
// ---------------------------------------------------------------------------------------------

/** Levels of nested arrays shown before an inner array is summarised as "an array of length n". */
export const DESCRIBE_DEPTH = 2;
/** Arrays longer than this are summarised as "an array of length n". */
export const DESCRIBE_ITEMS = 6;
/** Strings (and names) longer than this are cut, with "..." and their length. */
export const DESCRIBE_STRING = 40;
/** Longest description returned by {@link describeValue}, in characters. */
export const DESCRIBE_TOTAL = 200;
/** Longest error message quoted by {@link describeThrown}, in characters. */
const THROWN_TOTAL = 300;
/** How far up a prototype chain a class name or error field is looked for. */
const CHAIN_LIMIT = 16;

const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const getPrototypeOf = Object.getPrototypeOf;
const isArray = Array.isArray;
const jsonStringify = JSON.stringify;
const BIG_LIMIT = BigInt('1' + '0'.repeat(DESCRIBE_STRING));

/** The names that only real typed arrays, arrays and buffers carry; an object merely named so is posing. */
const POSED_NAMES = new Set([
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float16Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
  'Array', 'ArrayBuffer', 'SharedArrayBuffer', 'DataView',
]);

/** Marks a read that threw or met an accessor, so callers can say so instead of guessing. */
const UNREADABLE = Symbol('unreadable');
/** Marks a property that is not there. */
const ABSENT = Symbol('absent');

/** The value of `o`'s own data property `key`; ABSENT if there is none; UNREADABLE if it is an accessor or a trap threw. */
function ownData(o: object, key: PropertyKey): unknown {
  try {
    const d = getOwnPropertyDescriptor(o, key);
    if (d === undefined) return ABSENT;
    return 'value' in d ? d.value : UNREADABLE;
  } catch {
    return UNREADABLE;
  }
}

/**
 * The first data property `key` found on `o` or its prototypes (at most CHAIN_LIMIT levels), as
 * `{ value }`; undefined if none is found, if an accessor comes first, or if a trap throws.
 */
function chainData(o: object, key: PropertyKey): { value: unknown } | undefined {
  let p: unknown = o;
  for (let level = 0; level < CHAIN_LIMIT && typeof p === 'object' && p !== null; level++) {
    const v = ownData(p, key);
    if (v === UNREADABLE) return undefined;
    if (v !== ABSENT) return { value: v };
    try {
      p = getPrototypeOf(p);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The name of `o`'s class, from the `constructor` data property on its prototype chain (no getters); '' if unknown. */
function className(o: object): string {
  let found: { value: unknown } | undefined;
  try {
    const proto: unknown = getPrototypeOf(o);
    found = typeof proto === 'object' && proto !== null ? chainData(proto, 'constructor') : undefined;
  } catch {
    return '';
  }
  if (found === undefined || typeof found.value !== 'function') return '';
  const name = ownData(found.value, 'name');
  return typeof name === 'string' ? name : '';
}

/** "a" or "an" before a word. */
function article(word: string): string {
  return /^[AEIOUaeiou]/.test(word) ? 'an' : 'a';
}

/** A name (class, function, key) for a message: cut to DESCRIBE_STRING characters, no quotes. */
function cutName(name: string): string {
  return name.length > DESCRIBE_STRING ? `${name.slice(0, DESCRIBE_STRING)}...` : name;
}

/** A string as a quoted literal, cut to DESCRIBE_STRING characters (the full length said when cut). */
function quote(s: string): string {
  if (s.length <= DESCRIBE_STRING) return jsonStringify(s);
  return `${jsonStringify(s.slice(0, DESCRIBE_STRING)).slice(0, -1)}..." (${s.length} characters)`;
}

function describeArray(v: readonly unknown[], depth: number): string {
  const length = ownData(v, 'length');
  if (typeof length !== 'number') return 'an array whose length cannot be read';
  if (length > DESCRIBE_ITEMS || depth >= DESCRIBE_DEPTH) return `an array of length ${length}`;
  const parts: string[] = [];
  for (let i = 0; i < length; i++) {
    const item = ownData(v, String(i));
    if (item === UNREADABLE) parts.push('(a getter)');
    else if (item === ABSENT) parts.push('(empty)');
    else parts.push(describeAt(item, depth + 1));
  }
  return `[${parts.join(', ')}]`;
}

function describeObject(v: object, depth: number): string {
  let array: boolean;
  try {
    array = isArray(v);
  } catch {
    return 'a revoked Proxy'; // Array.isArray throws only for a revoked Proxy
  }
  if (array) return describeArray(v as readonly unknown[], depth);
  const taName = typedArrayName(v);
  if (taName !== undefined) {
    const length = typedArrayLength(v);
    const cls = className(v);
    const of = cls !== '' && cls !== taName ? ` of class ${cutName(cls)}` : '';
    if (length === 0) {
      const buffer = bufferKind(typedArrayBuffer(v));
      if (buffer !== undefined && buffer.detached) return `${article(taName)} ${taName}${of} whose buffer is detached`;
    }
    return `${article(taName)} ${taName}(${length})${of}`;
  }
  const buffer = bufferKind(v);
  if (buffer !== undefined) {
    if (buffer.detached) return buffer.kind === 'DataView' ? 'a DataView whose buffer is detached' : `a detached ${buffer.kind}`;
    return `${article(buffer.kind)} ${buffer.kind}(${buffer.byteLength} bytes)`;
  }
  const cls = className(v);
  if (POSED_NAMES.has(cls)) {
    const hint = cls === 'Array' ? '' : `; pass the underlying ${cls}`;
    return `an object posing as ${article(cls)} ${cls} (a Proxy or imitation${hint})`;
  }
  if (cls === '' || cls === 'Object') {
    // A Proxy whose traps throw lands here too; say so when that is what happened.
    try {
      getPrototypeOf(v);
    } catch {
      return 'an object that throws when inspected (a Proxy?)';
    }
    return 'an object';
  }
  return `${article(cls)} ${cutName(cls)}`;
}

function describeAt(v: unknown, depth: number): string {
  switch (typeof v) {
    case 'undefined':
      return 'undefined';
    case 'number':
    case 'boolean':
      return String(v);
    case 'bigint':
      return v < BIG_LIMIT && v > -BIG_LIMIT ? `${String(v)}n` : `a bigint of more than ${DESCRIBE_STRING} digits`;
    case 'string':
      return quote(v);
    case 'symbol': {
      const text = String(v); // Symbol(description), computed by the engine, no user code
      return text.length > DESCRIBE_STRING + 8 ? `${text.slice(0, DESCRIBE_STRING + 7)}...)` : text;
    }
    case 'function':
      return 'a function';
    default:
      return v === null ? 'null' : describeObject(v as object, depth);
  }
}

/**
 * A short, human-readable description of any value, for error messages: `undefined`, `1.5`,
 * `"mean"`, `[1, 2]`, `an array of length 100`, `a Float64Array(24)`, `an object`, `a Map`,
 * `an object posing as a Float32Array (...)`, `a revoked Proxy`.
 *
 * Bounded and safe for any value: arrays nest at most {@link DESCRIBE_DEPTH} levels and show at most
 * {@link DESCRIBE_ITEMS} items, strings are cut at {@link DESCRIBE_STRING} characters, the result
 * at {@link DESCRIBE_TOTAL}; it runs no getter, `toString`, `valueOf` or `toJSON` of the value, names
 * typed arrays and buffers by the engine's internal slots (a subclass's `length`, a Proxy's
 * `constructor`, a fake `Symbol.toStringTag` do not fool it), and never throws.
 */
export function describeValue(v: unknown): string {
  let text: string;
  try {
    text = describeAt(v, 0);
  } catch {
    text = 'a value that cannot be described';
  }
  return text.length > DESCRIBE_TOTAL ? `${text.slice(0, DESCRIBE_TOTAL - 3)}...` : text;
}

/**
 * A short description of something that was thrown, for wrapping it in a message:
 * `TypeError: x is not a function` for an Error (its `message` and `name` read as data properties
 * on it or its prototypes, no getters), `the value "oops"` for anything else (through
 * {@link describeValue}). At most 300 characters; never throws.
 */
export function describeThrown(e: unknown): string {
  try {
    if (typeof e === 'object' && e !== null) {
      const message = chainData(e, 'message');
      const nameData = chainData(e, 'name');
      const name = nameData !== undefined && typeof nameData.value === 'string' && nameData.value !== '' ? cutName(nameData.value) : '';
      if (message !== undefined && typeof message.value === 'string') {
        const text = message.value === '' ? name || 'an error' : `${name || 'an error'}: ${message.value}`;
        return text.length > THROWN_TOTAL ? `${text.slice(0, THROWN_TOTAL - 3)}...` : text;
      }
      if (name !== '' && /Error$/.test(name)) return `${name} (its message is not a plain string property)`;
    }
    return `the value ${describeValue(e)}`;
  } catch {
    return 'a value that cannot be described';
  }
}

// ---------------------------------------------------------------------------------------------
// Describing parsed JSON (a file's header): values that came from JSON.parse, so plain data with
// no getters, but possibly huge or nested 100,000 deep. Each description is bounded and not recursive.
// ---------------------------------------------------------------------------------------------

/** A string quoted for a message, cut to `max` characters (the full length said when cut). */
export function quoted(s: string, max: number): string {
  return s.length > max ? `${jsonStringify(s.slice(0, max))}... (${s.length} characters)` : jsonStringify(s);
}

/** `keys "a", "b" and 3 more` (at most five shown), or `no keys`. */
export function keysText(obj: object): string {
  const keys = Object.keys(obj);
  if (keys.length === 0) return 'no keys';
  const shown = keys.slice(0, 5).map((k) => quoted(k, 30)).join(', ');
  return `keys ${shown}${keys.length > 5 ? ` and ${keys.length - 5} more` : ''}`;
}

/** A short description of a value parsed from JSON: scalars as written, short flat arrays in full, objects by their keys. */
export function describeJson(v: unknown): string {
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return quoted(v, 40);
  if (Array.isArray(v)) {
    if (v.length <= 6 && v.every((x) => x === null || typeof x === 'number' || typeof x === 'boolean' || typeof x === 'string')) {
      return `[${v.map((x) => (typeof x === 'string' ? quoted(x, 20) : String(x))).join(', ')}]`;
    }
    return `an array of length ${v.length}`;
  }
  if (typeof v === 'object') return `an object with ${keysText(v)}`;
  return typeof v;
}

/** `[2, 3]` for messages, cut after 8 dims (a file's shape may have thousands). */
export function shapeText(shape: readonly number[]): string {
  return shape.length > 8 ? `[${shape.slice(0, 8).join(', ')}, ... (${shape.length} dims)]` : `[${shape.join(', ')}]`;
}
