/**
 * The README's examples, run line for line: each code line of every ```ts block in README.md must
 * appear in this file (checked below), so the examples cannot drift from code that runs. Only the
 * import lines differ: here they point at the sources instead of the package name. What the
 * examples print is captured, and the last test checks that the README's `console.log(...); // X`
 * comments are exactly the printed lines, in order. The property-test example runs here as well
 * as in a fresh project (`npm run test:pack`, with the README's jest recipe).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { format } from 'node:util';
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
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Every line the examples print, in the order the tests below run them (the README's order). */
const printed: string[] = [];
/** Runs an example with console.log captured into `printed`. */
function capture(example: () => void): void {
  const spy = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    printed.push(format(...args));
  });
  try {
    example();
  } finally {
    spy.mockRestore();
  }
}

describe('README examples', () => {
  test('quick start: an SE block as a module', () => {
    capture(() => {
      const block = new SEBlock({ channels: 64, rdRatio: 1 / 16, seed: 0 }); // hidden 4; avg squeeze, relu, sigmoid
      const x = { data: new Float32Array(8 * 64 * 56 * 56).map((_, i) => Math.sin(i / 5000)), shape: [8, 64, 56, 56] }; // or any scijs ndarray
      const y = block.forward(x); // a scijs ndarray of x's shape
      console.log(y.shape, block.params.hidden); // [ 8, 64, 56, 56 ] 4
      const s = block.excitations(); // the gate values s[n, c] of this forward
      console.log(s.shape, s.get(0, 0).toFixed(4), s.get(7, 63).toFixed(4)); // [ 8, 64 ] 0.6109 0.5519
      const dx = block.backward({ data: new Float32Array(y.size).fill(1), shape: y.shape }); // ADDS dW1, db1, dW2, db2 into block.grads
      console.log(dx.shape, block.grads.w1.length); // [ 8, 64, 56, 56 ] 256
      expect(block.grads.w1.some((v) => v !== 0)).toBe(true);
    });
  });

  test('quick start: the same with plain functions', () => {
    capture(() => {
      const params = createSEParams({ channels: 64, reduction: 16, seed: 0 }); // hidden 4, kaiming-normal
      const input = ndarray(new Float32Array(8 * 64 * 56 * 56).map((_, i) => Math.cos(i)), [8, 64, 56, 56]); // any ndarray view
      const { y: out, cache } = seForward(input, params); // y: NdArray<Float32Array>, x's shape
      console.log(out.shape, cache.excitations().shape); // [ 8, 64, 56, 56 ] [ 8, 64 ]
      const dy = ndarray(new Float32Array(out.size).fill(1), out.shape);
      const { dx: dInput, dw1, db1, dw2, db2 } = seBackward(dy, cache); // NdArray<Float32Array>s (biases: null if none)
      console.log(dInput.shape, dw1.shape, db1?.shape, dw2.shape, db2?.shape); // [ 8, 64, 56, 56 ] [ 4, 64 ] [ 4 ] [ 64, 4 ] [ 64 ]
    });
  });

  test('loading every SE block of a PyTorch checkpoint (the repository mobilenet_v3_small file, width 0.25)', () => {
    const cwd = process.cwd();
    try {
      process.chdir(join(ROOT, 'test/fixtures/torch'));
      capture(() => {
        const tensors = readSafetensors(readFileSync('mobilenet_v3_small.safetensors')); // every dtype; floats become Float32Arrays
        const found = listSEBlocks(tensors); // the SE blocks in layer order, with their widths and weight names
        console.log(found.length, JSON.stringify(found[0])); // 9 {"prefix":"features.1.block.1.","convention":"timm","channels":8,"hidden":8,"bias":true}
        const blocks = found.map((b) => SEBlock.fromParams(loadSEParams(tensors, b), { gate: 'hardSigmoid' })); // torchvision MobileNetV3: ReLU + Hardsigmoid
        const probe = { data: new Float32Array(1 * found[0].channels * 7 * 7).fill(0.5), shape: [1, found[0].channels, 7, 7] };
        console.log(blocks[0].forward(probe).shape); // [ 1, 8, 7, 7 ]
        expect(blocks.every((b) => b.options.gate === 'hardSigmoid')).toBe(true);
      });
    } finally {
      process.chdir(cwd);
    }
  });

  test('training with Adam', () => {
    capture(() => {
      const teacher = new SEBlock({ channels: 16, reduction: 4, seed: 2, gate: 'hardSigmoid' });
      const student = new SEBlock({ channels: 16, reduction: 4, seed: 1, gate: 'hardSigmoid', reuseBuffers: true });
      const batch = { data: new Float32Array(4 * 16 * 8 * 8).map((_, i) => Math.sin(i) ** 2), shape: [4, 16, 8, 8] };
      const target = teacher.forward(batch);
      const mse = () => student.forward(batch).data.reduce((sum, v, i) => sum + (v - target.data[i]) ** 2, 0) / target.size;
      console.log(mse().toExponential(2)); // 2.06e-2
      const before = mse();
      const opt = new Adam(student.parameters(), { lr: 1e-2 }); // torch.optim.Adam(student.parameters(), lr=1e-2)
      for (let step = 0; step < 300; step++) {
        opt.zeroGrad();
        const y = student.forward(batch);
        student.backward({ data: y.data.map((v, i) => (2 * (v - target.data[i])) / y.size), shape: y.shape }); // d(mean squared error)/dy
        opt.step();
      }
      console.log(mse().toExponential(2)); // 2.45e-7
      expect(mse()).toBeLessThan(before / 10);
    });
  });

  test('SE inside a larger graph, on the tape, with parameters across steps', () => {
    capture(() => {
      const se = new SEBlock({ channels: 16, reduction: 4, seed: 1 });
      const gain = new Parameter({ data: new Float32Array(2 * 16 * 8 * 8).fill(0.5), shape: [2, 16, 8, 8] }, { name: 'gain' });
      const features = { data: new Float32Array(2 * 16 * 8 * 8).map((_, i) => Math.cos(i)), shape: [2, 16, 8, 8] };
      const optimizer = new Adam([...se.parameters(), gain], { lr: 1e-2 });
      const losses: number[] = [];
      for (let step = 0; step < 10; step++) {
        const tape = new Tape();
        const v = mul(tape.constant(features), tape.parameter(gain));
        const out = relu(add(v, se.tapeForward(v))); // relu(x + SE(x)), SE as one fused op
        const loss = mean(mul(out, out));
        tape.backward(loss); // adds into se.grads and gain.grad
        losses.push(loss.data[0]);
        optimizer.step();
        optimizer.zeroGrad();
      }
      console.log(losses[0].toFixed(4), losses[9].toFixed(4)); // 0.1406 0.0906
      expect(losses[9]).toBeLessThan(losses[0]);
    });
  });

  describe('property tests in your project', () => {
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

/** The ```<lang> blocks of a markdown text. */
function blocks(text: string, lang: string): string[] {
  return [...text.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
}

test('every code line of the README examples is run by this file', () => {
  const self = readFileSync(__filename, 'utf8');
  const ts = blocks(README, 'ts');
  expect(ts.length).toBe(6);
  const missing: string[] = [];
  for (const block of ts) {
    for (const raw of block.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('import ')) continue;
      if (!self.includes(line)) missing.push(line);
    }
  }
  expect(missing).toEqual([]);
});

test("the README's examples print what their comments show, line for line", () => {
  const shown = blocks(README, 'ts').flatMap((b) =>
    b
      .split('\n')
      .map((l) => /^\s*console\.log\(.*\); \/\/ (.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => m[1]),
  );
  expect(shown.length).toBe(10);
  expect(printed).toEqual(shown);
});

test('the README is at most 300 lines, and names no placeholder for the repository', () => {
  expect(README.split('\n').length).toBeLessThanOrEqual(300);
  expect(README).not.toMatch(/<this repository>/);
});
