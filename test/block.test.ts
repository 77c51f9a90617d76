/**
 * SEBlock (the module), Parameter and tape.parameter (gradients that live across tapes), the
 * fused SE tape op against the composed one, and the rdRatio naming (issue 10).
 */
import { test as propTest } from '@fast-check/jest';
import ndarray from 'ndarray';
import * as main from '../src/index.js';
import {
  Adam,
  Parameter,
  SEBlock,
  SEOptionError,
  SEStateError,
  SETypeError,
  SGD,
  Tape,
  createSEParams,
  loadSEParams,
  mean,
  mul,
  saveSEParams,
  seBackward,
  seForward,
  seParamVariables,
  squeezeExcitation,
  squeezeExcitationComposed,
  sum,
} from '../src/core.js';
import { kinkMargin, params64, refOptions, seCaseArbitrary, seReference, tieMargin } from '../src/testing/index.js';
import { expectWithinBound, seForwardErrorBound, seGradientErrorBounds } from './tolerance.js';

const shape = [2, 8, 3, 3];
const size = 2 * 8 * 9;
const x = { data: new Float32Array(size).map((_, i) => Math.sin(i * 0.71 + 0.1) * 1.5), shape };
const dy = { data: new Float32Array(size).map((_, i) => Math.cos(i * 0.29)), shape };
const same = (a: ArrayLike<number>, b: ArrayLike<number>) => expect(Array.from(a)).toEqual(Array.from(b));

describe('SEBlock', () => {
  test('forward and backward equal seForward/seBackward with the block variant; backward ADDS into grads', () => {
    const block = new SEBlock({ channels: 8, reduction: 4, seed: 3, activation: 'silu', gate: 'hardSigmoid' });
    expect(block.options).toEqual({ layout: 'channels-first', squeeze: 'avg', activation: 'silu', gate: 'hardSigmoid' });
    const ref = seForward(x, block.params, { activation: 'silu', gate: 'hardSigmoid' });
    const refG = seBackward(dy, ref.cache);
    same(block.forward(x).data, ref.y.data);
    same(block.backward(dy, { retainGraph: true }).data, refG.dx.data);
    same(block.grads.w1, refG.dw1.data);
    block.backward(dy);
    same(block.grads.w2, Array.from(refG.dw2.data, (v) => Math.fround(v + v)));
    block.zeroGrad();
    expect(block.grads.b1?.every((v) => v === 0)).toBe(true);
  });

  test('results are fresh by default; with reuseBuffers they live in the block and the next call overwrites them', () => {
    const fresh = new SEBlock({ channels: 8, seed: 1 });
    const a = fresh.forward(x);
    const b = fresh.forward(x);
    expect(a.data).not.toBe(b.data);
    const reused = new SEBlock({ channels: 8, seed: 1, reuseBuffers: true });
    const c = reused.forward(x);
    const d = reused.forward({ data: x.data.map((v) => v * 2), shape });
    expect(c.data).toBe(d.data);
    same(reused.forward(x).data, a.data);
  });

  test('backward before any forward is an SEStateError; bad options are typed errors', () => {
    expect(() => new SEBlock({ channels: 8 }).backward(dy)).toThrow(SEStateError);
    expect(() => new SEBlock({ channels: 8, gate: 'softmax' } as never)).toThrow(SEOptionError);
    expect(() => new SEBlock({ channels: 8, reuseBuffers: 1 } as never)).toThrow(/reuseBuffers must be true or false/);
    expect(() => new SEBlock({ channels: 8, colour: 'red' } as never)).toThrow(/unknown option 'colour'/);
    expect(() => new SEBlock(null as never)).toThrow(SETypeError);
  });

  test('fromParams uses the weights without copying and keeps the variant (a timm EfficientNet load stays SiLU)', () => {
    const original = createSEParams({ channels: 8, hidden: 2, seed: 5 });
    const loaded = loadSEParams(saveSEParams(original, 'timm-efficientnet'), { convention: 'timm-efficientnet' });
    const block = SEBlock.fromParams(loaded, { activation: 'silu' });
    expect(block.params.w1).toBe(loaded.w1);
    expect(block.options.activation).toBe('silu');
    same(block.forward(x).data, seForward(x, original, { activation: 'silu' }).y.data);
    expect(() => SEBlock.fromParams(loaded, { activation: 'silu', hidden: 3 } as never)).toThrow(SEOptionError);
  });

  test('parameters() are the same Parameter objects every call, sharing the weights and the grads; an optimizer step moves the block', () => {
    const block = new SEBlock({ channels: 8, reduction: 4, seed: 2 });
    const ps = block.parameters();
    expect(ps.map((p) => p.name)).toEqual(['w1', 'b1', 'w2', 'b2']);
    expect(block.parameters()[0]).toBe(ps[0]);
    expect(ps[0].data).toBe(block.params.w1);
    expect(ps[3].grad).toBe(block.grads.b2);
    const opt = new SGD(ps, { lr: 0.1 });
    block.forward(x);
    block.backward(dy);
    const before = block.params.w1.slice();
    opt.step();
    same(block.params.w1, Array.from(before, (v, i) => Math.fround(v - 0.1 * block.grads.w1[i])));
    const noBias = new SEBlock({ channels: 8, bias: false });
    expect(noBias.parameters().map((p) => p.name)).toEqual(['w1', 'w2']);
  });

  test('a training loop with Adam: the block learns to imitate a teacher block (the loss falls 100x)', () => {
    const tp = createSEParams({ channels: 8, reduction: 2, seed: 11 });
    tp.b2?.forEach((_, i, b) => (b[i] = 2 * Math.sin(3 * i + 1)));
    const teacher = SEBlock.fromParams(tp);
    const student = new SEBlock({ channels: 8, reduction: 2, seed: 12, reuseBuffers: true });
    const opt = new Adam(student.parameters(), { lr: 0.02 });
    const target = teacher.forward(x).data;
    const loss = (y: Float32Array) => y.reduce((a, v, i) => a + (v - target[i]) ** 2, 0) / y.length;
    const first = loss(student.forward(x).data);
    let last = first;
    for (let step = 0; step < 300; step++) {
      opt.zeroGrad();
      const y = student.forward(x).data;
      last = loss(y);
      student.backward({ data: y.map((v, i) => (2 * (v - target[i])) / y.length), shape });
      opt.step();
    }
    expect(last).toBeLessThan(first / 100);
  });

  test("the main entry's SEBlock returns scijs ndarrays", () => {
    const block = new main.SEBlock({ channels: 8, seed: 1 });
    const y = block.forward(ndarray(x.data, shape));
    expect(y.shape).toEqual(shape);
    expect(typeof y.get).toBe('function');
    expect(main.SEBlock.fromParams(block.params)).toBeInstanceOf(main.SEBlock);
    expect(block.backward(dy).shape).toEqual(shape);
  });
});

