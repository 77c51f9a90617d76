/**
 * The autograd tape: every op's gradient against float64 central differences of an independent
 * float64 reference (fast-check properties over random shapes), gradient accumulation, the
 * tape's rules and its per-op shape assertion.
 */
import { fc, test as propTest } from '@fast-check/jest';
import {
  SEShapeError,
  SEStateError,
  SETypeError,
  Tape,
  activation,
  add,
  biasAdd,
  channelScale,
  globalAvgPool,
  globalMaxPool,
  linear,
  matmul,
  mean,
  mul,
  relu,
  scale,
  sigmoid,
  sum,
  type Variable,
} from '../src/core.js';
import {
  GRADIENT_ERROR_FLOOR,
  geometry,
  gradCheck,
  kinks,
  nonlinearity,
  seededUniform,
  uniformFloat32,
  type Layout,
} from '../src/testing/index.js';

/** Forward: float32 storage of float64 sums (max abs error / max abs value). */
const FORWARD_TOL = 2e-6;
/** Gradients: max abs error / max(max abs value, GRADIENT_ERROR_FLOOR), as gradientError. */
const GRAD_TOL = 2e-5;

interface Input {
  data: Float32Array;
  shape: number[];
}

/** A tensor of `shape` with values uniform in [lo, hi) from `seed`. */
function randomInput(shape: number[], seed: number, lo = -1, hi = 1): Input {
  return { data: uniformFloat32(shape.reduce((a, b) => a * b, 1), seededUniform(seed), lo, hi), shape };
}

/**
 * gradCheck of the tape op `build` at `inputs` against central differences of the float64
 * `reference` (upstream gradient drawn from `seed`); fails with gradCheck's message, which names
 * the worst element, or with the forward error.
 */
function expectGradCheck(inputs: Input[], build: (vars: Variable[]) => Variable, reference: (values: Float64Array[]) => ArrayLike<number>, seed: number): void {
  const r = gradCheck(build, inputs, { reference, seed, tolerance: GRAD_TOL, forwardTolerance: FORWARD_TOL, floor: GRADIENT_ERROR_FLOOR });
  if (!r.ok) throw new Error(r.message);
  expect(r.forwardError).toBeLessThanOrEqual(FORWARD_TOL);
}

const dim = fc.integer({ min: 1, max: 5 });
const seedArb = fc.integer({ min: 1, max: 1e9 });

