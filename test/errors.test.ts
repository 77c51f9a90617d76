/**
 * Bad input at the public boundary: a typed error (exported class) whose message names the
 * function, the argument, expected vs received; thrown before any output is produced. And the
 * formatting behind those messages: describeValue/describeThrown bounded and safe for hostile
 * values, and the intrinsic typed-array checks they (and the tape) rely on.
 */
import * as vm from 'node:vm';
import { fc, test as propTest } from '@fast-check/jest';
import * as main from '../src/index.js';
import * as core from '../src/core.js';
import {
  SEError,
  SEOptionError,
  SEShapeError,
  SEStateError,
  SETypeError,
  createSEParams,
  seBackward,
  seForward,
  type FloatTensor,
  type SEParams,
} from '../src/core.js';
import { DESCRIBE_TOTAL, describeThrown, describeValue, hasBrand } from '../src/errors.js';
import {
  bufferKind,
  createFloat32Intrinsics,
  float32Intrinsics,
  float32Length,
  isDetachedBuffer,
  isRealFloat32Array,
  plainFloat32Array,
  typedArrayLength,
  typedArrayName,
} from '../src/intrinsics.js';

const params = (): SEParams => createSEParams({ channels: 4, hidden: 2, seed: 1 });
const x = (shape = [2, 4, 3], n = shape.reduce((a, b) => a * b, 1)): FloatTensor => ({ data: new Float32Array(n), shape });

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('error classes', () => {
  test('all derive from SEError and are exported from both entries', () => {
    for (const C of [SEShapeError, SETypeError, SEOptionError, SEStateError]) {
      expect(new C('m')).toBeInstanceOf(SEError);
      expect(new C('m')).toBeInstanceOf(Error);
    }
    expect(main.SEShapeError).toBe(core.SEShapeError);
    expect(new SEShapeError('m').name).toBe('SEShapeError');
  });
});

describe('seForward', () => {
  test.each<[string, () => unknown, typeof SEError, RegExp]>([
    ['channel mismatch', () => seForward(x([2, 63, 3]), createSEParams({ channels: 64 })), SEShapeError, /^seForward: x\.shape\[1\] is 63 but params\.channels is 64/],
    ['channels-last channel mismatch', () => seForward(x([2, 3, 5]), params(), { layout: 'channels-last' }), SEShapeError, /x\.shape\[2\] is 5 but params\.channels is 4/],
    ['rank 2', () => seForward(x([2, 4]), params()), SEShapeError, /seForward: x must have rank 3 to 5 but has shape \[2, 4\]/],
    ['rank 6', () => seForward(x([1, 4, 1, 1, 1, 2]), params()), SEShapeError, /rank 3 to 5/],
    ['zero dim', () => seForward(x([2, 4, 0], 0), params()), SEShapeError, /x\.shape\[2\] must be a positive integer but is 0/],
    ['negative dim', () => seForward(x([2, 4, -3], 8), params()), SEShapeError, /x\.shape\[2\] must be a positive integer but is -3/],
    ['non-integer dim', () => seForward(x([2, 4, 1.5], 12), params()), SEShapeError, /x\.shape\[2\] must be a positive integer but is 1\.5/],
    ['NaN dim', () => seForward(x([2, 4, NaN], 8), params()), SEShapeError, /x\.shape\[2\] must be a positive integer but is NaN/],
    ['data too short', () => seForward(x([2, 4, 3], 23), params()), SEShapeError, /addresses data\[0\.\.23\] but x\.data has length 23/],
    ['stride reaching outside', () => seForward({ data: new Float32Array(24), shape: [2, 4, 3], stride: [12, 3, 2] }, params()), SEShapeError, /addresses data\[0\.\.25\]/],
    ['negative stride before the start', () => seForward({ data: new Float32Array(24), shape: [2, 4, 3], stride: [12, 3, -1] }, params()), SEShapeError, /addresses data\[-2\.\.21\]/],
    ['offset too large', () => seForward({ data: new Float32Array(24), shape: [2, 4, 3], offset: 1 }, params()), SEShapeError, /offset 1 addresses data\[1\.\.24\]/],
    ['stride of the wrong rank', () => seForward({ data: new Float32Array(24), shape: [2, 4, 3], stride: [12, 3] }, params()), SEShapeError, /x\.stride must be an array of 3 integers/],
    ['Float64Array', () => seForward({ data: new Float64Array(24) as unknown as Float32Array, shape: [2, 4, 3] }, params()), SETypeError, /x\.data must be a Float32Array but got a Float64Array\(24\)/],
    ['plain array', () => seForward({ data: [1, 2] as unknown as Float32Array, shape: [2, 4, 3] }, params()), SETypeError, /x\.data must be a Float32Array but got \[1, 2\]/],
    ['missing x', () => seForward(undefined as unknown as FloatTensor, params()), SETypeError, /seForward: x must be a tensor/],
    ['unknown squeeze', () => seForward(x(), params(), { squeeze: 'mean' as 'avg' }), SEOptionError, /options\.squeeze must be one of 'avg', 'max', 'avgmax' but is "mean"/],
    ['unknown gate', () => seForward(x(), params(), { gate: 'softmax' as 'sigmoid' }), SEOptionError, /options\.gate must be one of/],
    ['unknown option key', () => seForward(x(), params(), { sqeeze: 'max' } as unknown as main.SEOptions), SEOptionError, /unknown option 'sqeeze'/],
    ['w1 wrong size', () => seForward(x(), { ...params(), w1: new Float32Array(7) }), SEShapeError, /params\.w1 has length 7 but \[hidden, channels\] = \[2, 4\] needs 8/],
    ['b2 wrong size', () => seForward(x(), { ...params(), b2: new Float32Array(3) }), SEShapeError, /params\.b2 has length 3 but \[channels\] = \[4\] needs 4/],
    ['w2 Float64Array', () => seForward(x(), { ...params(), w2: new Float64Array(8) as unknown as Float32Array }), SETypeError, /params\.w2 must be a Float32Array but got a Float64Array\(8\)/],
    ['hidden not an integer', () => seForward(x(), { ...params(), hidden: 2.5 }), SEShapeError, /params\.hidden must be a positive integer but is 2\.5/],
    ['missing params', () => seForward(x(), undefined as unknown as SEParams), SETypeError, /seForward: params must be SEParams/],
  ])('%s', (_name, call, cls, message) => {
    const e = thrown(call);
    expect(e).toBeInstanceOf(cls);
    expect(e.message).toMatch(message);
  });
});