describe('Parameter and tape.parameter: gradients that live across tapes', () => {
  test('each tape backward ADDS into p.grad; the variable gets its own grad too', () => {
    const p = new Parameter({ data: new Float32Array([1, 2, 3]), shape: [3] }, { name: 'p' });
    for (let step = 0; step < 2; step++) {
      const tape = new Tape();
      const v = tape.parameter(p);
      tape.backward(sum(mul(v, v)));
      same(v.grad ?? [], [2, 4, 6]);
    }
    same(p.grad, [4, 8, 12]);
  });

  test('a failed backward leaves p.grad unchanged', () => {
    const p = new Parameter(new Float32Array([1, 2]));
    const tape = new Tape();
    const v = tape.parameter(p);
    const bad = tape.record('bad', [v], new Float32Array(2), [2], [], () => {
      throw new Error('no');
    });
    expect(() => tape.backward(sum(mul(bad, v)))).toThrow(SEStateError);
    same(p.grad, [0, 0]);
  });

  test('tape.parameter refuses anything but a Parameter', () => {
    expect(() => new Tape().parameter({ data: new Float32Array(1), grad: new Float32Array(1) } as never)).toThrow(SETypeError);
  });

  test("an SEBlock on a tape (one fused op) adds the same gradients into its grads as the block's own backward", () => {
    const block = new SEBlock({ channels: 8, reduction: 4, seed: 9 });
    const tape = new Tape();
    const xv = tape.variable(x);
    const y = block.tapeForward(xv);
    tape.backward(sum(mul(y, tape.constant(dy))));
    const onTape = block.grads.w1.slice();
    const dx = xv.grad;
    block.zeroGrad();
    block.forward(x);
    const own = block.backward(dy);
    same(onTape, block.grads.w1);
    same(dx ?? [], own.data);
  });
});

