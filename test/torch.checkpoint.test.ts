/**
 * Checkpoints across PyTorch (issue 17): files written here load into torchvision's
 * SqueezeExcitation with load_state_dict(strict=True) and continue in torch.optim on our
 * trajectory; checkpoints made by torch (its state_dict()s converted key for key) resume here on
 * torch's. Golden files from scripts/torch/make-fixtures.py (torch 1.13; `make-fixtures.py
 * checkpoints`), which reads the js-*.safetensors files this test writes: they are committed, and
 * this test checks that the code still writes exactly them (set SE_WRITE_FIXTURES=1 to rewrite).
 */
import { existsSync, writeFileSync } from 'node:fs';
import {
  Adam,
  SEBlock,
  SGD,
  loadCheckpoint,
  readSafetensors,
  saveCheckpoint,
  writeSafetensors,
  type CheckpointOptimizer,
} from '../src/core.js';
import { seededUniform, uniformFloat32, uniformSEParams } from '../src/testing/index.js';
import { fixtureBytes, fixturePath, float32Tensors, type FixtureTensor } from './torch.fixtures.js';

const C = 6;
const R = 3;
const STEPS = 3;
const SHAPE = [2, C, 3, 3];
const KEYS = ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'] as const;

/**
 * Agreement with torch: max |ours - torch| over a tensor. torch rounds to float32 after each
 * elementary operation and sums in its own order, we compute in float64 and round once, so the two
 * differ by float32 rounding: the SE forward and backward by a few ulps, and three optimizer steps
 * add a few more (1e-6 is about 8 ulps of values near 1; the largest difference in these files
 * is 4.8e-7).
 */
const TOL = 1e-6;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The loss of the torch script, 0.5 * sum((y - t)^2): dy = y - t. */
function lossGradient(block: SEBlock, x: Float32Array, t: Float32Array): void {
  const y = block.forward({ data: x, shape: SHAPE });
  const dy = new Float32Array(y.data.length);
  for (let i = 0; i < dy.length; i++) dy[i] = y.data[i] - t[i];
  block.backward({ data: dy, shape: SHAPE });
}

function trainStep(block: SEBlock, opt: CheckpointOptimizer, x: Float32Array, t: Float32Array): void {
  opt.zeroGrad();
  lossGradient(block, x, t);
  opt.step();
}

/** The block's weights under torchvision's names. */
function weights(block: SEBlock): Record<(typeof KEYS)[number], Float32Array> {
  const p = block.params;
  return { 'fc1.weight': p.w1, 'fc1.bias': p.b1 as Float32Array, 'fc2.weight': p.w2, 'fc2.bias': p.b2 as Float32Array };
}

/** Row `s` of a `[steps, ...]` golden tensor. */
function row(t: FixtureTensor, s: number): Float32Array {
  const n = t.data.length / t.shape[0];
  return t.data.subarray(s * n, (s + 1) * n);
}

/** The files this test writes for the torch script, made deterministically. */
function jsFiles(): Record<string, Uint8Array> {
  const rand = seededUniform(1717);
  const x = uniformFloat32(2 * C * 9, rand, -2, 2);
  const t = uniformFloat32(2 * C * 9, rand, 0, 1);
  const params = uniformSEParams(C, R, true, rand, 0.6);
  const files: Record<string, Uint8Array> = {
    'js-inputs.safetensors': writeSafetensors({ x: { data: x, shape: SHAPE }, t: { data: t, shape: SHAPE } }),
    'js-block.safetensors': writeSafetensors(SEBlock.fromParams(params).stateDict()),
  };
  const runs: [string, (b: SEBlock) => CheckpointOptimizer][] = [
    ['adam', (b) => new Adam(b.parameters(), { lr: 0.01, betas: [0.9, 0.99], amsgrad: true, weightDecay: 0.01 })],
    ['sgd', (b) => new SGD(b.parameters(), { lr: 0.05, momentum: 0.9, dampening: 0.1 })],
  ];
  for (const [name, make] of runs) {
    const block = SEBlock.fromParams({ ...params, w1: params.w1.slice(), b1: params.b1?.slice() ?? null, w2: params.w2.slice(), b2: params.b2?.slice() ?? null });
    const opt = make(block);
    for (let s = 0; s < STEPS; s++) trainStep(block, opt, x, t);
    files[`js-checkpoint-${name}.safetensors`] = saveCheckpoint(block, opt);
  }
  return files;
}