describe('tape ops against float64 central differences', () => {
  propTest.prop([dim, dim, dim, fc.boolean(), fc.boolean(), seedArb])('matmul with transpose flags', (M, N, K, tA, tB, seed) => {
    const a = randomInput(tA ? [K, M] : [M, K], seed);
    const b = randomInput(tB ? [N, K] : [K, N], seed + 1);
    const ref = ([av, bv]: Float64Array[]) => {
      const out = new Float64Array(M * N);
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++)
          for (let k = 0; k < K; k++) out[i * N + j] += (tA ? av[k * M + i] : av[i * K + k]) * (tB ? bv[j * K + k] : bv[k * N + j]);
      return out;
    };
    expectGradCheck([a, b], ([x, y]) => matmul(x, y, tA, tB), ref, seed);
  });

  propTest.prop([dim, dim, dim, fc.boolean(), seedArb])('linear (x W^T + b)', (B, I, O, bias, seed) => {
    const inputs = [randomInput([B, I], seed), randomInput([O, I], seed + 1)];
    if (bias) inputs.push(randomInput([O], seed + 2));
    const ref = ([x, w, b]: Float64Array[]) => {
      const out = new Float64Array(B * O);
      for (let r = 0; r < B; r++)
        for (let o = 0; o < O; o++) {
          let acc = b === undefined ? 0 : b[o];
          for (let i = 0; i < I; i++) acc += x[r * I + i] * w[o * I + i];
          out[r * O + o] = acc;
        }
      return out;
    };
    expectGradCheck(inputs, ([x, w, b]) => linear(x, w, b ?? null), ref, seed);
  });

  propTest.prop([dim, dim, seedArb])('biasAdd', (rows, cols, seed) => {
    const ref = ([x, b]: Float64Array[]) => x.map((v, i) => v + b[i % cols]);
    expectGradCheck([randomInput([rows, cols], seed), randomInput([cols], seed + 1)], ([x, b]) => biasAdd(x, b), ref, seed);
  });

  propTest.prop([fc.constantFrom('relu', 'sigmoid', 'silu', 'gelu', 'geluTanh', 'tanh', 'hardSigmoid', 'identity' as const), dim, dim, seedArb])(
    'elementwise nonlinearities',
    (kind, r, c, seed) => {
      const x = randomInput([r, c], seed, -5, 5);
      // Keep away from kinks, where finite differences are meaningless.
      fc.pre(kinks(kind).every((k) => x.data.every((v) => Math.abs(v - k) > 1e-3)));
      const ref = ([v]: Float64Array[]) => v.map((t) => nonlinearity(kind, t));
      expectGradCheck([x], ([v]) => activation(v, kind), ref, seed);
    },
  );

  const layoutArb = fc.constantFrom<Layout>('channels-first', 'channels-last');
  const spatialArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 });
  const shapeOf = (N: number, C: number, sp: number[], layout: Layout) => (layout === 'channels-first' ? [N, C, ...sp] : [N, ...sp, C]);

  propTest.prop([dim, dim, spatialArb, layoutArb, seedArb])('globalAvgPool', (N, C, sp, layout, seed) => {
    const shape = shapeOf(N, C, sp, layout);
    const ref = ([x]: Float64Array[]) => {
      const { S, index } = geometry(shape, layout);
      const out = new Float64Array(N * C);
      for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let s = 0; s < S; s++) out[n * C + c] += x[index(n, c, s)] / S;
      return out;
    };
    expectGradCheck([randomInput(shape, seed)], ([x]) => globalAvgPool(x, layout), ref, seed);
  });

  propTest.prop([dim, dim, spatialArb, layoutArb, seedArb])('globalMaxPool (no ties)', (N, C, sp, layout, seed) => {
    const shape = shapeOf(N, C, sp, layout);
    const x = randomInput(shape, seed);
    const sorted = Array.from(x.data).sort((a, b) => a - b);
    fc.pre(sorted.every((v, i) => i === 0 || v - sorted[i - 1] > 1e-4));
    const ref = ([v]: Float64Array[]) => {
      const { S, index } = geometry(shape, layout);
      const out = new Float64Array(N * C).fill(-Infinity);
      for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let s = 0; s < S; s++) out[n * C + c] = Math.max(out[n * C + c], v[index(n, c, s)]);
      return out;
    };
    expectGradCheck([x], ([v]) => globalMaxPool(v, layout), ref, seed);
  });

  propTest.prop([dim, dim, spatialArb, layoutArb, seedArb])('channelScale', (N, C, sp, layout, seed) => {
    const shape = shapeOf(N, C, sp, layout);
    const ref = ([x, s]: Float64Array[]) => {
      const { S, index } = geometry(shape, layout);
      const out = new Float64Array(x.length);
      for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let q = 0; q < S; q++) out[index(n, c, q)] = x[index(n, c, q)] * s[n * C + c];
      return out;
    };
    expectGradCheck([randomInput(shape, seed), randomInput([N, C], seed + 1)], ([x, s]) => channelScale(x, s, layout), ref, seed);
  });

  propTest.prop([dim, dim, seedArb])('add, mul, scale', (r, c, seed) => {
    const a = randomInput([r, c], seed);
    const b = randomInput([r, c], seed + 1);
    expectGradCheck([a, b], ([x, y]) => add(x, y), ([x, y]) => x.map((v, i) => v + y[i]), seed);
    expectGradCheck([a, b], ([x, y]) => mul(x, y), ([x, y]) => x.map((v, i) => v * y[i]), seed);
    expectGradCheck([a], ([x]) => scale(x, -1.75), ([x]) => x.map((v) => -1.75 * v), seed);
  });

  propTest.prop([dim, dim, seedArb])('sum and mean', (r, c, seed) => {
    const a = randomInput([r, c], seed);
    const total = (x: Float64Array) => x.reduce((p, v) => p + v, 0);
    expectGradCheck([a], ([x]) => sum(x), ([x]) => [total(x)], seed);
    expectGradCheck([a], ([x]) => mean(x), ([x]) => [total(x) / x.length], seed);
  });
});

