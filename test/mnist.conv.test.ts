/**
 * The MNIST example's own tape ops (examples/mnist): the convolution (with and without its fused
 * ReLU, strides 1 and 2, with and without bias) and 2x2 max pooling, each checked with
 * se-kernels/testing's gradCheck against float64 central differences of an independent float64
 * reference, over random shapes (fast-check); the register-blocked gemm against a float64 product
 * with random strides; im2col and col2im as adjoints; and the off-tape forward equal to the tape's.
 */
import { fc, test as propTest } from '@fast-check/jest';
import { SEShapeError, SETypeError, Tape, type Variable } from '../src/core.js';
import { GRADIENT_ERROR_FLOOR, gradCheck, seededUniform, uniformFloat32 } from '../src/testing/index.js';
import { ConvScratch, col2imAdd, conv2d, convGeometry, im2col } from '../examples/mnist/conv.js';
import { gemm } from '../examples/mnist/gemm.js';
import { MnistNet } from '../examples/mnist/model.js';
import { batchNorm2d } from '../examples/mnist/norm.js';
import { maxPool2d } from '../examples/mnist/pool.js';
import { expectError } from './expectError.js';

/** Forward: float32 storage of float64 sums. */
const FORWARD_TOL = 2e-6;
/** Gradients: max abs error / max(max abs value, GRADIENT_ERROR_FLOOR). */
const GRAD_TOL = 2e-5;

interface Input {
  data: Float32Array;
  shape: number[];
}

function randomInput(shape: number[], rand: () => number, lo = -1, hi = 1): Input {
  return { data: uniformFloat32(shape.reduce((a, b) => a * b, 1), rand, lo, hi), shape };
}

function expectGradCheck(
  inputs: Input[],
  build: (vars: Variable[]) => Variable,
  reference: (values: Float64Array[]) => ArrayLike<number>,
  seed: number,
  forwardTolerance = FORWARD_TOL,
): void {
  const r = gradCheck(build, inputs, { reference, seed, tolerance: GRAD_TOL, forwardTolerance, floor: GRADIENT_ERROR_FLOOR });
  if (!r.ok) throw new Error(r.message);
}

/** Pre-activations of a convolution in float64, from the definition (out of range = zero padding). */
function convReference(
  x: Float64Array,
  w: Float64Array,
  b: Float64Array | undefined,
  [N, C, H, W]: number[],
  F: number,
  k: number,
  stride: number,
  pad: number,
): { out: Float64Array; Ho: number; Wo: number } {
  const Ho = Math.floor((H + 2 * pad - k) / stride) + 1;
  const Wo = Math.floor((W + 2 * pad - k) / stride) + 1;
  const out = new Float64Array(N * F * Ho * Wo);
  for (let n = 0; n < N; n++)
    for (let f = 0; f < F; f++)
      for (let oy = 0; oy < Ho; oy++)
        for (let ox = 0; ox < Wo; ox++) {
          let acc = b === undefined ? 0 : b[f];
          for (let c = 0; c < C; c++)
            for (let ky = 0; ky < k; ky++)
              for (let kx = 0; kx < k; kx++) {
                const iy = oy * stride + ky - pad;
                const ix = ox * stride + kx - pad;
                if (iy >= 0 && iy < H && ix >= 0 && ix < W) acc += w[((f * C + c) * k + ky) * k + kx] * x[((n * C + c) * H + iy) * W + ix];
              }
          out[((n * F + f) * Ho + oy) * Wo + ox] = acc;
        }
  return { out, Ho, Wo };
}

/**
 * gradCheck's forward bound (max |out - ref| / max(max |ref|, 1e-6)) for one convolution case, by
 * construction: conv2dForward rounds the float64 sum sum(w x) to float32 (gemm's storage), then
 * adds the bias in float32 and rounds again, so |out - pre| <= u (sum |w x| + |pre|) per element
 * (u = 2^-24; the ReLU is 1-Lipschitz). Where the bias cancels the sum, that is many ulps of
 * the output; a fixed relative bound failed by chance there (fuzz seed 512870705: N 2, C 1, F 1,
 * 3x5 image, k 3, stride 2, bias and ReLU, forward error 1.12e-5 against 2e-6). Twice the bound
 * covers the float64 sum's own rounding.
 */