describe('files written here, run by PyTorch', () => {
  const files = jsFiles();

  test('the committed js-*.safetensors are exactly what the code writes (the torch script read those)', () => {
    for (const [name, bytes] of Object.entries(files)) {
      if (process.env.SE_WRITE_FIXTURES === '1' || !existsSync(fixturePath(name))) writeFileSync(fixturePath(name), bytes);
      expect(Buffer.from(fixtureBytes(name)).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  const inputs = float32Tensors(readSafetensors(files['js-inputs.safetensors']));
  const x = inputs.x.data;
  const t = inputs.t.data;
  // Read when a test needs it: the first test (re)writes the files the torch script reads.
  const continued = (): Record<string, FixtureTensor> => float32Tensors(readSafetensors(fixtureBytes('js-continued.safetensors')));

  test('block.stateDict() loaded into SqueezeExcitation with strict=True gives our output', () => {
    const block = new SEBlock({ channels: C, hidden: R, init: 'zeros' });
    block.loadStateDict(readSafetensors(files['js-block.safetensors']));
    const y = block.forward({ data: x, shape: SHAPE });
    expect(maxAbsDiff(y.data, continued()['block.y'].data)).toBeLessThan(TOL);
  });

  test.each(['adam', 'sgd'])('%s: a checkpoint saved here continues in torch.optim on the same trajectory', (name) => {
    const { block, optimizer } = loadCheckpoint(files[`js-checkpoint-${name}.safetensors`]);
    if (optimizer === null) throw new Error('no optimizer');
    const torch = continued();
    expect(maxAbsDiff(block.forward({ data: x, shape: SHAPE }).data, torch[`${name}.y`].data)).toBeLessThan(TOL);
    for (let s = 0; s < STEPS; s++) {
      trainStep(block, optimizer, x, t);
      const w = weights(block);
      for (const k of KEYS) expect(maxAbsDiff(w[k], row(torch[`${name}.after.${k}`], s))).toBeLessThan(TOL);
    }
  });
});

describe('checkpoints made by PyTorch, resumed here', () => {
  const read = (): Record<string, FixtureTensor> => float32Tensors(readSafetensors(fixtureBytes('checkpoint-torch.golden.safetensors')));

  test.each(['adam', 'sgd'])("%s: torch's state_dict()s converted key for key resume on torch's next steps, from torch's gradients", (name) => {
    const { block, optimizer } = loadCheckpoint(fixtureBytes(`checkpoint-torch-${name}.safetensors`));
    if (optimizer === null) throw new Error('no optimizer');
    expect(optimizer).toBeInstanceOf(name === 'adam' ? Adam : SGD);
    const golden = read();
    const params = block.parameters();
    for (let s = 0; s < STEPS; s++) {
      KEYS.forEach((k, i) => params[i].grad.set(row(golden[`${name}.grads.${k}`], s)));
      optimizer.step();
      const w = weights(block);
      for (const k of KEYS) expect(maxAbsDiff(w[k], row(golden[`${name}.after.${k}`], s))).toBeLessThan(TOL);
    }
  });

  test.each(['adam', 'sgd'])('%s: and from our own forward and backward', (name) => {
    const { block, optimizer } = loadCheckpoint(fixtureBytes(`checkpoint-torch-${name}.safetensors`));
    if (optimizer === null) throw new Error('no optimizer');
    const golden = read();
    const x = golden.x.data;
    const t = golden.t.data;
    for (let s = 0; s < STEPS; s++) {
      optimizer.zeroGrad();
      lossGradient(block, x, t);
      const grads = [block.grads.w1, block.grads.b1 as Float32Array, block.grads.w2, block.grads.b2 as Float32Array];
      KEYS.forEach((k, i) => expect(maxAbsDiff(grads[i], row(golden[`${name}.grads.${k}`], s))).toBeLessThan(TOL));
      optimizer.step();
      const w = weights(block);
      for (const k of KEYS) expect(maxAbsDiff(w[k], row(golden[`${name}.after.${k}`], s))).toBeLessThan(TOL);
    }
  });
});
