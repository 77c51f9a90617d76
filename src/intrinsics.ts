/**
 * The engine's own answers about typed arrays and array buffers.
 *
 * Reading `length`, `buffer`, `byteOffset`, `constructor.name` or `Symbol.toStringTag` as
 * properties can be faked: a Float32Array subclass may override `length`, an own property may
 * shadow it, and a Proxy around a Float32Array reports `constructor.name` 'Float32Array' although
 * it is not one (`ArrayBuffer.isView` says false for it, and its elements are read through traps).
 * The getters on `%TypedArray%.prototype` and `ArrayBuffer.prototype` read the engine's internal
 * slots instead. This module captures them, together with `Function.prototype.call`, when it
 * loads, so patching those globals later does not reach it; patching them before se-kernels
 * loads is out of scope.
 *
 * A *real* Float32Array here is any object whose internal [[TypedArrayName]] is 'Float32Array':
 * one made by the Float32Array constructor of any realm (this one, a `vm` context, an iframe),
 * including instances of subclasses. A Proxy (even around a real Float32Array) is not one.
 *
 * Every function here runs no user code (no getters, traps, `valueOf` or `toString`), never
 * throws, and allocates nothing, except where its doc comment says otherwise.
 */

const CALL = Function.prototype.call;
/**
 * `uncurry(f)(self, ...args)` is `f.call(self, ...args)` through the original
 * `Function.prototype.call`, so a later `Function.prototype.call = ...` does not affect it.
 */
function uncurry(f: (...args: never[]) => unknown): (self: unknown, ...args: unknown[]) => unknown {
  return CALL.bind(f);
}

function intrinsicGetter(proto: object, key: PropertyKey): ((self: unknown) => unknown) | undefined {
  const d = Object.getOwnPropertyDescriptor(proto, key);
  return d === undefined || typeof d.get !== 'function' ? undefined : uncurry(d.get);
}

function requiredGetter(proto: object, key: PropertyKey): (self: unknown) => unknown {
  const get = intrinsicGetter(proto, key);
  if (get === undefined) throw new Error(`se-kernels: this JavaScript engine lacks the intrinsic getter ${String(key)}`);
  return get;
}

const getPrototypeOf = Object.getPrototypeOf;
const HAS_OWN = uncurry(Object.prototype.hasOwnProperty);
const isView = ArrayBuffer.isView;
const F32 = Float32Array;
const F32_PROTOTYPE: object = Float32Array.prototype;
const U8 = Uint8Array;

const TYPED_ARRAY_PROTOTYPE: object = getPrototypeOf(Uint8Array.prototype);
/** [[TypedArrayName]] of a real typed array; undefined for anything else (this getter never throws). */
const TAG = requiredGetter(TYPED_ARRAY_PROTOTYPE, Symbol.toStringTag);
// These three throw unless their receiver is a real typed array: call them only after TAG.
const LENGTH = requiredGetter(TYPED_ARRAY_PROTOTYPE, 'length');
const BYTE_OFFSET = requiredGetter(TYPED_ARRAY_PROTOTYPE, 'byteOffset');
const BUFFER = requiredGetter(TYPED_ARRAY_PROTOTYPE, 'buffer');
/** Throws unless its receiver is a (non-shared) ArrayBuffer of some realm. */
const AB_BYTE_LENGTH = requiredGetter(ArrayBuffer.prototype, 'byteLength');
/** `ArrayBuffer.prototype.detached` (Node 22+, recent browsers); undefined on older engines. */
const AB_DETACHED = intrinsicGetter(ArrayBuffer.prototype, 'detached');
/** Throws unless its receiver is a SharedArrayBuffer; undefined where SharedArrayBuffer is unavailable. */
const SAB_BYTE_LENGTH = typeof SharedArrayBuffer === 'function' ? intrinsicGetter(SharedArrayBuffer.prototype, 'byteLength') : undefined;
/** Throws unless its receiver is a DataView whose buffer is attached. */
const DV_BYTE_LENGTH = requiredGetter(DataView.prototype, 'byteLength');

function lengthOf(a: unknown): number {
  return LENGTH(a) as number;
}