function convForwardTolerance(inputs: Input[], pre: (v: Float64Array[]) => Float64Array, reference: (v: Float64Array[]) => ArrayLike<number>): number {
  const values = inputs.map((i) => Float64Array.from(i.data));
  const pre64 = pre(values);
  const magnitude = pre(values.slice(0, 2).map((v) => v.map(Math.abs))); // sum |w x|, no bias
  const ref = reference(values);
  let worst = 0;
  let scale = 1e-6; // relativeError's floor, as gradCheck uses it
  for (let i = 0; i < pre64.length; i++) {
    worst = Math.max(worst, magnitude[i] + Math.abs(pre64[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return (2 * 2 ** -24 * worst) / scale;
}

const seedArb = fc.integer({ min: 1, max: 1e9 });
const convCase = fc.record({
  N: fc.integer({ min: 1, max: 3 }),
  C: fc.integer({ min: 1, max: 3 }),
  F: fc.integer({ min: 1, max: 6 }),
  H: fc.integer({ min: 3, max: 7 }),
  W: fc.integer({ min: 3, max: 7 }),
  k: fc.constantFrom(1, 3),
  stride: fc.constantFrom(1, 2),
  bias: fc.boolean(),
  relu: fc.boolean(),
  groupColumns: fc.integer({ min: 1, max: 64 }),
  seed: seedArb,
});

type ConvCase = typeof convCase extends fc.Arbitrary<infer T> ? T : never;

/** One convolution case of the property below (fc.pre skips cases too close to the ReLU's kink). */
function checkConvCase(t: ConvCase): void {
  const rand = seededUniform(t.seed);
  const pad = (t.k - 1) / 2;
  const shape = [t.N, t.C, t.H, t.W];
  const inputs = [randomInput(shape, rand), randomInput([t.F, t.C, t.k, t.k], rand)];
  if (t.bias) inputs.push(randomInput([t.F], rand));
  const pre = (v: Float64Array[]) => convReference(v[0], v[1], v[2], shape, t.F, t.k, t.stride, pad).out;
  if (t.relu) {
    // Away from the ReLU's kink, where a central difference means nothing.
    const values = inputs.map((i) => Float64Array.from(i.data));
    fc.pre(pre(values).every((v) => Math.abs(v) > 1e-3));
  }
  const reference = (v: Float64Array[]) => (t.relu ? pre(v).map((u) => Math.max(0, u)) : pre(v));
  const scratch = new ConvScratch(t.groupColumns);
  expectGradCheck(inputs, ([x, w, b]) => conv2d(x, w, b ?? null, { stride: t.stride, pad, relu: t.relu, scratch }), reference, t.seed, convForwardTolerance(inputs, pre, reference));
}

describe('conv2d on the tape', () => {
  propTest.prop([convCase])('gradients of x, w, b against float64 central differences (kernel 1 or 3, stride 1 or 2, bias, fused ReLU, images in groups)', (t) => {
    checkConvCase(t);
  });

  test('regression: bias cancelling the sum (fuzz seed 512870705), forward within its rounding bound', () => {
    checkConvCase({ N: 2, C: 1, F: 1, H: 3, W: 5, k: 3, stride: 2, bias: true, relu: true, groupColumns: 1, seed: 745352358 });
  });

  test('a hand-worked 3x3 case: a centre-only kernel copies the input, the padding adds zeros', () => {
    const tape = new Tape();
    const x = tape.variable({ data: Float32Array.from({ length: 9 }, (_, i) => i + 1), shape: [1, 1, 3, 3] });
    const ones = tape.variable({ data: new Float32Array(9).fill(1), shape: [1, 1, 3, 3] });
    const centre = new Float32Array(9);
    centre[4] = 2;
    const w = tape.variable({ data: centre, shape: [1, 1, 3, 3] });
    expect(Array.from(conv2d(x, w, null).data)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18]);
    // A box filter: each output is the sum of its in-range 3x3 neighbourhood.
    expect(Array.from(conv2d(x, ones, null).data)).toEqual([12, 21, 16, 27, 45, 33, 24, 39, 28]);
    // Stride 2: a 2x2 output, the box sums centred on input positions (0,0), (0,2), (2,0), (2,2).
    expect(Array.from(conv2d(x, ones, null, { stride: 2 }).data)).toEqual([12, 16, 24, 28]);
  });

  test('argument errors name the function and both shapes', () => {
    const tape = new Tape();
    const x = tape.variable({ data: new Float32Array(2 * 3 * 5 * 5), shape: [2, 3, 5, 5] });
    const w = tape.variable({ data: new Float32Array(4 * 2 * 9), shape: [4, 2, 3, 3] });
    expectError(() => conv2d(x, w, null), SEShapeError, 'conv2d', /3 channels/, /\[4, 2, 3, 3\]/);
    const w3 = tape.variable({ data: new Float32Array(4 * 3 * 9), shape: [4, 3, 3, 3] });
    const b = tape.variable({ data: new Float32Array(3), shape: [3] });
    expectError(() => conv2d(x, w3, b), SEShapeError, 'conv2d', /b has shape \[3\]/, /4 filters/);
    expectError(() => conv2d(x, w3, null, { stride: 0 }), SETypeError, 'conv2d', /stride/);
    expectError(() => conv2d(x, w3, null, { pad: 3 }), SETypeError, 'conv2d', /pad/);
    expectError(() => convGeometry('f', [1, 1, 2, 2], [1, 1, 5, 5], 1, 0), SEShapeError, 'f', /smaller than the 5x5 kernel/);
  });
});

describe('batchNorm2d on the tape', () => {
  const bnCase = fc.record({
    N: fc.integer({ min: 1, max: 3 }),
    C: fc.integer({ min: 1, max: 3 }),
    H: fc.integer({ min: 1, max: 4 }),
    W: fc.integer({ min: 1, max: 4 }),
    training: fc.boolean(),
    relu: fc.boolean(),
    seed: seedArb,
  });
  propTest.prop([bnCase])('gradients of x, gamma, beta against float64 central differences (training or running statistics, fused ReLU)', (t) => {
    const rand = seededUniform(t.seed);
    const P = t.H * t.W;
    // Training mode needs two values per channel to have a variance.
    fc.pre(!t.training || t.N * P > 1);
    const inputs = [randomInput([t.N, t.C, t.H, t.W], rand, -2, 2), randomInput([t.C], rand, 0.5, 1.5), randomInput([t.C], rand)];
    const runningMean = uniformFloat32(t.C, rand);
    const runningVar = uniformFloat32(t.C, rand, 0.5, 2);
    const eps = 1e-5;
    const pre = ([x, g, b]: Float64Array[]) => {
      const out = new Float64Array(x.length);
      for (let c = 0; c < t.C; c++) {
        let m = runningMean[c];
        let v = runningVar[c];
        if (t.training) {
          m = 0;
          for (let n = 0; n < t.N; n++) for (let p = 0; p < P; p++) m += x[(n * t.C + c) * P + p] / (t.N * P);
          v = 0;
          for (let n = 0; n < t.N; n++) for (let p = 0; p < P; p++) v += (x[(n * t.C + c) * P + p] - m) ** 2 / (t.N * P);
        }
        for (let n = 0; n < t.N; n++) for (let p = 0; p < P; p++) out[(n * t.C + c) * P + p] = (g[c] * (x[(n * t.C + c) * P + p] - m)) / Math.sqrt(v + eps) + b[c];
      }
      return out;
    };
    if (t.relu) fc.pre(pre(inputs.map((i) => Float64Array.from(i.data))).every((v) => Math.abs(v) > 1e-3));
    const reference = (v: Float64Array[]) => (t.relu ? pre(v).map((u) => Math.max(0, u)) : pre(v));
    // The op updates the running statistics in training mode; the reference reads its own copy.
    const rm = runningMean.slice();
    const rv = runningVar.slice();
    expectGradCheck(inputs, ([x, g, b]) => batchNorm2d(x, g, b, { training: t.training, runningMean: rm, runningVar: rv, eps, relu: t.relu }), reference, t.seed);
  });

  test('training mode updates the running statistics as PyTorch does (momentum 0.1, unbiased variance)', () => {
    const tape = new Tape();
    const x = tape.variable({ data: new Float32Array([1, 2, 3, 6]), shape: [2, 1, 1, 2] });
    const g = tape.variable({ data: new Float32Array([1]), shape: [1] });
    const b = tape.variable({ data: new Float32Array([0]), shape: [1] });
    const runningMean = new Float32Array([0]);
    const runningVar = new Float32Array([1]);
    batchNorm2d(x, g, b, { training: true, runningMean, runningVar });
    // mean 3, unbiased variance (4 + 1 + 0 + 9) / 3 = 14 / 3.
    expect(runningMean[0]).toBeCloseTo(0.3, 6);
    expect(runningVar[0]).toBeCloseTo(0.9 + 0.1 * (14 / 3), 6);
  });
});

describe('maxPool2d on the tape', () => {
  propTest.prop([fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 7 }), fc.integer({ min: 2, max: 7 }), seedArb])(
    'gradient against float64 central differences (no ties; odd sizes drop the last row and column)',
    (N, C, H, W, seed) => {
      const x = randomInput([N, C, H, W], seededUniform(seed));
      // Ties (within a finite-difference step) make the gradient ill-defined.
      const sorted = Array.from(x.data).sort((a, b) => a - b);
      fc.pre(sorted.every((v, i) => i === 0 || v - sorted[i - 1] > 1e-4));
      const Ho = H >> 1;
      const Wo = W >> 1;
      const reference = ([v]: Float64Array[]) => {
        const out = new Float64Array(N * C * Ho * Wo);
        for (let p = 0; p < N * C; p++)
          for (let oy = 0; oy < Ho; oy++)
            for (let ox = 0; ox < Wo; ox++) {
              let m = -Infinity;
              for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) m = Math.max(m, v[(p * H + 2 * oy + dy) * W + 2 * ox + dx]);
              out[(p * Ho + oy) * Wo + ox] = m;
            }
        return out;
      };
      expectGradCheck([x], ([v]) => maxPool2d(v), reference, seed);
    },
  );

  test('ties send the gradient to the first maximum; NaN propagates', () => {
    const tape = new Tape();
    const x = tape.variable({ data: new Float32Array([1, 1, 1, 1, 0, NaN, 5, 2]), shape: [1, 2, 2, 2] });
    const y = maxPool2d(x);
    expect(y.data[0]).toBe(1);
    expect(y.data[1]).toBeNaN();
    tape.backward(y, { data: new Float32Array([3, 7]), shape: [1, 2, 1, 1] });
    expect(Array.from(x.grad!)).toEqual([3, 0, 0, 0, 0, 7, 0, 0]);
  });
});

