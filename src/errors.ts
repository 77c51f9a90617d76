/**
 * Typed errors thrown by every public function of se-kernels.
 *
 * All of them extend {@link SEError}, so `catch (e) { if (e instanceof SEError) ... }`
 * catches anything the library raises on purpose. Messages name the function, the
 * argument and the expected versus the received value, e.g.
 * `seForward: x.shape[1] is 63 but params.channels is 64`.
 */

/** Marks the library's errors across copies of the package (an ESM and a CJS copy, two bundles). */
const ERROR_KIND = Symbol.for('se-kernels.SEError.kind');

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

  constructor(message: string) {
    super(message);
    const kind = (new.target as typeof SEError).kind;
    this.name = kind;
    this[ERROR_KIND] = kind;
  }

  /** `instanceof` by brand: true for errors from any copy of se-kernels (ESM and CommonJS builds, duplicate installs). */
  static override [Symbol.hasInstance](v: unknown): boolean {
    if (typeof v !== 'object' || v === null) return false;
    const kind = (v as { [ERROR_KIND]?: unknown })[ERROR_KIND];
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
 * The test behind `instanceof` for classes that must be recognised across copies of the package:
 * true for objects carrying the registered-symbol brand (`Symbol.for('se-kernels.<class>')`).
 */
export function hasBrand(v: unknown, brand: symbol): boolean {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[brand] === true;
}

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