describe('seBackward', () => {
  const { cache } = seForward(x(), params());
  test.each<[string, () => unknown, typeof SEError, RegExp]>([
    ['dy shape differs', () => seBackward(x([2, 4, 4]), cache), SEShapeError, /^seBackward: dy has shape \[2, 4, 4\] but x had shape \[2, 4, 3\]/],
    ['dy Float64Array', () => seBackward({ data: new Float64Array(24) as unknown as Float32Array, shape: [2, 4, 3] }, cache), SETypeError, /dy\.data must be a Float32Array/],
    ['not a cache', () => seBackward(x(), {} as main.SECache), SETypeError, /^seBackward: cache must be the cache returned by seForward\b.* but got an object$/],
  ])('%s', (_name, call, cls, message) => {
    const e = thrown(call);
    expect(e).toBeInstanceOf(cls);
    expect(e.message).toMatch(message);
  });
});

describe('createSEParams and makeDivisible', () => {
  test.each<[string, () => unknown, typeof SEError, RegExp]>([
    ['no channels', () => createSEParams({} as { channels: number }), SEOptionError, /createSEParams: channels must be a positive integer but is undefined/],
    ['zero channels', () => createSEParams({ channels: 0 }), SEOptionError, /channels must be a positive integer but is 0/],
    ['hidden and reduction', () => createSEParams({ channels: 8, hidden: 2, reduction: 4 }), SEOptionError, /either hidden or reduction/],
    ['bad reduction', () => createSEParams({ channels: 8, reduction: -1 }), SEOptionError, /reduction must be a finite positive number but is -1/],
    ['bad init', () => createSEParams({ channels: 8, init: 'xavier' as 'zeros' }), SEOptionError, /init must be one of/],
    ['std without normal', () => createSEParams({ channels: 8, std: 0.1 }), SEOptionError, /std applies only to init 'normal'/],
    ['unknown key', () => createSEParams({ channels: 8, ratio: 4 } as unknown as { channels: number }), SEOptionError, /unknown option 'ratio'/],
    ['not an object', () => createSEParams(64 as unknown as { channels: number }), SETypeError, /createSEParams: options must be an object/],
    ['makeDivisible divisor 0', () => main.makeDivisible(10, 0), SEOptionError, /makeDivisible: divisor must be a positive integer but is 0/],
  ])('%s', (_name, call, cls, message) => {
    const e = thrown(call);
    expect(e).toBeInstanceOf(cls);
    expect(e.message).toMatch(message);
  });
});

