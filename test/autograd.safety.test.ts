/**
 * Autograd safety like PyTorch's (issue 17, items 2, 3, 5): a parameter changed in place between
 * forward and backward is an error naming it and the op; gradients land in the `grad` a parameter
 * has when backward publishes them; a `grad` overlapping its own `data` is refused; one backward
 * per SEBlock forward unless retainGraph; messages name the method called and the one array that
 * overlaps; Maps are state dicts.
 */
import { expectError } from './expectError.js';
import {
  Parameter,
  SEBlock,
  SEShapeError,
  SEStateError,
  SEOptionError,
  SETypeError,
  SGD,
  Tape,
  createSEParams,
  linear,
  listSEBlocks,
  loadSEParams,
  mean,
  readSafetensors,
  saveSEParams,
  seForward,
  sum,
  writeSafetensors,
} from '../src/core.js';
import { seededUniform, uniformFloat32 } from '../src/testing/index.js';

const C = 8;
const shape = [2, C, 3, 3];
const rand = seededUniform(99);
const x = { data: uniformFloat32(2 * C * 9, rand, -2, 2), shape };
const dy = { data: uniformFloat32(2 * C * 9, rand), shape };

/** `p` with its readonly `grad` replaced, as plain JavaScript can do. */
function setGrad(p: Parameter, g: Float32Array): void {
  Object.defineProperty(p, 'grad', { value: g, writable: true, configurable: true, enumerable: true });
}

describe('tape: a parameter changed in place between forward and backward', () => {
  test('the fused SE op: SEStateError naming the parameter and the op; nothing is published and the tape is closed', () => {
    const block = new SEBlock({ channels: C, reduction: 4, seed: 1 });
    const tape = new Tape();
    const y = block.tapeForward(tape.constant(x));
    const loss = mean(y);
    block.params.w2[5] += 0.25;
    expectError(() => tape.backward(loss), SEStateError, 'Tape.backward', /parameter "w2"/, /op "squeezeExcitation"/, /modified in place/, /element 5/);
    expect(block.grads.w2.every((v) => v === 0)).toBe(true);
    expectError(() => tape.backward(loss), SEStateError, 'Tape.backward', /already ran a backward that failed/);
  });

  test('a small op (linear), and a change restored before backward is no change', () => {
    const w = new Parameter({ data: uniformFloat32(12, rand), shape: [3, 4] }, { name: 'weight' });
    const tape = new Tape();
    const out = sum(linear(tape.constant({ data: uniformFloat32(8, rand), shape: [2, 4] }), tape.parameter(w)));
    const old = w.data[0];
    w.data[0] = 7;
    expectError(() => tape.backward(out), SEStateError, 'Tape.backward', /parameter "weight" \(shape \[3, 4\]\), which op "linear" \(record 1 of 2\)/);
    w.data[0] = old;
    const tape2 = new Tape();
    const out2 = sum(linear(tape2.constant({ data: uniformFloat32(8, rand), shape: [2, 4] }), tape2.parameter(w)));
    const kept = w.data[1];
    w.data[1] = -1;
    w.data[1] = kept; // written twice, but the values at backward are those of the forward
    tape2.backward(out2);
    expect(w.grad.some((v) => v !== 0)).toBe(true);
  });
});

describe("the library's own in-place writes are counted, as torch's version counter", () => {
  test('an optimizer step between forward and backward: the error names the writer, even when no value changed', () => {
    const block = new SEBlock({ channels: C, reduction: 4, seed: 8 });
    const opt = new SGD(block.parameters(), { lr: 0 }); // a step that changes no value
    const tape = new Tape();
    const loss = mean(block.tapeForward(tape.constant(x)));
    opt.step();
    expectError(() => tape.backward(loss), SEStateError, 'Tape.backward', /parameter "w1" .* op "squeezeExcitation" .* modified in place after the forward by SGD\.step/);
    block.forward(x);
    opt.step();
    expectError(() => block.backward(dy), SEStateError, 'SEBlock.backward', /params\.w1, which SEBlock\.forward saved .* modified in place by SGD\.step/);
    block.forward(x);
    block.loadStateDict(block.stateDict());
    expectError(() => block.backward(dy), SEStateError, 'SEBlock.backward', /by SEBlock\.loadStateDict/);
    block.forward(x);
    expect(() => block.backward(dy)).not.toThrow();
  });
});