/**
 * The engine's name for `v`'s kind ('Float32Array', 'Float64Array', 'Int32Array', ...) if `v` is a
 * real typed array of any realm or subclass; undefined for anything else (a Proxy, a DataView, an
 * imitation, a primitive).
 */
export function typedArrayName(v: unknown): string | undefined {
  const tag = TAG(v);
  return typeof tag === 'string' ? tag : undefined;
}

/**
 * The true element count of a real typed array of any kind (0 when its buffer is detached or a
 * length-tracking view is out of bounds), or -1 if `v` is not a real typed array.
 */
export function typedArrayLength(v: unknown): number {
  return TAG(v) === undefined ? -1 : lengthOf(v);
}

/** The ArrayBuffer or SharedArrayBuffer under a real typed array of any kind (from its internal slot), or undefined. */
export function typedArrayBuffer(v: unknown): ArrayBufferLike | undefined {
  return TAG(v) === undefined ? undefined : (BUFFER(v) as ArrayBufferLike);
}

/**
 * The buffer under `a`, which the caller knows to be a real typed array (one it validated or
 * made): the intrinsic getter alone, without {@link typedArrayBuffer}'s check.
 */
export function viewBuffer(a: ArrayBufferView): ArrayBufferLike {
  return BUFFER(a) as ArrayBufferLike;
}

/** Where `a`, a real typed array the caller validated or made, starts in its buffer, in bytes (no check). */
export function viewByteOffset(a: ArrayBufferView): number {
  return BYTE_OFFSET(a) as number;
}

/** Where a real typed array of any kind starts in its buffer, in bytes (from its internal slot), or -1. */
export function typedArrayByteOffset(v: unknown): number {
  return TAG(v) === undefined ? -1 : (BYTE_OFFSET(v) as number);
}

/** Whether `v` is a real Float32Array (any realm, subclasses included; not a Proxy or imitation). */
export function isRealFloat32Array(v: unknown): v is Float32Array {
  return TAG(v) === 'Float32Array';
}

/**
 * The true length of `v` if it is a real Float32Array, read from its internal slot (a subclass
 * overriding `length`, or an own `length` property, does not change it; 0 when the buffer is
 * detached or a length-tracking view is out of bounds); -1 if `v` is not a real Float32Array.
 * The cheapest check in this module: two intrinsic getter calls, no allocation.
 */
export function float32Length(v: unknown): number {
  return TAG(v) === 'Float32Array' ? lengthOf(v) : -1;
}

/** What the engine knows about one Float32Array; filled by {@link float32Intrinsics}. */
export interface Float32Intrinsics {
  /** Number of elements, from the internal slot (0 when detached or out of bounds). */
  length: number;
  /** Where the array starts in its buffer, in bytes (0 when detached or out of bounds). */
  byteOffset: number;
  /** The ArrayBuffer or SharedArrayBuffer under the array (of whichever realm made it). */
  buffer: ArrayBufferLike;
  /** True when the buffer has been detached (transferred with postMessage/structuredClone, or `transfer()`ed). */
  detached: boolean;
}

const NO_BUFFER = new ArrayBuffer(0);

/** A fresh, reusable {@link Float32Intrinsics} record (length 0, an empty buffer) to pass as `into`. */
export function createFloat32Intrinsics(): Float32Intrinsics {
  return { length: 0, byteOffset: 0, buffer: NO_BUFFER, detached: false };
}

/**
 * Reads the engine's own length, byteOffset and buffer of `v` if it is a real Float32Array of any
 * realm or subclass, into `into` (reused: no allocation) or into a new record when `into` is
 * omitted; returns that record, or null (leaving `into` untouched) if `v` is not a real Float32Array.
 *
 * `detached` is exact: a non-empty view cannot be detached; for an empty one it uses
 * `ArrayBuffer.prototype.detached` where the engine has it, else tries to make a 0-length view of
 * the buffer (which only a detached buffer refuses; that path allocates a tiny view).
 * A view of a resizable buffer reports its length at the moment of the call.
 * @param v any value
 * @param into the record to fill (see {@link createFloat32Intrinsics})
 */