describe('describeValue: bounded, safe for any value, never throws', () => {
  const deepArray = (depth: number): unknown => {
    let v: unknown = [];
    for (let i = 0; i < depth; i++) v = [v];
    return v;
  };
  const deepObject = (depth: number): unknown => {
    let v: unknown = {};
    for (let i = 0; i < depth; i++) v = { a: v };
    return v;
  };
  const throwingTraps = (): object =>
    new Proxy(
      {},
      Object.fromEntries(
        ['get', 'set', 'has', 'ownKeys', 'getPrototypeOf', 'getOwnPropertyDescriptor', 'defineProperty', 'isExtensible'].map((k) => [
          k,
          () => {
            throw new Error(`trap ${k}`);
          },
        ]),
      ),
    );
  /** A Float32Array subclass whose `length` getter lies. */
  const liar = (n: number, claimed: number): Float32Array => {
    class Liar extends Float32Array {}
    Object.defineProperty(Liar.prototype, 'length', { get: () => claimed });
    return new Liar(n);
  };
  const detached = (): Float32Array => {
    const buffer = new ArrayBuffer(8);
    const a = new Float32Array(buffer);
    structuredClone(buffer, { transfer: [buffer] });
    return a;
  };

  test.each<[string, () => unknown, string]>([
    ['a 100,000-deep nested array', () => deepArray(100_000), '[[an array of length 1]]'],
    ['a 100,000-deep nested object', () => deepObject(100_000), 'an object'],
    ['a cyclic array', () => { const a: unknown[] = [1]; a.push(a); return a; }, '[1, [1, an array of length 2]]'],
    ['a cyclic object', () => { const o: Record<string, unknown> = {}; o.self = o; return o; }, 'an object'],
    ['a Proxy whose traps all throw', throwingTraps, 'an object that throws when inspected (a Proxy?)'],
    ['a revoked Proxy', () => { const r = Proxy.revocable([], {}); r.revoke(); return r.proxy; }, 'a revoked Proxy'],
    ['an array Proxy whose traps throw', () => new Proxy([1], { get: () => { throw new Error('g'); }, getOwnPropertyDescriptor: () => { throw new Error('d'); } }), 'an array whose length cannot be read'],
    ['an object whose constructor getter throws', () => ({ get constructor(): never { throw new Error('no'); } }), 'an object'],
    ['an instance whose prototype constructor getter throws', () => { class A {} Object.defineProperty(A.prototype, 'constructor', { get() { throw new Error('no'); } }); return new A(); }, 'an object'],
    ['an object whose toString, valueOf and toPrimitive throw', () => ({ toString() { throw new Error('1'); }, valueOf() { throw new Error('2'); }, [Symbol.toPrimitive]() { throw new Error('3'); } }), 'an object'],
    ['a huge string', () => 'x'.repeat(1_000_000), `"${'x'.repeat(40)}..." (1000000 characters)`],
    ['a string with quotes', () => 'say "hi"', '"say \\"hi\\""'],
    ['a Float32Array subclass with a lying length', () => liar(3, 99), 'a Float32Array(3) of class Liar'],
    ['a Float32Array from another realm', () => vm.runInNewContext('new Float32Array(5)'), 'a Float32Array(5)'],
    ['a Float64Array from another realm', () => vm.runInNewContext('new Float64Array(2)'), 'a Float64Array(2)'],
    ['an Int8Array', () => new Int8Array(4), 'an Int8Array(4)'],
    ['an array from another realm', () => vm.runInNewContext('[1, [2, [3]]]'), '[1, [2, an array of length 1]]'],
    ['a Proxy around a Float32Array', () => new Proxy(new Float32Array(3), {}), 'an object posing as a Float32Array (a Proxy or imitation; pass the underlying Float32Array)'],
    ['an imitation of a Float32Array', () => Object.create(Float32Array.prototype), 'an object posing as a Float32Array (a Proxy or imitation; pass the underlying Float32Array)'],
    ['an object with a fake toStringTag and length', () => ({ [Symbol.toStringTag]: 'Float32Array', length: 3 }), 'an object'],
    ['a detached Float32Array', detached, 'a Float32Array whose buffer is detached'],
    ['an ArrayBuffer', () => new ArrayBuffer(16), 'an ArrayBuffer(16 bytes)'],
    ['a SharedArrayBuffer', () => new SharedArrayBuffer(8), 'a SharedArrayBuffer(8 bytes)'],
    ['a DataView', () => new DataView(new ArrayBuffer(4)), 'a DataView(4 bytes)'],
    ['a sparse array', () => [1, , 3], '[1, (empty), 3]'], // eslint-disable-line no-sparse-arrays
    ['an array with a getter element (not called)', () => Object.defineProperty([1], '0', { get() { throw new Error('called'); } }), '[(a getter)]'],
    ['a long symbol', () => Symbol('y'.repeat(100)), `Symbol(${'y'.repeat(40)}...)`],
    ['a huge bigint', () => 10n ** 50n, 'a bigint of more than 40 digits'],
    ['a small bigint', () => 123n, '123n'],
    ['a class instance', () => new (class Apple {})(), 'an Apple'],
    ['a null-prototype object', () => Object.create(null), 'an object'],
    ['a Map', () => new Map(), 'a Map'],
  ])('%s', (_name, make, expected) => {
    expect(describeValue(make())).toBe(expected);
  });

  test('no getter, get trap, toString or valueOf of the value runs', () => {
    const touched: string[] = [];
    const watched = new Proxy([1, { a: 2 }, new Float32Array(2)], {
      get(target, key, receiver) {
        touched.push(String(key));
        return Reflect.get(target, key, receiver);
      },
    });
    expect(describeValue(watched)).toBe('[1, an object, a Float32Array(2)]');
    expect(touched).toEqual([]);
  });

  test('the whole description is capped', () => {
    const long = 'a'.repeat(40);
    const v = Array.from({ length: 6 }, () => Array.from({ length: 6 }, () => long));
    const d = describeValue(v);
    expect(d.length).toBe(DESCRIBE_TOTAL);
    expect(d.endsWith('...')).toBe(true);
  });

  propTest.prop([fc.anything({ maxDepth: 4, withBigInt: true, withBoxedValues: true, withMap: true, withSet: true, withNullPrototype: true, withObjectString: true, withSparseArray: true, withTypedArray: true, withDate: true })])(
    'any value gives a bounded string',
    (v) => {
      const d = describeValue(v);
      expect(typeof d).toBe('string');
      expect(d.length).toBeLessThanOrEqual(DESCRIBE_TOTAL);
    },
  );

  test('a deeply nested value in an option or a safetensors header gives a typed error, not a stack overflow', () => {
    const deep = deepArray(100_000);
    const e1 = thrown(() => createSEParams({ channels: deep as number }));
    expect(e1).toBeInstanceOf(SEOptionError);
    expect(e1.message).toBe('createSEParams: channels must be a positive integer but is [[an array of length 1]]');
    const header = new TextEncoder().encode(`{"w":{"dtype":"F32","shape":${'['.repeat(100_000)}1${']'.repeat(100_000)},"data_offsets":[0,4]}}`);
    const bytes = new Uint8Array(8 + header.length + 4);
    new DataView(bytes.buffer).setUint32(0, header.length, true);
    bytes.set(header, 8);
    const e2 = thrown(() => core.readSafetensors(bytes));
    expect(e2).toBeInstanceOf(SEError);
    expect(e2.message.length).toBeLessThan(400);
  });
});

