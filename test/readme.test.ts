/**
 * The README's examples, run line for line: each code line of every ```ts block in README.md must
 * appear in this file (checked below), so the examples cannot drift from code that runs.
 * Only the import lines differ: here they point at the sources instead of the package name.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import ndarray from 'ndarray';
import {
  Adam,
  Parameter,
  SEBlock,
  Tape,
  add,
  createSEParams,
  listSEBlocks,
  loadSEParams,
  mean,
  mul,
  readSafetensors,
  relu,
  seBackward,
  seForward,
  seParamVariables,
  squeezeExcitation,
} from '../src/index.js';
import { gradCheck, params64, refOptions, relativeError, seCaseArbitrary, seReference } from '../src/testing/index.js';

const ROOT = resolve(__dirname, '..');

describe('README examples', () => {
  test('quick start: an SE block as a module', () => {
    const block = new SEBlock({ channels: 64, rdRatio: 1 / 16, seed: 0 }); // hidden 4; avg squeeze, relu, sigmoid
    const x = { data: new Float32Array(8 * 64 * 56 * 56).map(Math.random), shape: [8, 64, 56, 56] }; // or any scijs ndarray
    const y = block.forward(x); // NdArray<Float32Array>, x's shape
    const dx = block.backward({ data: new Float32Array(y.size).fill(1), shape: y.shape }); // ADDS dW1, db1, dW2, db2 into block.grads
    expect(block.params.hidden).toBe(4);
    expect(dx.shape).toEqual([8, 64, 56, 56]);
    expect(block.grads.w1.some((v) => v !== 0)).toBe(true);
  });

  test('quick start: the same with plain functions', () => {
    const params = createSEParams({ channels: 64, reduction: 16, seed: 0 }); // hidden 4, kaiming-normal
    const input = ndarray(new Float32Array(8 * 64 * 56 * 56).map(Math.random), [8, 64, 56, 56]); // any ndarray view
    const { y: out, cache } = seForward(input, params); // y: NdArray<Float32Array>, x's shape
    const dy = ndarray(new Float32Array(out.size).fill(1), out.shape);
    const { dx: dInput, dw1, db1, dw2, db2 } = seBackward(dy, cache); // NdArray<Float32Array>s (biases: null if none)
    expect(params.hidden).toBe(4);
    expect(out.shape).toEqual([8, 64, 56, 56]);
    expect([dInput.shape, dw1.shape, db1!.shape, dw2.shape, db2!.shape]).toEqual([[8, 64, 56, 56], [4, 64], [4], [64, 4], [64]]);
  });

  test('loading every SE block of a PyTorch checkpoint (the real mobilenet_v3_small golden file)', () => {
    const cwd = process.cwd();
    try {
      process.chdir(join(ROOT, 'test/fixtures/torch'));
      const tensors = readSafetensors(readFileSync('mobilenet_v3_small.safetensors')); // every dtype; floats become Float32Arrays
      const found = listSEBlocks(tensors); // [{ prefix: 'features.1.block.1.', convention: 'timm', channels: 16, hidden: 8, bias: true }, ...]
      const blocks = found.map((b) => SEBlock.fromParams(loadSEParams(tensors, b), { gate: 'hardSigmoid' })); // torchvision MobileNetV3: ReLU + Hardsigmoid
      expect(blocks.length).toBe(9);
      expect(found[0].prefix).toBe('features.1.block.1.');
      expect(blocks.every((b) => b.options.gate === 'hardSigmoid')).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });

  test('training with Adam', () => {
    const teacher = new SEBlock({ channels: 16, reduction: 4, seed: 2, gate: 'hardSigmoid' });
    const student = new SEBlock({ channels: 16, reduction: 4, seed: 1, gate: 'hardSigmoid', reuseBuffers: true });
    const batch = { data: new Float32Array(4 * 16 * 8 * 8).map(Math.random), shape: [4, 16, 8, 8] };
    const target = teacher.forward(batch);
    const mse = () => student.forward(batch).data.reduce((a, v, i) => a + (v - target.data[i]) ** 2, 0);
    const before = mse();
    const opt = new Adam(student.parameters(), { lr: 1e-2 }); // torch.optim.Adam(student.parameters(), lr=1e-2)
    for (let step = 0; step < 300; step++) {
      opt.zeroGrad();
      const y = student.forward(batch);
      student.backward({ data: y.data.map((v, i) => (2 * (v - target.data[i])) / y.size), shape: y.shape }); // d(mean squared error)/dy
      opt.step();
    }
    expect(mse()).toBeLessThan(before / 10);
  });

  test('SE inside a larger graph, on the tape, with parameters across steps', () => {
    const se = new SEBlock({ channels: 16, reduction: 4, seed: 1 });
    const gain = new Parameter({ data: new Float32Array(2 * 16 * 8 * 8).fill(0.5), shape: [2, 16, 8, 8] }, { name: 'gain' });
    const features = { data: new Float32Array(2 * 16 * 8 * 8).map(Math.random), shape: [2, 16, 8, 8] };
    const optimizer = new Adam([...se.parameters(), gain], { lr: 1e-3 });
    const before = gain.data.slice();
    for (let step = 0; step < 10; step++) {
      const tape = new Tape();
      const v = mul(tape.constant(features), tape.parameter(gain));
      const out = relu(add(v, se.tapeForward(v))); // relu(x + SE(x)), SE as one fused op
      tape.backward(mean(mul(out, out))); // adds into se.grads and gain.grad
      optimizer.step();
      optimizer.zeroGrad();
    }
    expect(gain.data.some((v, i) => v !== before[i])).toBe(true);
  });

  describe('property-testing gradients of your own', () => {
    test('SE matches the float64 reference', () => {
      fc.assert(
        fc.property(seCaseArbitrary(), ({ x, params, options }) => {
          const ref = seReference(x.data, x.shape, params64(params), refOptions(options));
          // ref.condition flags cases whose small layers cancel, where float32 storage cannot agree to 1e-5
          return ref.condition > 30 || relativeError(seForward(x, params, options).y.data, ref.y) < 1e-5;
        }),
      );
    });

    test('my residual unit has the right gradients', () => {
      const unit = createSEParams({ channels: 4, reduction: 2, seed: 2 });
      const small = { data: new Float32Array(2 * 4 * 3 * 3).map((_, i) => Math.sin(i + 0.5)), shape: [2, 4, 3, 3] };
      const r = gradCheck(([v]) => relu(add(v, squeezeExcitation(v, seParamVariables(v.tape, unit)))), [small]);
      expect(r.ok).toBe(true); // otherwise r.message names the worst element
    });
  });
});

test('the browser page is scripts/browser/example.html (npm run test:browser runs it)', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const page = readFileSync(join(ROOT, 'scripts/browser/example.html'), 'utf8');
  expect([...readme.matchAll(/```html\n([\s\S]*?)```/g)].map((m) => m[1])).toContain(page);
});

test('every code line of the README examples is run by this file', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const self = readFileSync(__filename, 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks.length).toBeGreaterThanOrEqual(4);
  const missing: string[] = [];
  for (const block of blocks) {
    for (const raw of block.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('import ')) continue;
      if (!self.includes(line)) missing.push(line);
    }
  }
  expect(missing).toEqual([]);
});
