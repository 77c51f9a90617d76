/**
 * Typed errors thrown by every public function of se-kernels.
 *
 * All of them extend {@link SEError}, so `catch (e) { if (e instanceof SEError) ... }`
 * catches anything the library raises on purpose. Messages name the function, the
 * argument and the expected versus the received value, e.g.
 * `seForward: x.shape[1] is 63 but params.channels is 64`.
 */

/** Base class of every error the library throws on purpose. */
export class SEError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A shape, size, stride, offset or data length that does not fit. */
export class SEShapeError extends SEError {}

/** A value of the wrong type: a Float64Array or plain array where a Float32Array is needed, a missing argument. */
export class SETypeError extends SEError {}

/** An unknown option name or option value, or an option value out of range. */
export class SEOptionError extends SEError {}

/** Misuse of state: a tape used after backward, a stale cache, outputs aliasing inputs where that is unsafe. */
export class SEStateError extends SEError {}

/** A short, human-readable description of any value, for error messages. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) {
    return v.length <= 6 ? `[${v.map(describeValue).join(', ')}]` : `an array of length ${v.length}`;
  }
  if (ArrayBuffer.isView(v)) {
    const name = v.constructor === undefined ? 'typed array' : v.constructor.name;
    const length = (v as { length?: number }).length;
    return `a ${name}(${length ?? v.byteLength})`;
  }
  if (typeof v === 'object') {
    const ctor = (v as object).constructor;
    return ctor !== undefined && ctor !== Object ? `a ${ctor.name}` : 'an object';
  }
  return typeof v;
}
