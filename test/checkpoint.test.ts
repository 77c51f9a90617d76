/**
 * State dicts and checkpoints (issue 17, item 1): SEBlock.stateDict / loadStateDict under every
 * convention, optimizer stateDict / loadStateDict in torch's structure and their validation, the
 * one-file checkpoint, and bit-identical resume for SGD (momentum, Nesterov), Adam (AMSGrad), AdamW.
 * The PyTorch round trips are in test/torch.checkpoint.test.ts.
 */
import { expectError } from './expectError.js';
import {
  Adam,
  AdamW,
  SEBlock,
  SEOptionError,
  SEShapeError,
  SETypeError,
  SGD,
  loadCheckpoint,
  readSafetensors,
  readSafetensorsMetadata,
  saveCheckpoint,
  writeSafetensors,
  type CheckpointOptimizer,
} from '../src/core.js';
import * as main from '../src/index.js';
import { seededUniform, uniformFloat32, uniformSEParams } from '../src/testing/index.js';

const C = 6;
const R = 3;

function makeBlock(seed: number, bias = true, variant: { activation?: 'relu' | 'silu'; gate?: 'sigmoid' | 'hardSigmoid' } = {}): SEBlock {
  return SEBlock.fromParams(uniformSEParams(C, R, bias, seededUniform(seed), 0.8), variant);
}

/** One training step on a fixed batch: loss = 0.5 * |y - t|^2, so dy = y - t. */
function trainStep(block: SEBlock, opt: CheckpointOptimizer, x: Float32Array, t: Float32Array): void {
  opt.zeroGrad();
  const y = block.forward({ data: x, shape: [2, C, 3, 3] });
  const dy = new Float32Array(y.data.length);
  for (let i = 0; i < dy.length; i++) dy[i] = y.data[i] - t[i];
  block.backward({ data: dy, shape: [2, C, 3, 3] });
  opt.step();
}

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

