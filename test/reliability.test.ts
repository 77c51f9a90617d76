/**
 * Reliability: the cache rule, NaN/Infinity propagation, determinism, size limits, a flat heap
 * over many calls, and inputs never modified.
 */
import { test as propTest } from '@fast-check/jest';
import {
  SEShapeError,
  SEStateError,
  Tape,
  createSEParams,
  globalMaxPool,
  relu,
  seBackward,
  seForward,
  sigmoid,
  sum,
  channelScale,
  globalAvgPool,
} from '../src/core.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { seCaseArbitrary, seededCase, type SECaseSample } from '../src/testing/index.js';

/** A case's arrays and shape, flattened for the tests below. */
function flat(c: SECaseSample) {
  return { x: c.x.data, dy: c.dy.data, shape: c.x.shape, params: c.params, options: c.options };
}

function baseCase() {
  return flat(seededCase({ N: 3, C: 6, R: 2, spatial: [4, 3], bias: true, seed: 5 }));
}

/** Random sizes, spatial rank 1-3, bias on/off, every variant. */
const anyCase = seCaseArbitrary().map(flat);

describe('the cache rule', () => {
  test('changing a parameter in place between forward and backward is an SEStateError naming it', () => {
    const c = baseCase();
    const { cache } = seForward({ data: c.x, shape: c.shape }, c.params);
    for (let i = 0; i < c.params.w2.length; i++) c.params.w2[i] -= 0.01 * (i + 1); // an optimizer step
    expect(() => seBackward({ data: c.dy, shape: c.shape }, cache)).toThrow(SEStateError);
    expect(() => seBackward({ data: c.dy, shape: c.shape }, cache)).toThrow(/^seBackward: params\.w2 changed since the seForward/);
  });

  test('reusing the input buffer for the next batch is an SEStateError naming x.data', () => {
    const c = baseCase();
    const { cache } = seForward({ data: c.x, shape: c.shape }, c.params);
    c.x.set(c.dy); // the caller refills its input buffer
    expect(() => seBackward({ data: c.dy, shape: c.shape }, cache)).toThrow(/x\.data changed/);
  });

  test('replacing params.w1 with a new array keeps the forward-time weights in the cache', () => {
    const c = baseCase();
    const { cache } = seForward({ data: c.x, shape: c.shape }, c.params);
    const before = seBackward({ data: c.dy, shape: c.shape }, cache);
    c.params.w1 = new Float32Array(c.params.w1.length);
    const after = seBackward({ data: c.dy, shape: c.shape }, cache);
    expect(after.dx.data).toEqual(before.dx.data);
  });

  test('a strided x is copied, so the cache does not depend on the caller buffer', () => {
    const c = baseCase();
    // A transposed (non-contiguous) view of the same values.
    const [N, C, H, W] = c.shape;
    const x = { data: c.x, shape: [N, C, W, H], stride: [C * H * W, H * W, 1, W] };
    const { cache } = seForward(x, c.params);
    c.x.fill(0);
    expect(() => seBackward({ data: c.dy, shape: [N, C, W, H] }, cache)).not.toThrow();
  });
});

describe('NaN and Infinity propagate to what they touch and nowhere else', () => {
  test.each(['avg', 'max', 'avgmax'] as const)('a NaN in x (squeeze %s) makes that sample NaN, others finite', (squeeze) => {
    const c = baseCase();
    const per = c.x.length / 3;
    c.x[per + 5] = Number.NaN; // sample 1
    const { y, cache } = seForward({ data: c.x, shape: c.shape }, c.params, { squeeze });
    expect(y.data.subarray(per, 2 * per).every(Number.isNaN)).toBe(true);
    expect(y.data.subarray(0, per).every(Number.isFinite)).toBe(true);
    expect(y.data.subarray(2 * per).every(Number.isFinite)).toBe(true);
    const g = seBackward({ data: c.dy, shape: c.shape }, cache);
    expect(g.dx.data.subarray(0, per).every(Number.isFinite)).toBe(true);
    expect(g.dx.data.subarray(per, 2 * per).some(Number.isNaN)).toBe(true);
    expect(g.dw1.data.some(Number.isNaN)).toBe(true); // summed over the batch
  });

  test('Infinity in x is not replaced: the sample is non-finite, others finite', () => {
    const c = baseCase();
    const per = c.x.length / 3;
    c.x[3] = Number.POSITIVE_INFINITY;
    const { y } = seForward({ data: c.x, shape: c.shape }, c.params);
    expect(y.data.subarray(0, per).some((v) => !Number.isFinite(v))).toBe(true);
    expect(y.data.subarray(per).every(Number.isFinite)).toBe(true);
  });

  test('a NaN in dy reaches dx of its sample and the weight gradients only', () => {
    const c = baseCase();
    const per = c.x.length / 3;
    c.dy[2 * per + 1] = Number.NaN;
    const { cache } = seForward({ data: c.x, shape: c.shape }, c.params);
    const g = seBackward({ data: c.dy, shape: c.shape }, cache);
    expect(g.dx.data.subarray(0, 2 * per).every(Number.isFinite)).toBe(true);
    expect(g.dx.data.subarray(2 * per).every(Number.isNaN)).toBe(true);
    expect(g.dw2.data.some(Number.isNaN)).toBe(true);
  });

  test('large finite gate inputs saturate without NaN', () => {
    const p = createSEParams({ channels: 2, hidden: 1, bias: true });
    p.w1.set([1e4, 1e4]);
    p.w2.set([1e4, -1e4]);
    const { y, cache } = seForward({ data: new Float32Array([1, 2, 3, 4]), shape: [1, 2, 2] }, p);
    expect(Array.from(y.data)).toEqual([1, 2, 0, 0]);
    const g = seBackward({ data: new Float32Array([1, 1, 1, 1]), shape: [1, 2, 2] }, cache);
    expect(g.dx.data.every(Number.isFinite)).toBe(true);
  });

  test('tape ops: relu, sigmoid, max pool and channel scale keep NaN', () => {
    const t = new Tape();
    const x = t.variable({ data: new Float32Array([1, Number.NaN, -2, 3]), shape: [1, 2, 2] });
    expect(Number.isNaN(relu(x).data[1])).toBe(true);
    expect(Number.isNaN(sigmoid(x).data[1])).toBe(true);
    const m = globalMaxPool(x);
    expect(Number.isNaN(m.data[0])).toBe(true);
    expect(m.data[1]).toBe(3);
    expect(Number.isNaN(globalAvgPool(x).data[0])).toBe(true);
    const s = channelScale(x, t.variable({ data: new Float32Array([2, 0.5]), shape: [1, 2] }));
    expect(Number.isNaN(s.data[1]) && s.data[0] === 2 && s.data[3] === 1.5).toBe(true);
    t.backward(sum(s));
    expect(Number.isNaN(x.grad![0])).toBe(false);
  });
});