describe('the fused SE tape op equals the composed one', () => {
  propTest.prop([seCaseArbitrary({ valueRange: 1.5 })], { numRuns: 60 })('forward and every gradient, all variants', ({ x: xc, dy: dyc, params, options }) => {
    const run = (op: typeof squeezeExcitation) => {
      const tape = new Tape();
      const xv = tape.variable(xc);
      const p = seParamVariables(tape, params);
      const y = op(xv, p, options);
      tape.backward(sum(mul(y, tape.constant(dyc))));
      return { y: y.data, dx: xv.grad, dw1: p.w1.grad, db1: p.b1?.grad ?? null, dw2: p.w2.grad, db2: p.b2?.grad ?? null };
    };
    const fused = run(squeezeExcitation);
    const composed = run(squeezeExcitationComposed);
    // Both are float32 computations of the same float64 value, each within the case's rounding
    // bound of it (test/tolerance.ts), so they differ by at most twice that bound.
    const o = refOptions(options);
    const p = params64(params);
    const ref = seReference(xc.data, xc.shape, p, o);
    expectWithinBound('fused vs composed y', fused.y, composed.y, seForwardErrorBound(xc.data, xc.shape, p, o, ref).map((v) => 2 * v));
    // Within rounding of a kink or a max tie the two may take different branches, which no
    // rounding bound covers: such cases compare the forward only (1e-3 is far beyond any bound).
    if (!(kinkMargin(ref, o) > 1e-3 && tieMargin(ref, o) > 1e-3)) return;
    const bounds = seGradientErrorBounds(xc.data, dyc.data, xc.shape, p, o, ref);
    for (const k of ['dx', 'dw1', 'db1', 'dw2', 'db2'] as const) {
      const a = fused[k];
      const b = composed[k];
      const bound = bounds[k];
      if (a === null || b === null || bound === null) {
        expect([a, bound]).toEqual([b, null]);
        continue;
      }
      expectWithinBound(`fused vs composed ${k}`, a, b, bound.map((v) => 2 * v));
    }
  });

  test('the fused op inside a larger graph: a residual unit trains', () => {
    const block = createSEParams({ channels: 8, reduction: 2, seed: 4 });
    const tape = new Tape();
    const xv = tape.variable(x);
    const out = squeezeExcitation(xv, seParamVariables(tape, block));
    tape.backward(mean(mul(out, out)));
    expect(xv.grad?.length).toBe(size);
  });
});

describe("rdRatio: timm's rd_ratio", () => {
  test('rdRatio is the inverse of reduction; rounding with a divisor as timm does', () => {
    expect(createSEParams({ channels: 64, rdRatio: 1 / 16 }).hidden).toBe(4);
    expect(createSEParams({ channels: 96, rdRatio: 1 / 3 }).hidden).toBe(32);
    expect(createSEParams({ channels: 64, rdRatio: 0.25, divisor: 8, roundLimit: 0 }).hidden).toBe(16);
    expect(createSEParams({ channels: 72, rdRatio: 0.25, divisor: 8, roundLimit: 0 }).hidden).toBe(16);
  });

  test('a reduction below 1 is an error that points to rdRatio; both together is an error', () => {
    expect(() => createSEParams({ channels: 64, reduction: 0.0625 })).toThrow(/for timm's rd_ratio \(1\/16\) use rdRatio: 0.0625/);
    expect(() => createSEParams({ channels: 64, reduction: 16, rdRatio: 1 / 16 })).toThrow(/either reduction .* or rdRatio/);
    expect(() => createSEParams({ channels: 64, rdRatio: 0 })).toThrow(SEOptionError);
  });
});

describe('error hints for the usual shape mistakes', () => {
  const p = createSEParams({ channels: 8, seed: 1 });
  test('a rank-3 input [C, H, W] hints at the missing batch axis', () => {
    expect(() => seForward({ data: new Float32Array(8 * 5 * 5), shape: [8, 5, 5] }, p)).toThrow(
      /x\.shape\[1\] is 5 but params\.channels is 8 .*is the batch axis missing\? x needs \[N, C, \.\.\.spatial\] \(for one sample, shape \[1, 8, 5, 5\]\)/,
    );
  });
  test("an NHWC input without layout: 'channels-last' says so; the reverse too", () => {
    expect(() => seForward({ data: new Float32Array(2 * 5 * 5 * 8), shape: [2, 5, 5, 8] }, p)).toThrow(/the last axis is 8: is x channels-last\? pass \{ layout: 'channels-last' \}/);
    expect(() => seForward({ data: new Float32Array(2 * 8 * 5 * 5), shape: [2, 8, 5, 5] }, p, { layout: 'channels-last' })).toThrow(
      /axis 1 is 8: is x channels-first\? drop layout: 'channels-last'/,
    );
  });
});