describe('SEBlock.stateDict', () => {
  test('torchvision by default: fc1.weight [R, C, 1, 1], fc1.bias [R], fc2.weight [C, R, 1, 1], fc2.bias [C], fresh copies', () => {
    const block = makeBlock(1);
    const sd = block.stateDict();
    expect(Object.keys(sd)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    expect(sd['fc1.weight'].shape).toEqual([R, C, 1, 1]);
    expect(sd['fc1.bias'].shape).toEqual([R]);
    expect(sd['fc2.weight'].shape).toEqual([C, R, 1, 1]);
    expect(sd['fc2.bias'].shape).toEqual([C]);
    expect(Array.from(sd['fc1.weight'].data)).toEqual(Array.from(block.params.w1));
    expect(sd['fc1.weight'].data).not.toBe(block.params.w1);
  });

  test.each(['torchvision', 'timm', 'timm-efficientnet', 'keras'] as const)('%s round-trips through safetensors bytes into another block', (convention) => {
    const a = makeBlock(2);
    const b = makeBlock(3);
    const r = b.loadStateDict(readSafetensors(writeSafetensors(a.stateDict(convention))), { convention });
    expect(r).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(bits(b.params.w1)).toEqual(bits(a.params.w1));
    expect(bits(b.params.w2)).toEqual(bits(a.params.w2));
    expect(bits(b.params.b1 as Float32Array)).toEqual(bits(a.params.b1 as Float32Array));
    expect(bits(b.params.b2 as Float32Array)).toEqual(bits(a.params.b2 as Float32Array));
  });

  test("seattention (no biases): Linear weights [R, C] / [C, R]; refused for a block with biases", () => {
    const a = makeBlock(4, false);
    const sd = a.stateDict('seattention');
    expect(Object.keys(sd)).toEqual(['fc.0.weight', 'fc.2.weight']);
    expect(sd['fc.0.weight'].shape).toEqual([R, C]);
    const b = makeBlock(5, false);
    b.loadStateDict(sd, { convention: 'seattention' });
    expect(bits(b.params.w2)).toEqual(bits(a.params.w2));
    expectError(() => makeBlock(4).stateDict('seattention'), SEOptionError, 'SEBlock.stateDict', /no biases/);
    expectError(() => a.stateDict('caffe' as 'timm'), SEOptionError, 'SEBlock.stateDict', /convention must be one of/);
  });
});

describe('SEBlock.loadStateDict', () => {
  test('strict (default): missing and unexpected keys are an SETypeError listing them, nothing is written', () => {
    const a = makeBlock(6);
    const b = makeBlock(7);
    const before = bits(b.params.w1);
    const sd = a.stateDict();
    const { 'fc2.bias': _dropped, ...partial } = sd;
    expectError(() => b.loadStateDict({ ...partial, 'fc3.weight': sd['fc2.weight'] }), SETypeError, 'SEBlock.loadStateDict',
      /missing key\(s\) "fc2\.bias"/, /unexpected key\(s\) "fc3\.weight"/);
    expect(bits(b.params.w1)).toEqual(before);
  });

  test('not strict: loads the keys that match and returns { missingKeys, unexpectedKeys } like torch', () => {
    const a = makeBlock(8);
    const b = makeBlock(9);
    const b2Before = bits(b.params.b2 as Float32Array);
    const sd = a.stateDict();
    const r = b.loadStateDict({ 'fc1.weight': sd['fc1.weight'], 'fc1.bias': sd['fc1.bias'], 'fc2.weight': sd['fc2.weight'], extra: sd['fc1.bias'] }, { strict: false });
    expect(r).toEqual({ missingKeys: ['fc2.bias'], unexpectedKeys: ['extra'] });
    expect(bits(b.params.w2)).toEqual(bits(a.params.w2));
    expect(bits(b.params.b2 as Float32Array)).toEqual(b2Before);
  });

  test('a Map is a state dict; a wrong shape is an SEShapeError in both modes; options are checked', () => {
    const a = makeBlock(10);
    const b = makeBlock(11);
    b.loadStateDict(new Map(Object.entries(a.stateDict())));
    expect(bits(b.params.w1)).toEqual(bits(a.params.w1));
    const sd = { ...a.stateDict(), 'fc1.weight': { data: a.params.w1, shape: [R, C] } };
    expectError(() => b.loadStateDict(sd), SEShapeError, 'SEBlock.loadStateDict', /"fc1\.weight"\] has shape \[3, 6\] but this block needs \[3, 6, 1, 1\]/);
    expectError(() => b.loadStateDict(sd, { strict: false }), SEShapeError, 'SEBlock.loadStateDict');
    expectError(() => b.loadStateDict(a.stateDict(), { strict: 'yes' as unknown as boolean }), SEOptionError, 'SEBlock.loadStateDict', /strict/);
    expectError(() => b.loadStateDict(a.stateDict(), { strcit: true } as object), SEOptionError, 'SEBlock.loadStateDict', /strcit/);
    expectError(() => b.loadStateDict([] as unknown as Map<string, never>), SETypeError, 'SEBlock.loadStateDict');
  });

  test('loads in place: an optimizer over parameters() keeps working on the loaded values', () => {
    const a = makeBlock(12);
    const b = makeBlock(13);
    const params = b.parameters();
    b.loadStateDict(a.stateDict());
    expect(params[0].data).toBe(b.params.w1);
    expect(bits(params[0].data)).toEqual(bits(a.params.w1));
  });
});