describe('determinism', () => {
  propTest.prop([anyCase], { numRuns: 40 })('identical inputs give bit-identical outputs', (c) => {
    const a = seForward({ data: c.x, shape: c.shape }, c.params, c.options);
    const b = seForward({ data: c.x.slice(), shape: c.shape }, c.params, c.options);
    expect(new Uint32Array(b.y.data.buffer)).toEqual(new Uint32Array(a.y.data.buffer));
    const ga = seBackward({ data: c.dy, shape: c.shape }, a.cache);
    const gb = seBackward({ data: c.dy.slice(), shape: c.shape }, b.cache);
    expect(new Uint32Array(gb.dx.data.buffer)).toEqual(new Uint32Array(ga.dx.data.buffer));
    expect(new Uint32Array(gb.dw1.data.buffer)).toEqual(new Uint32Array(ga.dw1.data.buffer));
    expect(new Uint32Array(gb.dw2.data.buffer)).toEqual(new Uint32Array(ga.dw2.data.buffer));
  });
});

describe('size limits', () => {
  test('parameters too large for a typed array: SEShapeError, not a RangeError', () => {
    expect(() => createSEParams({ channels: 2 ** 20, hidden: 2 ** 14 })).toThrow(SEShapeError);
    expect(() => createSEParams({ channels: 2 ** 20, hidden: 2 ** 14 })).toThrow(/cannot allocate w1 of 17179869184 float32 values \(64 GiB\)/);
  });

  test('an input view of more elements than a Float32Array can hold: SEShapeError', () => {
    // A broadcast (stride 0) view of 2^33 elements over one value: valid to read, too large to output.
    const x = { data: new Float32Array(1), shape: [1, 1, 2 ** 33], stride: [0, 0, 0] };
    const p = createSEParams({ channels: 1, hidden: 1 });
    expect(() => seForward(x, p)).toThrow(SEShapeError);
    expect(() => seForward(x, p)).toThrow(/seForward: cannot allocate/);
  });

  test('shapes whose element count is not a safe integer are rejected up front', () => {
    const x = { data: new Float32Array(1), shape: [2 ** 30, 2 ** 30, 2 ** 30], stride: [0, 0, 0] };
    expect(() => seForward(x, createSEParams({ channels: 4, hidden: 1 }))).toThrow(/has 1\.2379400392853803e\+27 elements, more than can be counted exactly/);
  });
});

describe('memory', () => {
  test('100,000 forward + backward calls on a small block keep the heap flat', () => {
    const c = flat(seededCase({ N: 1, C: 8, R: 2, spatial: [2, 2], bias: true, seed: 3 }));
    const x = { data: c.x, shape: c.shape };
    const dy = { data: c.dy, shape: c.shape };
    const run = (n: number) => {
      for (let i = 0; i < n; i++) seBackward(dy, seForward(x, c.params).cache);
    };
    run(5000); // warm up the JIT and the heap
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    run(100000);
    gc();
    const growth = process.memoryUsage().heapUsed - before;
    // Garbage is short-lived; a leak of even 100 bytes per call would be 10 MB.
    expect(growth).toBeLessThan(8 * 1024 * 1024);
  });
});

describe('inputs are never modified (random valid calls)', () => {
  propTest.prop([anyCase], { numRuns: 40 })('fused and tape', (c) => {
    const arrays = [c.x, c.dy, c.params.w1, c.params.w2, c.params.b1, c.params.b2];
    const before = arrays.map((a) => (a === null ? null : new Uint32Array(a.slice().buffer)));
    const { cache } = seForward({ data: c.x, shape: c.shape }, c.params, c.options);
    seBackward({ data: c.dy, shape: c.shape }, cache);
    const t = new Tape();
    const xv = t.variable({ data: c.x, shape: c.shape });
    t.backward(sum(relu(xv)));
    expect(arrays.map((a) => (a === null ? null : new Uint32Array(a.slice().buffer)))).toEqual(before);
  });
});