describe('gradient accumulation', () => {
  test('a variable used twice gets both contributions', () => {
    const t = new Tape();
    const x = t.variable({ data: new Float32Array([1, -2, 3]), shape: [3] });
    // loss = sum(x * x + x) => dloss/dx = 2x + 1
    t.backward(sum(add(mul(x, x), x)));
    expect(Array.from(x.grad!)).toEqual([3, -3, 7]);
  });

  test('a residual unit y = x + relu(x) * 2 accumulates both paths', () => {
    const t = new Tape();
    const x = t.variable({ data: new Float32Array([0.5, -1, 2]), shape: [3] });
    t.backward(sum(add(x, scale(relu(x), 2))));
    expect(Array.from(x.grad!)).toEqual([3, 1, 3]);
  });

  test('constants get no gradient and ops on constants only are not recorded', () => {
    const t = new Tape();
    const c = t.constant({ data: new Float32Array([1, 2]), shape: [2] });
    const v = t.variable({ data: new Float32Array([3, 4]), shape: [2] });
    const cc = sigmoid(c);
    expect(t.length).toBe(0);
    t.backward(sum(mul(cc, v)));
    expect(c.grad).toBeNull();
    expect(v.grad).not.toBeNull();
  });
});

describe('tape rules', () => {
  function simpleTape(): { t: Tape; loss: Variable } {
    const t = new Tape();
    const x = t.variable({ data: new Float32Array([1, 2]), shape: [2] });
    return { t, loss: sum(x) };
  }

  test('backward runs once; recording or backward afterwards throws SEStateError', () => {
    const { t, loss } = simpleTape();
    t.backward(loss);
    expect(t.finished).toBe(true);
    expect(() => t.backward(loss)).toThrow(SEStateError);
    expect(() => sum(loss)).toThrow(/already run backward/);
    expect(() => t.variable({ data: new Float32Array(1), shape: [1] })).toThrow(SEStateError);
  });

  test('variables of different tapes do not mix', () => {
    const a = new Tape().variable({ data: new Float32Array([1]), shape: [1] });
    const b = new Tape().variable({ data: new Float32Array([1]), shape: [1] });
    expect(() => add(a, b)).toThrow(SEStateError);
    expect(() => add(a, b)).toThrow(/different tape/);
  });

  test('a non-scalar loss needs a seed of its shape', () => {
    const t = new Tape();
    const x = t.variable({ data: new Float32Array([1, 2]), shape: [2] });
    const y = scale(x, 3);
    expect(() => t.backward(y)).toThrow(SEShapeError);
    expect(() => t.backward(y, { data: new Float32Array(3), shape: [3] })).toThrow(/seed has shape \[3\] but loss has shape \[2\]/);
    t.backward(y, { data: new Float32Array([1, -1]), shape: [2] });
    expect(Array.from(x.grad!)).toEqual([3, -3]);
  });

  test('the shape assertion after each backward step names the op', () => {
    const t = new Tape();
    const x = t.variable({ data: new Float32Array([1, 2, 3]), shape: [3] });
    const bad = t.record('myBrokenOp', [x], new Float32Array([6]), [1], [], () => [new Float32Array(2)]);
    expect(() => t.backward(bad)).toThrow(SEShapeError);
    const t2 = new Tape();
    const x2 = t2.variable({ data: new Float32Array([1, 2, 3]), shape: [3] });
    const bad2 = t2.record('myBrokenOp', [x2], new Float32Array([6]), [1], [], () => [new Float32Array(2)]);
    expect(() => t2.backward(bad2)).toThrow(
      /^Tape\.backward: the backward of op "myBrokenOp" \(record 1 of 1\) returned a Float32Array\(2\) as the gradient of input 0 \("variable", shape \[3\]\); expected a Float32Array\(3\)$/,
    );
  });

  test('ops check shapes and types at the boundary', () => {
    const t = new Tape();
    const a = t.variable({ data: new Float32Array(6), shape: [2, 3] });
    const b = t.variable({ data: new Float32Array(8), shape: [4, 2] });
    expect(() => matmul(a, b)).toThrow(/matmul: inner sizes differ/);
    expect(() => add(a, b)).toThrow(/add: a has shape \[2, 3\] but b has shape \[4, 2\]/);
    expect(() => relu({} as Variable)).toThrow(SETypeError);
    expect(() => globalAvgPool(a)).toThrow(/globalAvgPool: x must have rank 3 to 8/);
  });

  test('a leaf shares a dense buffer and copies any other view; ops never write to it', () => {
    const t = new Tape();
    const data = new Float32Array([1, 2, 3, 4]);
    const shared = t.variable({ data, shape: [2, 2] });
    const view = t.variable({ data, shape: [2, 2], stride: [1, 2] });
    expect(shared.data).toBe(data);
    expect(Array.from(view.data)).toEqual([1, 3, 2, 4]);
    t.backward(sum(mul(shared, view)));
    expect(Array.from(data)).toEqual([1, 2, 3, 4]);
  });
});