describe('gemm', () => {
  propTest.prop([fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.boolean(), fc.boolean(), fc.boolean(), seedArb])(
    'equals a float64 product for every shape and transpose (strides), overwriting or accumulating',
    (M, N, K, tA, tB, accumulate, seed) => {
      const rand = seededUniform(seed);
      const a = uniformFloat32(M * K + 2, rand);
      const b = uniformFloat32(K * N + 3, rand);
      const c0 = uniformFloat32(M * N + 1, rand);
      const c = c0.slice();
      // A stored [M, K] or [K, M] from offset 2; B stored [K, N] or [N, K] from offset 3; C from offset 1.
      const [aRow, aCol] = tA ? [1, M] : [K, 1];
      const [bRow, bCol] = tB ? [1, K] : [N, 1];
      gemm(c, 1, a, 2, aRow, aCol, b, 3, bRow, bCol, M, N, K, accumulate);
      expect(c[0]).toBe(c0[0]);
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          let s = accumulate ? c0[1 + i * N + j] : 0;
          for (let k = 0; k < K; k++) s += a[2 + i * aRow + k * aCol] * b[3 + k * bRow + j * bCol];
          expect(Math.abs(c[1 + i * N + j] - s)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(s)));
        }
    },
  );
});

describe('im2col and col2imAdd', () => {
  propTest.prop([convCase])('are adjoint: <im2col(x), y> = <x, col2im(y)>', (t) => {
    const rand = seededUniform(t.seed);
    const g = convGeometry('test', [1, t.C, t.H, t.W], [t.F, t.C, t.k, t.k], t.stride, (t.k - 1) / 2);
    const x = uniformFloat32(t.C * t.H * t.W, rand);
    const y = uniformFloat32(g.K * (g.P + 3), rand);
    // The image in columns [offset, offset + P) of a wider matrix.
    const ld = g.P + 3;
    const offset = 2;
    const cols = im2col(new Float32Array(g.K * ld), ld, offset, x, 0, g);
    const back = col2imAdd(new Float32Array(x.length), 0, y, ld, offset, g);
    let lhs = 0;
    let rhs = 0;
    for (let i = 0; i < y.length; i++) lhs += cols[i] * y[i];
    for (let i = 0; i < x.length; i++) rhs += x[i] * back[i];
    expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(lhs)));
  });

  test('a scratch grows on demand and is reused', () => {
    const s = new ConvScratch();
    const small = convGeometry('test', [1, 1, 4, 4], [1, 1, 3, 3], 1, 1);
    const big = convGeometry('test', [1, 2, 6, 6], [1, 2, 3, 3], 1, 1);
    const first = s.fit(small, 1).cols;
    expect(s.fit(small, 1).cols).toBe(first);
    expect(s.fit(big, 2).cols.length).toBe(2 * big.K * big.P);
  });
});

