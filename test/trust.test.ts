/**
 * The fused calls under adversarial use (issue 9): arguments whose getters or Proxies change
 * between reads, resizable buffers shrunk by user code, Float32Array subclasses that lie, Proxies
 * and other-realm arrays, outputs overlapping inputs, calls nested inside a call on the same
 * workspace, stale and foreign caches. Each call returns the right result or throws an SEError,
 * never a wrong result, NaN-filled output or an internal TypeError.
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { runInNewContext } from 'node:vm';
import { SEError, SEShapeError, SEStateError, SETypeError, SEWorkspace, createSEParams, seBackward, seForward } from '../src/core.js';
import type { SEOptions, SEParams } from '../src/core.js';
import { params64, refOptions, relativeError, seReference } from '../src/testing/index.js';
import { requireBuild } from './build.js';

const shape = [2, 6, 3, 4];
const size = 2 * 6 * 3 * 4;
const params = createSEParams({ channels: 6, hidden: 3, seed: 4 });
params.b1?.fill(0.1);
const xData = new Float32Array(size).map((_, i) => Math.sin(i * 0.7 + 0.3) * 2);
const dyData = new Float32Array(size).map((_, i) => Math.cos(i * 0.37));

function expectMatchesReference(y: ArrayLike<number>, x: ArrayLike<number>, xShape: number[], p: SEParams, options?: SEOptions): void {
  const ref = seReference(x, xShape, params64(p), refOptions(options));
  expect(relativeError(y, ref.y)).toBeLessThan(2e-6);
}

/** An object whose `key` getter returns `first` on its first read and `later` afterwards, counting reads. */
function changing<T extends object, K extends string, V>(base: T, key: K, first: V, later: V): T & Record<K, V> & { reads: number } {
  const o = { ...base, reads: 0 } as T & Record<K, V> & { reads: number };
  Object.defineProperty(o, key, {
    enumerable: true,
    get() {
      o.reads++;
      return o.reads === 1 ? first : later;
    },
  });
  return o;
}

interface Resizable extends ArrayBuffer {
  resize(n: number): void;
}
function resizable(bytes: number): Resizable {
  return Reflect.construct(ArrayBuffer, [bytes, { maxByteLength: bytes }]) as Resizable;
}