describe('optimizer stateDict / loadStateDict', () => {
  const rand = seededUniform(20);
  const x = uniformFloat32(2 * C * 9, rand, -2, 2);
  const t = uniformFloat32(2 * C * 9, rand);

  test("Adam: torch's structure and names", () => {
    const block = makeBlock(21);
    const opt = new Adam(block.parameters(), { lr: 0.01, amsgrad: true, weightDecay: 0.1 });
    expect(opt.stateDict()).toEqual({
      state: {},
      param_groups: [{ lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.1, amsgrad: true, maximize: false, decoupled_weight_decay: false, params: [0, 1, 2, 3] }],
    });
    trainStep(block, opt, x, t);
    trainStep(block, opt, x, t);
    const sd = opt.stateDict();
    expect(Object.keys(sd.state)).toEqual(['0', '1', '2', '3']);
    expect(Object.keys(sd.state[0])).toEqual(['step', 'exp_avg', 'exp_avg_sq', 'max_exp_avg_sq']);
    expect(sd.state[0].step).toBe(2);
    expect(sd.state[0].exp_avg).toBeInstanceOf(Float32Array);
    expect(sd.state[0].exp_avg).not.toBe((opt.state(block.parameters()[0]) as { expAvg: Float32Array }).expAvg);
    expect(new AdamW(block.parameters()).stateDict().param_groups[0].decoupled_weight_decay).toBe(true);
  });

  test("SGD: torch's structure and names; momentum 0 keeps momentum_buffer null as torch's None", () => {
    const block = makeBlock(22);
    const opt = new SGD(block.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
    trainStep(block, opt, x, t);
    const sd = opt.stateDict();
    expect(sd.param_groups).toEqual([{ lr: 0.1, momentum: 0.9, dampening: 0, weight_decay: 0, nesterov: true, maximize: false, params: [0, 1, 2, 3] }]);
    expect(Object.keys(sd.state[3])).toEqual(['momentum_buffer']);
    const plain = new SGD(block.parameters(), { lr: 0.1 });
    trainStep(block, plain, x, t);
    expect(plain.stateDict().state[0]).toEqual({ momentum_buffer: null });
  });

  test('loadStateDict replaces hyperparameters and state (copies), from a state dict of another optimizer', () => {
    const a = makeBlock(23);
    const optA = new Adam(a.parameters(), { lr: 0.02, betas: [0.8, 0.9], amsgrad: true });
    trainStep(a, optA, x, t);
    const b = makeBlock(23);
    const optB = new Adam(b.parameters());
    const sd = optA.stateDict();
    optB.loadStateDict(sd);
    expect(optB.lr).toBe(0.02);
    expect(optB.betas).toEqual([0.8, 0.9]);
    expect(optB.amsgrad).toBe(true);
    sd.state[0].exp_avg[0] = 1234;
    expect(optB.stateDict().state[0].exp_avg[0]).not.toBe(1234);
  });

  test('validated on load, nothing changed on error: parameter count, sizes, unknown keys, missing keys, hyperparameters', () => {
    const block = makeBlock(24);
    const opt = new Adam(block.parameters(), { lr: 0.01 });
    trainStep(block, opt, x, t);
    const good = opt.stateDict();
    const fresh = new Adam(block.parameters(), { lr: 0.5 });
    const g = good.param_groups[0];
    expectError(() => fresh.loadStateDict({ ...good, param_groups: [{ ...g, params: [0, 1, 2] }] }), SEShapeError, 'Adam.loadStateDict', /params must be \[0, \.\.\., 3\]/);
    expectError(() => fresh.loadStateDict({ ...good, param_groups: [g, g] }), SEShapeError, 'Adam.loadStateDict', /2 groups/);
    expectError(() => fresh.loadStateDict({ ...good, param_groups: [{ ...g, momentum: 0.9 }] }), SEOptionError, 'Adam.loadStateDict', /unknown key 'momentum'/);
    expectError(() => fresh.loadStateDict({ ...good, param_groups: [{ ...g, lr: -1 }] }), SEOptionError, 'Adam.loadStateDict', /lr must be a finite number >= 0/);
    expectError(() => fresh.loadStateDict({ ...good, extra: 1 } as typeof good), SEOptionError, 'Adam.loadStateDict', /unknown key 'extra'/);
    expectError(() => fresh.loadStateDict({ ...good, state: { ...good.state, 4: good.state[0] } }), SEOptionError, 'Adam.loadStateDict', /parameter indices 0 to 3/);
    expectError(() => fresh.loadStateDict({ ...good, state: { 0: good.state[1] } }), SEShapeError, 'Adam.loadStateDict', /sd\.state\[0\]\.exp_avg has 3 elements .* but its parameter has 18/);
    expectError(() => fresh.loadStateDict({ ...good, state: { 0: { ...good.state[0], momentum_buffer: good.state[0].exp_avg } } }), SEOptionError, 'Adam.loadStateDict', /unknown key 'momentum_buffer'/);
    expectError(() => fresh.loadStateDict({ ...good, param_groups: [{ ...g, amsgrad: true }] }), SETypeError, 'Adam.loadStateDict', /max_exp_avg_sq is missing/);
    expectError(() => fresh.loadStateDict({ ...good, state: { 0: { ...good.state[0], step: 1.5 } } }), SETypeError, 'Adam.loadStateDict', /step must be a whole number/);
    expectError(() => new AdamW(block.parameters()).loadStateDict(good), SEOptionError, 'AdamW.loadStateDict', /decoupled_weight_decay is false/);
    const sgd = new SGD(block.parameters(), { lr: 1 });
    expectError(() => sgd.loadStateDict(good), SEOptionError, 'SGD.loadStateDict', /unknown key 'betas'/);
    expect(fresh.lr).toBe(0.5);
    expect(fresh.stateDict().state).toEqual({});
    // torch's own flags are accepted when off.
    fresh.loadStateDict({ ...good, param_groups: [{ ...g, foreach: null, capturable: false, differentiable: false, fused: null }] });
    expect(fresh.lr).toBe(0.01);
    expectError(() => fresh.loadStateDict({ ...good, param_groups: [{ ...g, foreach: true }] }), SEOptionError, 'Adam.loadStateDict', /foreach/);
  });
});

describe('saveCheckpoint / loadCheckpoint', () => {
  const rand = seededUniform(30);
  const x = uniformFloat32(2 * C * 9, rand, -2, 2);
  const t = uniformFloat32(2 * C * 9, rand);
  const cases: [string, (b: SEBlock) => CheckpointOptimizer][] = [
    ['SGD momentum + dampening + weight decay', (b) => new SGD(b.parameters(), { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 })],
    ['SGD Nesterov', (b) => new SGD(b.parameters(), { lr: 0.05, momentum: 0.9, nesterov: true })],
    ['Adam AMSGrad', (b) => new Adam(b.parameters(), { lr: 0.01, betas: [0.9, 0.99], amsgrad: true, weightDecay: 0.01 })],
    ['AdamW', (b) => new AdamW(b.parameters(), { lr: 0.01, weightDecay: 0.1 })],
    ['SGD without momentum (momentum_buffer null), maximize', (b) => new SGD(b.parameters(), { lr: 0.05, weightDecay: 0.01, maximize: true })],
    ['AdamW AMSGrad maximize', (b) => new AdamW(b.parameters(), { lr: 0.01, betas: [0.8, 0.9], amsgrad: true, maximize: true })],
  ];

  test.each(cases)('resume is bit-identical: %s, 4 steps, save to bytes, load fresh, 3 more == 7 uninterrupted', (_name, make) => {
    const variant = { activation: 'silu', gate: 'hardSigmoid' } as const;
    const straight = makeBlock(31, true, variant);
    const straightOpt = make(straight);
    for (let s = 0; s < 7; s++) trainStep(straight, straightOpt, x, t);

    const first = makeBlock(31, true, variant);
    const firstOpt = make(first);
    for (let s = 0; s < 4; s++) trainStep(first, firstOpt, x, t);
    const bytes = saveCheckpoint(first, firstOpt, { metadata: { epoch: '4' } });
    const { block, optimizer, metadata } = loadCheckpoint(bytes.slice());
    expect(metadata.epoch).toBe('4');
    expect(block.options).toEqual(first.options);
    expect(optimizer).toBeInstanceOf(firstOpt.constructor as typeof SGD);
    expect(optimizer?.constructor).toBe(firstOpt.constructor);
    if (optimizer === null) throw new Error('no optimizer');
    for (let s = 0; s < 3; s++) trainStep(block, optimizer, x, t);
    const names = ['w1', 'b1', 'w2', 'b2'] as const;
    for (const k of names) expect(bits(block.params[k] as Float32Array)).toEqual(bits(straight.params[k] as Float32Array));
    expect(optimizer.stateDict()).toEqual(straightOpt.stateDict());
  });

  test('resume is bit-identical wherever 6 steps are split, with the lr changed midway', () => {
    for (let split = 0; split <= 6; split++) {
      const run = (stopAt: number | null): SEBlock => {
        let block = makeBlock(35);
        let opt: CheckpointOptimizer = new Adam(block.parameters(), { lr: 0.02, amsgrad: true });
        for (let s = 0; s < 6; s++) {
          if (s === stopAt) {
            const r = loadCheckpoint(saveCheckpoint(block, opt));
            block = r.block;
            opt = r.optimizer as CheckpointOptimizer;
          }
          if (s === 3) opt.lr = 0.005;
          trainStep(block, opt, x, t);
        }
        return block;
      };
      const straight = run(null);
      const resumed = run(split);
      for (const k of ['w1', 'b1', 'w2', 'b2'] as const) expect(bits(resumed.params[k] as Float32Array)).toEqual(bits(straight.params[k] as Float32Array));
    }
  });

  test('the file: model.* in torchvision shapes, optimizer.state.<i>.<key> in the parameter shapes, metadata JSON', () => {
    const block = makeBlock(32);
    const opt = new Adam(block.parameters(), { lr: 0.01 });
    trainStep(block, opt, x, t);
    const bytes = saveCheckpoint(block, opt);
    const entries = readSafetensors(bytes);
    expect(Object.keys(entries).sort()).toEqual([
      'model.fc1.bias', 'model.fc1.weight', 'model.fc2.bias', 'model.fc2.weight',
      ...[0, 1, 2, 3].flatMap((i) => [`optimizer.state.${i}.exp_avg`, `optimizer.state.${i}.exp_avg_sq`]),
    ].sort());
    expect(entries['optimizer.state.0.exp_avg'].shape).toEqual([R, C, 1, 1]);
    expect(entries['optimizer.state.3.exp_avg_sq'].shape).toEqual([C]);
    const meta = readSafetensorsMetadata(bytes);
    expect(meta.format).toBe('pt');
    expect(meta['se-kernels.checkpoint']).toBe('1');
    expect(JSON.parse(meta.model)).toEqual({ convention: 'torchvision', channels: C, hidden: R, bias: true, layout: 'channels-first', squeeze: 'avg', activation: 'relu', gate: 'sigmoid' });
    const o = JSON.parse(meta.optimizer);
    expect(o.class).toBe('Adam');
    expect(o.state).toEqual({ 0: { step: 1 }, 1: { step: 1 }, 2: { step: 1 }, 3: { step: 1 } });
    expect(o.param_groups[0].params).toEqual([0, 1, 2, 3]);
  });

  test('a block alone; the main entry gives its own SEBlock; bad input is refused', () => {
    const block = makeBlock(33, false);
    const back = main.loadCheckpoint(saveCheckpoint(block));
    expect(back.optimizer).toBeNull();
    expect(back.block).toBeInstanceOf(main.SEBlock);
    expect(bits(back.block.params.w1)).toEqual(bits(block.params.w1));
    expect(back.block.params.b1).toBeNull();
    const other = makeBlock(34);
    expectError(() => saveCheckpoint(block, new SGD(other.parameters(), { lr: 1 })), SEOptionError, 'saveCheckpoint', /block\.parameters\(\)/);
    expectError(() => saveCheckpoint(block, null, { metadata: { model: 'x' } }), SEOptionError, 'saveCheckpoint', /reserved/);
    expectError(() => loadCheckpoint(writeSafetensors(block.stateDict())), SETypeError, 'loadCheckpoint', /se-kernels\.checkpoint/);
    const bytes = saveCheckpoint(block);
    const meta = readSafetensorsMetadata(bytes);
    const tensors = readSafetensors(bytes);
    expectError(() => loadCheckpoint(writeSafetensors({ ...tensors, stray: tensors['model.fc1.weight'] }, meta)), SETypeError, 'loadCheckpoint', /unexpected tensor "stray"/);
    expectError(() => loadCheckpoint(writeSafetensors(tensors, { ...meta, model: '{' })), SETypeError, 'loadCheckpoint', /"model" is not valid JSON/);
    expectError(() => loadCheckpoint(writeSafetensors(tensors, { ...meta, model: meta.model.replace('relu', 'swish') })), SETypeError, 'loadCheckpoint', /activation must be one of/);
    const { 'model.fc1.weight': _w, ...less } = tensors;
    expectError(() => loadCheckpoint(writeSafetensors(less, meta)), SETypeError, 'SEBlock.loadStateDict', /missing key\(s\) "fc1\.weight"/);
  });
});