describe('the network', () => {
  test.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('the off-tape forward (evaluation) gives the tape forward logits (se: %s, batch norm: %s)', (se, batchNorm) => {
    const net = new MnistNet({
      stages: [
        { width: 4, stride: 1, pool: true },
        { width: 6, stride: 2, pool: false },
        { width: 8, stride: 1, pool: false },
      ],
      reduction: 2,
      minHidden: 1,
      seActivation: 'relu',
      batchNorm,
      se,
      seed: 5,
    });
    const N = 3;
    const images = uniformFloat32(N * 784, seededUniform(9), 0, 1);
    if (batchNorm) {
      // Move the running statistics away from (0, 1) with two training-mode passes.
      for (let i = 0; i < 2; i++) net.tapeForward(uniformFloat32(N * 784, seededUniform(i), 0, 1), new Uint8Array(N), N, true);
      expect(net.norms[0].runningMean.some((v) => v !== 0)).toBe(true);
    }
    const { logits } = net.tapeForward(images, new Uint8Array([1, 2, 3]), N, false);
    const r = net.evaluate(images, N);
    expect(r.logits.length).toBe(N * 10);
    for (let i = 0; i < r.logits.length; i++) expect(Math.abs(r.logits[i] - logits.data[i])).toBeLessThanOrEqual(1e-6);
    expect(r.excitations.length).toBe(se ? 3 : 0);
    if (se) expect(r.excitations.map((e) => e.length)).toEqual([N * 4, N * 6, N * 8]);
  });

  test('plain and SE networks of one seed share the convolution and classifier weights', () => {
    const stages = [
      { width: 4, stride: 1, pool: true },
      { width: 6, stride: 1, pool: true },
      { width: 8, stride: 1, pool: false },
    ];
    const plain = new MnistNet({ stages, reduction: 2, minHidden: 1, seActivation: 'silu', batchNorm: true, se: false, seed: 11 });
    const se = new MnistNet({ stages, reduction: 2, minHidden: 1, seActivation: 'silu', batchNorm: true, se: true, seed: 11 });
    const p = plain.parameters();
    const s = se.parameters();
    expect(s.length).toBe(p.length + 12);
    for (let i = 0; i < p.length; i++) expect(Array.from(s[i].data)).toEqual(Array.from(p[i].data));
    expect(se.parameterCount().se).toBe(se.parameterCount().total - plain.parameterCount().total);
  });
});