describe('each argument is read once, then validated, then used', () => {
  test('x.shape whose getter changes after the first read: read once, the result is for the first shape', () => {
    const x = changing({ data: xData }, 'shape', shape, [2, 6, 12, 1]);
    const { y } = seForward(x, params);
    expect(x.reads).toBe(1);
    expect(y.shape).toEqual(shape);
    expectMatchesReference(y.data, xData, shape, params);
  });

  test('a shape array behind a Proxy whose entries change on every read: each entry read once', () => {
    const reads = new Map<PropertyKey, number>();
    const proxied = new Proxy(shape.slice(), {
      get(target, key, receiver) {
        const n = (reads.get(key) ?? 0) + 1;
        reads.set(key, n);
        if (n > 1 && key === '2') return 99;
        return Reflect.get(target, key, receiver);
      },
    });
    const { y, cache } = seForward({ data: xData, shape: proxied }, params);
    expect([reads.get('0'), reads.get('1'), reads.get('2'), reads.get('3'), reads.get('length')]).toEqual([1, 1, 1, 1, 1]);
    expect(y.shape).toEqual(shape);
    expectMatchesReference(y.data, xData, shape, params);
    seBackward({ data: dyData, shape }, cache); // the cache holds the shape as read
  });

  test('stride and offset getters that change after validation', () => {
    const padded = new Float32Array(size + 8).fill(NaN);
    padded.set(xData, 8);
    const x = changing({ data: padded, shape, stride: [72, 12, 4, 1] }, 'offset', 8, 1_000_000);
    const { y } = seForward(x, params);
    expect(x.reads).toBe(1);
    expectMatchesReference(y.data, xData, shape, params);
  });

  test('params whose w1 and hidden getters change between reads', () => {
    const other = createSEParams({ channels: 6, hidden: 2, seed: 9 });
    let w1Reads = 0;
    let hiddenReads = 0;
    const p = {
      channels: 6,
      get hidden() {
        hiddenReads++;
        return hiddenReads === 1 ? 3 : 2;
      },
      get w1() {
        w1Reads++;
        return w1Reads === 1 ? params.w1 : other.w1;
      },
      b1: params.b1,
      w2: params.w2,
      b2: params.b2,
    };
    const { y, cache } = seForward({ data: xData, shape }, p);
    expect([w1Reads, hiddenReads]).toEqual([1, 1]);
    expectMatchesReference(y.data, xData, shape, params);
    const g = seBackward({ data: dyData, shape }, cache);
    expect(g.dw1.shape).toEqual([3, 6]);
  });

  test('options whose activation getter changes between reads', () => {
    let reads = 0;
    const options = {
      get activation() {
        reads++;
        return reads === 1 ? 'silu' : 'relu';
      },
    };
    const { y, cache } = seForward({ data: xData, shape }, params, options as SEOptions);
    expect(reads).toBe(1);
    expect(cache.options.activation).toBe('silu');
    expectMatchesReference(y.data, xData, shape, params, { activation: 'silu' });
  });

  test('a resizable buffer shrunk by a getter that runs after x.data was read: SEShapeError, not NaN output', () => {
    const buffer = resizable(size * 4);
    const data = new Float32Array(buffer); // length-tracking
    data.set(xData);
    const x = { data, shape, get offset() {
      buffer.resize(40);
      return 0;
    } };
    expect(() => seForward(x, params)).toThrow(SEShapeError);
    expect(() => seForward({ data, shape }, params)).toThrow(/x\.data has length 10/);
  });

  test('an options getter that shrinks x and the parameters after they were read: caught by the length checks', () => {
    const buffer = resizable(size * 4);
    const data = new Float32Array(buffer);
    data.set(xData);
    const options = { get gate() {
      buffer.resize(size * 2);
      return 'sigmoid';
    } };
    expect(() => seForward({ data, shape }, params, options as SEOptions)).toThrow(/x with shape \[2, 6, 3, 4\].*has length 72/);
    const wBuffer = resizable(18 * 4);
    const w1 = new Float32Array(wBuffer);
    w1.set(params.w1);
    const p = { ...params, w1 };
    const shrinkW = { get layout() {
      wBuffer.resize(8);
      return 'channels-first';
    } };
    expect(() => seForward({ data: xData, shape }, p, shrinkW as SEOptions)).toThrow(/params\.w1 has length 2 but/);
  });

  test('a resizable buffer that keeps its length works and agrees with a plain one', () => {
    const buffer = resizable(size * 4);
    const data = new Float32Array(buffer);
    data.set(xData);
    expect(Array.from(seForward({ data, shape }, params).y.data)).toEqual(Array.from(seForward({ data: xData, shape }, params).y.data));
  });

  test('a Float32Array subclass whose length lies is measured by its true length', () => {
    class Liar extends Float32Array {
      override get length(): number {
        return 1_000_000;
      }
    }
    const short = new Liar(10);
    expect(() => seForward({ data: short, shape }, params)).toThrow(/x\.data has length 10/);
    const full = new Liar(size);
    full.set(xData);
    const { y } = seForward({ data: full, shape }, params);
    expectMatchesReference(y.data, xData, shape, params);
    const p = { ...params, w2: Liar.from(params.w2) };
    expectMatchesReference(seForward({ data: xData, shape }, p).y.data, xData, shape, params);
  });

  test('a transparent Proxy around a Float32Array (as reactive UI state) is a clear SETypeError', () => {
    const proxied = new Proxy(xData, {});
    let error: unknown;
    try {
      seForward({ data: proxied, shape }, params);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SETypeError);
    expect(String(error)).toMatch(/seForward: x\.data must be a Float32Array/);
    expect(() => seForward({ data: xData, shape }, { ...params, w1: new Proxy(params.w1, {}) })).toThrow(SETypeError);
  });

  test('a detached buffer (transferred away) is an SEShapeError that says so, for x, params and output arrays', () => {
    // In a child process on the built package: detaching a buffer slows every typed-array loop of
    // the thread that does it (V8 drops a fast path), which must not leak into the other tests.
    requireBuild();
    const script = `
      const core = await import(${JSON.stringify(join(resolve(__dirname, '..'), 'dist/esm/core.js'))});
      const shape = [2, 6, 3, 4];
      const params = core.createSEParams({ channels: 6, hidden: 3 });
      const gone = (n) => { const a = new Float32Array(n); structuredClone(a.buffer, { transfer: [a.buffer] }); return a; };
      const out = [];
      for (const f of [
        () => core.seForward({ data: gone(144), shape }, params),
        () => core.seForward({ data: new Float32Array(144), shape }, { ...params, w1: gone(18) }),
        () => core.seForward({ data: new Float32Array(144), shape }, params, undefined, { y: gone(144) }),
      ]) { try { f(); out.push('no error'); } catch (e) { out.push(e.name + ': ' + e.message); } }
      process.stdout.write(JSON.stringify(out));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30000 })) as string[];
    expect(out[0]).toMatch(/^SEShapeError: seForward: x with shape \[2, 6, 3, 4\].*x\.data has length 0 \(its buffer is detached/);
    expect(out[1]).toMatch(/^SEShapeError: seForward: params\.w1 has length 0 but .* \(its buffer is detached/);
    expect(out[2]).toMatch(/^SEShapeError: seForward: buffers\.y has length 0 but needs 144 \(its buffer is detached/);
  });

  test('a Float32Array from another realm is accepted and gives the same result', () => {
    const foreign = runInNewContext('new Float32Array(n)', { n: size }) as Float32Array;
    for (let i = 0; i < size; i++) foreign[i] = xData[i];
    expect(Array.from(seForward({ data: foreign, shape }, params).y.data)).toEqual(Array.from(seForward({ data: xData, shape }, params).y.data));
  });
});

describe('outputs that overlap inputs', () => {
  const fwd = () => seForward({ data: xData.slice(), shape }, params);

  test('dx overlapping dy shifted by a few elements is refused, and dy is untouched', () => {
    const { cache } = fwd();
    const buf = new Float32Array(size + 3);
    buf.set(dyData);
    const before = buf.slice();
    const dy = { data: buf.subarray(0, size), shape };
    expect(() => seBackward(dy, cache, { dx: buf.subarray(3, size + 3) })).toThrow(SEStateError);
    expect(() => seBackward({ data: buf, shape, offset: 3 }, cache, { dx: buf.subarray(0, size) })).toThrow(/overlaps dy\.data without being exactly dy/);
    expect(Array.from(buf)).toEqual(Array.from(before));
  });

  test('dx exactly dy (in place, also at an offset) gives the same gradients as a separate dx', () => {
    const { cache } = fwd();
    const separate = seBackward({ data: dyData, shape }, cache);
    const buf = new Float32Array(size + 5);
    buf.set(dyData, 5);
    const g = seBackward({ data: buf, shape, offset: 5 }, cache, { dx: buf.subarray(5) });
    expect(g.dx.data.buffer).toBe(buf.buffer);
    expect(g.dx.data.byteOffset).toBe(20);
    expect(Array.from(buf.subarray(5))).toEqual(Array.from(separate.dx.data));
    expect(Array.from(g.dw1.data)).toEqual(Array.from(separate.dw1.data));
  });

  test('dx over the same memory as a strided dy is refused (the elements are not in the same places)', () => {
    const { cache } = fwd();
    const buf = dyData.slice();
    const strided = { data: buf, shape, stride: [72, 12, 1, 3] };
    expect(() => seBackward(strided, cache, { dx: buf })).toThrow(SEStateError);
  });

  test('y overlapping x or a parameter, and a weight gradient overlapping the cache, are refused', () => {
    const big = new Float32Array(size * 2);
    big.set(xData);
    expect(() => seForward({ data: big.subarray(0, size), shape }, params, undefined, { y: big.subarray(size - 1, 2 * size - 1) })).toThrow(/buffers\.y overlaps/);
    expect(seForward({ data: big.subarray(0, size), shape }, params, undefined, { y: big.subarray(size) }).y.data).toBeTruthy();
    const { cache } = seForward({ data: xData, shape }, params);
    expect(() => seBackward({ data: dyData, shape }, cache, { dw1: params.w1 })).toThrow(/buffers\.dw1 overlaps params\.w1, which the call reads/);
  });
});

describe('one call at a time per workspace', () => {
  test('a seForward nested in an options getter, on the same workspace: the inner call throws SEStateError and the outer is right', () => {
    const workspace = new SEWorkspace();
    const other = { data: new Float32Array(size).fill(3), shape };
    let inner: unknown;
    const options = {
      get gate() {
        try {
          seForward(other, params, undefined, { workspace });
        } catch (e) {
          inner = e;
        }
        return 'sigmoid';
      },
    };
    const { y } = seForward({ data: xData, shape }, params, options as SEOptions, { workspace });
    expect(inner).toBeInstanceOf(SEStateError);
    expect(String(inner)).toMatch(/the workspace is in use by a seForward that has not returned/);
    expectMatchesReference(y.data, xData, shape, params);
  });

  test('a seBackward nested in a Proxy trap of the parameters, on the same workspace, is refused too', () => {
    const workspace = new SEWorkspace();
    const first = seForward({ data: xData, shape }, params, undefined, { workspace });
    const saved = Float32Array.from(first.y.data);
    let inner: unknown;
    const p = new Proxy(params, {
      get(target, key, receiver) {
        if (key === 'w2') {
          try {
            seBackward({ data: dyData, shape }, first.cache, { workspace });
          } catch (e) {
            inner = e;
          }
        }
        return Reflect.get(target, key, receiver);
      },
    });
    const again = seForward({ data: xData, shape }, p, undefined, { workspace });
    expect(inner).toBeInstanceOf(SEStateError);
    expect(Array.from(again.y.data)).toEqual(Array.from(saved));
  });

  test('after an error the workspace is free again', () => {
    const workspace = new SEWorkspace();
    expect(() => seForward({ data: xData, shape: [2, 5, 3, 4] }, params, undefined, { workspace })).toThrow(SEShapeError);
    expect(() => seForward({ data: xData, shape }, params, undefined, { workspace })).not.toThrow();
  });
});

describe('caches and workspaces are recognised by identity', () => {
  test('a Proxy of a cache or of a workspace is an SETypeError naming what to pass', () => {
    const workspace = new SEWorkspace();
    const { cache } = seForward({ data: xData, shape }, params);
    expect(() => seBackward({ data: dyData, shape }, new Proxy(cache, {}))).toThrow(/cache must be the cache returned by seForward \(the object itself/);
    expect(() => seForward({ data: xData, shape }, params, undefined, { workspace: new Proxy(workspace, {}) })).toThrow(
      /buffers\.workspace must be an SEWorkspace \(the object itself/,
    );
    expect(() => seBackward({ data: dyData, shape }, { ...cache } as typeof cache)).toThrow(SETypeError);
  });

  test("a workspace's cache describes its latest forward; backward with it uses that forward", () => {
    const workspace = new SEWorkspace();
    const other = createSEParams({ channels: 6, hidden: 2, seed: 1 });
    const a = seForward({ data: xData, shape }, params, undefined, { workspace });
    const b = seForward({ data: xData, shape }, other, undefined, { workspace });
    expect(a.cache).toBe(b.cache);
    const g = seBackward({ data: dyData, shape }, a.cache);
    const fresh = seBackward({ data: dyData, shape }, seForward({ data: xData, shape }, other).cache);
    expect(Array.from(g.dw1.data)).toEqual(Array.from(fresh.dw1.data));
  });

  test('a forward that fails leaves the previous cache of the workspace usable', () => {
    const workspace = new SEWorkspace();
    const { cache } = seForward({ data: xData, shape }, params, undefined, { workspace });
    const want = Array.from(seBackward({ data: dyData, shape }, cache).dx.data);
    expect(() => seForward({ data: xData, shape }, params, undefined, { workspace, y: new Float32Array(3) })).toThrow(SEShapeError);
    expect(Array.from(seBackward({ data: dyData, shape }, cache).dx.data)).toEqual(want);
  });

  test("misuse gives an SEError; an exception thrown by the caller's own trap passes through unchanged", () => {
    const thrown = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return e;
      }
      return null;
    };
    expect(thrown(() => seForward({ data: new Proxy(xData, {}), shape }, params))).toBeInstanceOf(SEError);
    expect(thrown(() => seBackward({ data: dyData, shape }, {} as never))).toBeInstanceOf(SEError);
    const trap = new RangeError('trap');
    const hostile = new Proxy([2, 6, 3, 4], {
      get: () => {
        throw trap;
      },
    });
    expect(thrown(() => seForward({ data: xData, shape: hostile }, params))).toBe(trap);
  });
});