describe("tape: gradients go into the grad a parameter has when backward publishes", () => {
  test('p.grad replaced by a fresh array between forward and backward receives the gradient; the old one is untouched', () => {
    const block = new SEBlock({ channels: C, reduction: 4, seed: 2 });
    const ref = new SEBlock({ channels: C, reduction: 4, seed: 2 });
    const t0 = new Tape();
    t0.backward(mean(ref.tapeForward(t0.constant(x))));
    const [w1] = block.parameters();
    const old = w1.grad;
    const tape = new Tape();
    const loss = mean(block.tapeForward(tape.constant(x)));
    const fresh = new Float32Array(old.length);
    setGrad(w1, fresh);
    tape.backward(loss);
    expect(Array.from(fresh)).toEqual(Array.from(ref.grads.w1));
    expect(old.every((v) => v === 0)).toBe(true);
  });

  test('a grad replaced by something unusable at backward is an error and no gradient is published', () => {
    const p = new Parameter(uniformFloat32(4, rand), { name: 'v' });
    const tape = new Tape();
    const loss = sum(tape.parameter(p));
    setGrad(p, new Float32Array(3));
    expectError(() => tape.backward(loss), SEShapeError, 'Tape.backward', /parameter "v" has a grad of length 3 at backward/);
  });
});

describe("a grad that overlaps its own data is refused", () => {
  test('when the Parameter is made', () => {
    const values = uniformFloat32(6, rand);
    expectError(() => new Parameter(values, { grad: values }), SEStateError, 'Parameter', /options\.grad shares memory with the values/);
    const buf = new Float32Array(10);
    expectError(() => new Parameter(buf.subarray(0, 6), { grad: buf.subarray(4, 10) }), SEStateError, 'Parameter', /shares memory/);
    expect(() => new Parameter(buf.subarray(0, 5), { grad: buf.subarray(5, 10) })).not.toThrow();
  });

  test('when it is put on a tape, and at backward', () => {
    const p = new Parameter(uniformFloat32(6, rand), { name: 'p' });
    const keep = p.grad;
    setGrad(p, p.data);
    expectError(() => new Tape().parameter(p), SEStateError, 'Tape.parameter', /parameter "p" has a grad that shares memory with its own data when put on the tape/);
    setGrad(p, keep);
    const tape = new Tape();
    const loss = sum(tape.parameter(p));
    const before = Array.from(p.data);
    setGrad(p, p.data);
    expectError(() => tape.backward(loss), SEStateError, 'Tape.backward', /shares memory with its own data at backward/);
    expect(Array.from(p.data)).toEqual(before);
  });
});

