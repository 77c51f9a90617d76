/**
 * The instances every copy of se-kernels loaded in one JavaScript realm made, so that a workspace
 * or cache made by one copy is accepted by another copy of the same version: the ESM and CommonJS
 * builds of one install (`require('se-kernels/core')` beside `import('se-kernels/threads')`), or
 * two prebuilt browser files on one page (`se-kernels-core.js` beside `se-kernels-threads.js`).
 *
 * The registry lives on `globalThis` under a registered symbol; it maps each object to the library
 * version that made it. Objects are recognised by identity (no property of an argument is read, so a
 * Proxy or a copy of one is not one). A copy accepts only objects of its own version (their
 * internal layout is the same); for another version the error names both.
 */
import { describeValue } from './errors.js';

/** This copy's version (test/dist.test.ts checks it against package.json). */
export const LIBRARY_VERSION = '0.1.0';

const KEY = Symbol.for('se-kernels.instances.v1');

/** What a kind of object maps to: the version of the copy that made it (another version's registry holds strings too). */
type Made = WeakMap<object, unknown>;

/** The realm's map for `kind` ('SEWorkspace', 'SECache', or a kind's '.state'), made on first use. */
function registry(kind: string): Made {
  let all: unknown = Reflect.get(globalThis, KEY);
  if (typeof all !== 'object' || all === null) {
    all = new Map<string, Made>();
    try {
      // Not enumerable, not writable: one registry for the realm, whichever copy loads first.
      Object.defineProperty(globalThis, KEY, { value: all, enumerable: false, writable: false, configurable: false });
    } catch {
      // A frozen global object: this copy keeps its own registry (it then accepts only its own objects).
    }
  }
  const map = all as Map<string, Made>;
  let made = map.get(kind);
  if (made === undefined) {
    made = new WeakMap<object, unknown>();
    map.set(kind, made);
  }
  return made;
}

/**
 * The registry of one kind of object ('SEWorkspace', 'SECache'): each object with the version that
 * made it, and its internal state `T` (kept here, not on the object, so users cannot reach it, and
 * shared by every copy of the library in the realm, so a copy finds the state of an object another
 * copy of the same version made). Copies of one version build the same `T`.
 */
export class InstanceRegistry<T extends object> {
  private readonly made: Made;
  private readonly states: Made;
  constructor(readonly kind: string) {
    this.made = registry(kind);
    this.states = registry(`${kind}.state`);
  }

  /** Records `obj` as made by this copy, with its internal state. */
  add(obj: object, state: T): void {
    this.made.set(obj, LIBRARY_VERSION);
    this.states.set(obj, state);
  }

  /** True for an object of this kind made by a copy of this version (found by identity). */
  has(v: unknown): boolean {
    return typeof v === 'object' && v !== null && this.made.get(v) === LIBRARY_VERSION;
  }

  /** The internal state of `v` when it is an object of this kind made by a copy of this version, else undefined. */
  stateOf(v: unknown): T | undefined {
    if (!this.has(v)) return undefined;
    // Set by `add` of a copy of this version (checked just above), which stores a T.
    return this.states.get(v as object) as T | undefined;
  }

  /**
   * Why `v` is refused, for an error message: made by another version of the library, or not one
   * of these at all (`what` names the argument's expected value).
   */
  refusal(v: unknown, what: string): string {
    const version = typeof v === 'object' && v !== null ? this.made.get(v) : undefined;
    if (typeof version === 'string') {
      return `${what} but got a ${this.kind} made by se-kernels ${version}, while this is se-kernels ${LIBRARY_VERSION} (two installed versions: their internals differ; make it with this version's ${this.kind})`;
    }
    return `${what} but got ${describeValue(v)}`;
  }
}