describe('describeThrown', () => {
  test.each<[string, () => unknown, string]>([
    ['an Error', () => new TypeError('bad thing'), 'TypeError: bad thing'],
    ['an SEError', () => new SEShapeError('f: x is wrong'), 'SEShapeError: f: x is wrong'],
    ['an Error without a message', () => new RangeError(), 'RangeError'],
    ['an Error whose message is a throwing getter', () => Object.defineProperty(new Error('m'), 'message', { get() { throw new Error('no'); } }), 'Error (its message is not a plain string property)'],
    ['a string', () => 'oops', 'the value "oops"'],
    ['undefined', () => undefined, 'the value undefined'],
    ['a Proxy whose traps throw', () => new Proxy({}, { getOwnPropertyDescriptor: () => { throw new Error('t'); }, getPrototypeOf: () => { throw new Error('t'); } }), 'the value an object that throws when inspected (a Proxy?)'],
  ])('%s', (_name, make, expected) => expect(describeThrown(make())).toBe(expected));

  test('a huge message is cut', () => {
    expect(describeThrown(new Error('m'.repeat(10_000))).length).toBe(300);
  });
});

describe('SEError options and brands', () => {
  test('cause is kept like the standard option, only when given', () => {
    const inner = new Error('inner');
    const e = new SEStateError('outer', { cause: inner });
    expect(e.cause).toBe(inner);
    expect(Object.getOwnPropertyDescriptor(e, 'cause')?.enumerable).toBe(false);
    expect('cause' in new SEStateError('plain')).toBe(false);
    expect(new SEStateError('undefined cause', { cause: undefined }).hasOwnProperty('cause')).toBe(true);
  });

  test('instanceof and hasBrand never throw, even for a Proxy whose traps throw', () => {
    const hostile = new Proxy({}, { get: () => { throw new Error('trap'); } });
    expect(hostile instanceof SEError).toBe(false);
    expect(hasBrand(hostile, Symbol.for('se-kernels.Variable'))).toBe(false);
    expect(hostile instanceof core.Variable).toBe(false);
    expect(hostile instanceof core.Tape).toBe(false);
  });
});