export function float32Intrinsics(v: unknown, into?: Float32Intrinsics): Float32Intrinsics | null {
  if (TAG(v) !== 'Float32Array') return null;
  const out = into === undefined ? createFloat32Intrinsics() : into;
  const length = lengthOf(v);
  const buffer = BUFFER(v) as ArrayBufferLike;
  out.length = length;
  out.byteOffset = BYTE_OFFSET(v) as number;
  out.buffer = buffer;
  out.detached = length === 0 && isDetachedBuffer(buffer);
  return out;
}

/**
 * Whether `b` is a detached ArrayBuffer (of any realm). False for anything else, including a
 * SharedArrayBuffer (which cannot be detached). Allocates a 0-length view only when `b` is an
 * empty ArrayBuffer on an engine without `ArrayBuffer.prototype.detached`.
 */
export function isDetachedBuffer(b: unknown): boolean {
  if (AB_DETACHED !== undefined) {
    try {
      return AB_DETACHED(b) === true;
    } catch {
      return false; // not a (non-shared) ArrayBuffer
    }
  }
  try {
    if (AB_BYTE_LENGTH(b) !== 0) return false;
  } catch {
    return false;
  }
  try {
    // The constructor reads no property of the buffer; it throws only when the buffer is detached.
    new U8(b as ArrayBuffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * `v` itself when it is a plain Float32Array of this realm (prototype `Float32Array.prototype`, no
 * own `length` or `constructor` property, which would change what `length` says or what `slice`,
 * `map` and `subarray` construct); a new Float32Array of this realm over the same memory (same
 * buffer, byteOffset and true length; no copy) when it is a real Float32Array of a subclass, of
 * another realm, or with such an own property; null when `v` is not a real Float32Array. A detached or
 * out-of-bounds array gives a new empty Float32Array. Code that receives the result may then use
 * `length` and the prototype's methods as usual. Allocates only in the second case.
 */
export function plainFloat32Array(v: unknown): Float32Array | null {
  if (!isRealFloat32Array(v)) return null;
  if (getPrototypeOf(v) === F32_PROTOTYPE && HAS_OWN(v, 'length') !== true && HAS_OWN(v, 'constructor') !== true) return v;
  const length = lengthOf(v);
  if (length === 0) return new F32(0);
  return new F32(BUFFER(v) as ArrayBufferLike, BYTE_OFFSET(v) as number, length);
}

/** What {@link bufferKind} reports about an ArrayBuffer, SharedArrayBuffer or DataView. */
export interface BufferKind {
  kind: 'ArrayBuffer' | 'SharedArrayBuffer' | 'DataView';
  /** Size in bytes (0 when detached). */
  byteLength: number;
  /** An ArrayBuffer that is detached, or a DataView whose buffer is detached (or that a shrunk resizable buffer left out of bounds). */
  detached: boolean;
}

/**
 * Which of ArrayBuffer, SharedArrayBuffer or DataView `v` really is (any realm), with its byte
 * length; undefined for anything else, including a Proxy around one. Allocates the result.
 */
export function bufferKind(v: unknown): BufferKind | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  if (isView(v)) {
    if (TAG(v) !== undefined) return undefined; // a typed array, not a DataView
    try {
      return { kind: 'DataView', byteLength: DV_BYTE_LENGTH(v) as number, detached: false };
    } catch {
      return { kind: 'DataView', byteLength: 0, detached: true };
    }
  }
  let byteLength = -1;
  try {
    byteLength = AB_BYTE_LENGTH(v) as number;
  } catch {
    // not a (non-shared) ArrayBuffer
  }
  if (byteLength >= 0) return { kind: 'ArrayBuffer', byteLength, detached: byteLength === 0 && isDetachedBuffer(v) };
  if (SAB_BYTE_LENGTH !== undefined) {
    try {
      return { kind: 'SharedArrayBuffer', byteLength: SAB_BYTE_LENGTH(v) as number, detached: false };
    } catch {
      // not a SharedArrayBuffer
    }
  }
  return undefined;
}