describe('SEBlock: one backward per forward (retainGraph), in-place changes, messages', () => {
  test('a second backward of one forward throws SEStateError; retainGraph allows it; a new forward resets', () => {
    const block = new SEBlock({ channels: C, reduction: 4, seed: 3 });
    block.forward(x);
    block.backward(dy);
    const once = Array.from(block.grads.w1);
    expectError(() => block.backward(dy), SEStateError, 'SEBlock.backward', /already run/, /retainGraph: true/);
    expect(Array.from(block.grads.w1)).toEqual(once);
    block.zeroGrad();
    block.forward(x);
    block.backward(dy, { retainGraph: true });
    block.backward(dy, { retainGraph: true });
    block.backward(dy);
    expect(Array.from(block.grads.w1)).toEqual(once.map((v) => Math.fround(Math.fround(v + v) + v)));
    expectError(() => block.backward(dy), SEStateError, 'SEBlock.backward');
    block.forward(x);
    expect(() => block.backward(dy)).not.toThrow();
    block.forward(x);
    expectError(() => block.backward(dy, { retainGraph: 1 as unknown as boolean }), SEOptionError, 'SEBlock.backward', /retainGraph must be true or false/);
    expectError(() => block.backward(dy, { retain: true } as object), SEOptionError, 'SEBlock.backward', /retain/);
  });

  test('a weight changed in place between forward and backward: SEStateError naming it and SEBlock.forward', () => {
    const block = new SEBlock({ channels: C, reduction: 4, seed: 4, reuseBuffers: true });
    block.forward(x);
    block.params.b1?.fill(0.5);
    expectError(() => block.backward(dy), SEStateError, 'SEBlock.backward', /params\.b1, which SEBlock\.forward saved/, /modified in place/);
    block.forward(x);
    expect(() => block.backward(dy)).not.toThrow();
  });

  test('errors from block.forward / block.backward name SEBlock.forward / SEBlock.backward', () => {
    const block = new SEBlock({ channels: C, reduction: 4, seed: 5 });
    expectError(() => block.forward({ data: new Float32Array(2 * 7 * 9), shape: [2, 7, 3, 3] }), SEShapeError, 'SEBlock.forward', /x\.shape\[1\] is 7 but params\.channels is 8/);
    block.forward(x);
    expectError(() => block.backward({ data: new Float32Array(9), shape: [1, 1, 9] }), SEShapeError, 'SEBlock.backward', /dy has shape/);
  });

  test('an overlapping output names the one array it overlaps', () => {
    const params = createSEParams({ channels: C, hidden: 4, seed: 6 });
    const big = new Float32Array(2 * C * 9 + 64);
    const p = { ...params, w2: big.subarray(0, C * 4) };
    expectError(() => seForward(x, p, undefined, { y: big.subarray(16, 16 + 2 * C * 9) }), SEStateError, 'seForward', /buffers\.y overlaps params\.w2, which the call reads/);
    const p1 = { ...params, b1: big.subarray(0, 4) };
    expectError(() => seForward(x, p1, undefined, { y: big.subarray(2, 2 + 2 * C * 9) }), SEStateError, 'seForward', /buffers\.y overlaps params\.b1,/);
    expectError(() => seForward({ data: big.subarray(0, 2 * C * 9), shape }, params, undefined, { y: big.subarray(8, 8 + 2 * C * 9) }), SEStateError, 'seForward', /buffers\.y overlaps x\.data,/);
  });
});

describe('Maps are state dicts', () => {
  const params = createSEParams({ channels: C, hidden: 2, seed: 7 });
  const sd = saveSEParams(params, 'timm', { prefix: 'layer1.se.' });

  test('writeSafetensors(new Map(...)) writes the entries; a metadata Map too', () => {
    const bytes = writeSafetensors(new Map(Object.entries(sd)), new Map([['k', 'v']]));
    expect(Object.keys(readSafetensors(bytes)).sort()).toEqual(Object.keys(sd).sort());
    expectError(() => writeSafetensors(new Map([[1, sd['layer1.se.fc1.weight']]]) as unknown as Map<string, never>), SETypeError, 'writeSafetensors', /keys must be strings/);
    expectError(() => writeSafetensors(new Set() as unknown as Map<string, never>), SETypeError, 'writeSafetensors');
  });

  test('listSEBlocks(map) finds the block; loadSEParams(map) loads it', () => {
    const map = new Map(Object.entries(sd));
    expect(listSEBlocks(map)).toEqual([{ prefix: 'layer1.se.', convention: 'timm', channels: C, hidden: 2, bias: true }]);
    expect(Array.from(loadSEParams(map, { prefix: 'layer1.se.' }).w1)).toEqual(Array.from(params.w1));
  });
});