describe('intrinsics: the engine’s own view of typed arrays', () => {
  const liar = (n: number, claimed: number): Float32Array => {
    class Liar extends Float32Array {}
    Object.defineProperty(Liar.prototype, 'length', { get: () => claimed });
    return new Liar(n);
  };
  type Resizable = ArrayBuffer & { resize(n: number): void };
  const resizable = (bytes: number, max: number): Resizable => Reflect.construct(ArrayBuffer, [bytes, { maxByteLength: max }]);

  test('float32Length: the true length, or -1', () => {
    const own = new Float32Array(4);
    Object.defineProperty(own, 'length', { value: 1 });
    expect(float32Length(new Float32Array(3))).toBe(3);
    expect(float32Length(liar(3, 99))).toBe(3);
    expect(float32Length(own)).toBe(4);
    expect(float32Length(vm.runInNewContext('new Float32Array(7)'))).toBe(7);
    expect(float32Length(new Float32Array(8).subarray(2, 5))).toBe(3);
    for (const v of [new Proxy(new Float32Array(3), {}), new Float64Array(3), [1, 2], { length: 3 }, null, undefined, 3, 'abc', Object.create(Float32Array.prototype)]) {
      expect(float32Length(v)).toBe(-1);
      expect(isRealFloat32Array(v)).toBe(false);
    }
    expect(isRealFloat32Array(liar(1, 5))).toBe(true);
  });

  test('typedArrayName and typedArrayLength for any kind', () => {
    expect(typedArrayName(new Int32Array(2))).toBe('Int32Array');
    expect(typedArrayName(vm.runInNewContext('new Uint8ClampedArray(1)'))).toBe('Uint8ClampedArray');
    expect(typedArrayName(new DataView(new ArrayBuffer(1)))).toBeUndefined();
    expect(typedArrayName(new Proxy(new Int32Array(2), {}))).toBeUndefined();
    expect(typedArrayLength(new BigInt64Array(3))).toBe(3);
    expect(typedArrayLength({ length: 3 })).toBe(-1);
  });

  test('float32Intrinsics fills a reused record and returns it; null (record untouched) for anything else', () => {
    const into = createFloat32Intrinsics();
    const base = new Float32Array(10);
    const view = base.subarray(3, 7);
    expect(float32Intrinsics(view, into)).toBe(into);
    expect(into).toEqual({ length: 4, byteOffset: 12, buffer: base.buffer, detached: false });
    expect(float32Intrinsics(new Proxy(view, {}), into)).toBeNull();
    expect(into.length).toBe(4);
    const foreign = vm.runInNewContext('new Float32Array(new ArrayBuffer(32), 8, 2)');
    expect(float32Intrinsics(foreign)).toEqual({ length: 2, byteOffset: 8, buffer: foreign.buffer, detached: false });
    const shared = new Float32Array(new SharedArrayBuffer(16));
    expect(float32Intrinsics(shared)).toMatchObject({ length: 4, detached: false });
    expect(float32Intrinsics(new Float32Array(0))).toMatchObject({ length: 0, detached: false });
    expect(float32Intrinsics(new Float32Array(new SharedArrayBuffer(0)))).toMatchObject({ length: 0, detached: false });
  });

  test('detached buffers: length 0 and detached true', () => {
    const buffer = new ArrayBuffer(16);
    const a = new Float32Array(buffer, 4, 2);
    structuredClone(buffer, { transfer: [buffer] });
    expect(float32Intrinsics(a)).toEqual({ length: 0, byteOffset: 0, buffer, detached: true });
    expect(isDetachedBuffer(buffer)).toBe(true);
    expect(isDetachedBuffer(new ArrayBuffer(0))).toBe(false);
    expect(isDetachedBuffer(new SharedArrayBuffer(0))).toBe(false);
    expect(isDetachedBuffer({})).toBe(false);
    expect(plainFloat32Array(a)).toEqual(new Float32Array(0));
  });

  test('resizable buffers: a length-tracking view reports its length at the moment of the call', () => {
    const rab = resizable(16, 64);
    const tracking = new Float32Array(rab);
    const fixed = new Float32Array(rab, 8, 2);
    expect(float32Length(tracking)).toBe(4);
    rab.resize(40);
    expect(float32Length(tracking)).toBe(10);
    expect(float32Length(fixed)).toBe(2);
    rab.resize(4);
    expect(float32Length(tracking)).toBe(1);
    expect(float32Intrinsics(fixed)).toEqual({ length: 0, byteOffset: 0, buffer: rab, detached: false }); // out of bounds, not detached
    rab.resize(40);
    const plain = plainFloat32Array(tracking)!;
    expect(plain).toBe(tracking);
  });

  test('plainFloat32Array: itself when plain, else a plain view of the same memory, null when not a Float32Array', () => {
    const plain = new Float32Array(3);
    expect(plainFloat32Array(plain)).toBe(plain);
    for (const odd of [liar(3, 99), vm.runInNewContext('new Float32Array(3)') as Float32Array, Object.defineProperty(new Float32Array(3), 'length', { value: 1 }), Object.defineProperty(new Float32Array(3), 'constructor', { value: Float64Array })]) {
      const p = plainFloat32Array(odd)!;
      expect(p).not.toBe(odd);
      expect(Object.getPrototypeOf(p)).toBe(Float32Array.prototype);
      expect(p.length).toBe(3);
      odd[2] = 5;
      expect(p[2]).toBe(5);
    }
    expect(plainFloat32Array(new Proxy(plain, {}))).toBeNull();
    expect(plainFloat32Array(new Float64Array(3))).toBeNull();
  });

  test('later patching of Function.prototype.call or the length getter does not reach it', () => {
    const TypedArrayPrototype = Object.getPrototypeOf(Float32Array.prototype) as object;
    const lengthDescriptor = Object.getOwnPropertyDescriptor(TypedArrayPrototype, 'length')!;
    const call = Function.prototype.call;
    const a = new Float32Array(5);
    let seen: number[] = [];
    try {
      Object.defineProperty(TypedArrayPrototype, 'length', { ...lengthDescriptor, get: () => 1234 });
      Function.prototype.call = function () {
        return 4321;
      };
      seen = [float32Length(a), typedArrayLength(a), float32Intrinsics(a)!.length];
    } finally {
      Function.prototype.call = call;
      Object.defineProperty(TypedArrayPrototype, 'length', lengthDescriptor);
    }
    expect(seen).toEqual([5, 5, 5]);
  });

  test('bufferKind names real buffers and views only', () => {
    expect(bufferKind(new ArrayBuffer(3))).toEqual({ kind: 'ArrayBuffer', byteLength: 3, detached: false });
    expect(bufferKind(vm.runInNewContext('new ArrayBuffer(2)'))).toEqual({ kind: 'ArrayBuffer', byteLength: 2, detached: false });
    expect(bufferKind(new SharedArrayBuffer(2))).toEqual({ kind: 'SharedArrayBuffer', byteLength: 2, detached: false });
    expect(bufferKind(new DataView(new ArrayBuffer(6), 2))).toEqual({ kind: 'DataView', byteLength: 4, detached: false });
    expect(bufferKind(new Float32Array(2))).toBeUndefined();
    expect(bufferKind(new Proxy(new ArrayBuffer(2), {}))).toBeUndefined();
    expect(bufferKind({ byteLength: 2 })).toBeUndefined();
  });
});
