/**
 * The README's examples, run line for line: each code line of every ```ts block in README.md must
 * appear in this file (checked below), so the examples cannot drift from code that runs.
 * Only the import lines differ: here they point at the sources instead of the package name.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import ndarray from 'ndarray';
import {
  Tape,
  add,
  createSEParams,
  loadSEParams,
  mean,
  mul,
  readSafetensors,
  relu,
  saveSEParams,
  seBackward,
  seForward,
  seParamVariables,
  squeezeExcitation,
  writeSafetensors,
} from '../src/index.js';
import { gradCheck, params64, refOptions, relativeError, seCaseArbitrary, seReference } from '../src/testing/index.js';

const ROOT = resolve(__dirname, '..');

describe('README examples', () => {
  test('an SE block forward and backward', () => {
    const params = createSEParams({ channels: 64, reduction: 16, seed: 0 }); // hidden 4, kaiming-normal
    const x = ndarray(new Float32Array(8 * 64 * 56 * 56).map(Math.random), [8, 64, 56, 56]); // any ndarray view
    const { y, cache } = seForward(x, params); // y: NdArray<Float32Array>, x's shape
    const dy = ndarray(new Float32Array(y.size).fill(1), y.shape);
    const { dx, dw1, db1, dw2, db2 } = seBackward(dy, cache); // NdArray<Float32Array>s (biases: null if none)
    expect(params.hidden).toBe(4);
    expect(y.shape).toEqual([8, 64, 56, 56]);
    expect([dx.shape, dw1.shape, db1!.shape, dw2.shape, db2!.shape]).toEqual([[8, 64, 56, 56], [4, 64], [4], [64, 4], [64]]);
  });

  test('SE inside a larger graph, on the tape', () => {
    const block = createSEParams({ channels: 16, reduction: 4, seed: 1 });
    const tape = new Tape();
    const input = tape.variable({ data: new Float32Array(2 * 16 * 8 * 8).map(Math.random), shape: [2, 16, 8, 8] }, { requiresGrad: false });
    const p = seParamVariables(tape, block); // shares block's arrays
    const out = relu(add(input, squeezeExcitation(input, p))); // relu(x + SE(x))
    tape.backward(mean(mul(out, out)));
    const grads = [p.w1.grad, p.b1?.grad, p.w2.grad, p.b2?.grad]; // Float32Array gradients
    expect(grads.every((g) => g instanceof Float32Array && g.some((v) => v !== 0))).toBe(true);
  });

  test('loading PyTorch weights from a safetensors file', () => {
    // A file with timm SEModule keys under the prefix the example uses, written from known params.
    const known = createSEParams({ channels: 256, reduction: 16, seed: 3 });
    known.b1!.fill(0.25);
    const dir = mkdtempSync(join(tmpdir(), 'se-readme-'));
    const cwd = process.cwd();
    try {
      writeFileSync(join(dir, 'seresnet50.safetensors'), writeSafetensors(saveSEParams(known, 'timm', { prefix: 'layer1.0.se.' })));
      process.chdir(dir);
      const tensors = readSafetensors(readFileSync('seresnet50.safetensors'));
      const se = loadSEParams(tensors, { prefix: 'layer1.0.se.' }); // fc1.weight [R,C,1,1], fc1.bias, fc2.*
      const features = { data: new Float32Array(2 * se.channels * 56 * 56), shape: [2, se.channels, 56, 56] };
      const { y: excited } = seForward(features, se);
      expect(se.w1).toEqual(known.w1);
      expect(se.b1).toEqual(known.b1);
      expect(excited.shape).toEqual([2, 256, 56, 56]);
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
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

test('every code line of the README\'s js example is run by the threads fixture', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const fixture = readFileSync(join(ROOT, 'test/fixtures/threads-check.mjs'), 'utf8');
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks.length).toBeGreaterThanOrEqual(1);
  const missing = blocks.flatMap((b) => b.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('import ') && !fixture.includes(l)));
  expect(missing).toEqual([]);
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
