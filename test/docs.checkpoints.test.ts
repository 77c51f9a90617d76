/**
 * docs/checkpoints.md's examples, run line for line: each code line of every ```ts block must
 * appear in this file (checked below), and each line of the ```python block in
 * scripts/torch/make-fixtures.py, which runs it to make the golden files (CI has no torch).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Adam, SEBlock, SEStateError, SGD, loadCheckpoint, readSafetensors, saveCheckpoint, writeSafetensors } from '../src/index.js';

const ROOT = resolve(__dirname, '..');
const DOC = readFileSync(join(ROOT, 'docs/checkpoints.md'), 'utf8');

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

test('the examples of docs/checkpoints.md, in order', () => {
  const cwd = process.cwd();
  const dir = mkdtempSync(join(tmpdir(), 'se-checkpoints-'));
  try {
    process.chdir(dir);

    // A block's state dict
    const block = new SEBlock({ channels: 16, reduction: 4, seed: 1 });
    const bytes = writeSafetensors(block.stateDict()); // torchvision: fc1.weight [4, 16, 1, 1], fc1.bias, fc2.weight, fc2.bias
    const copy = new SEBlock({ channels: 16, reduction: 4, seed: 2 });
    copy.loadStateDict(readSafetensors(bytes)); // strict: every key, nothing else
    expect(bits(copy.params.w2)).toEqual(bits(block.params.w2));
    const { missingKeys, unexpectedKeys } = copy.loadStateDict({ 'fc1.weight': block.stateDict()['fc1.weight'] }, { strict: false });
    // missingKeys: ['fc1.bias', 'fc2.weight', 'fc2.bias'], unexpectedKeys: []
    expect(missingKeys).toEqual(['fc1.bias', 'fc2.weight', 'fc2.bias']);
    expect(unexpectedKeys).toEqual([]);
    const timm = block.stateDict('timm'); // the same names; 'keras' transposes the kernels
    expect(Object.keys(timm)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    expect(readSafetensors(bytes)['fc1.weight'].shape).toEqual([4, 16, 1, 1]);

    // An optimizer's state dict
    const opt = new Adam(block.parameters(), { lr: 1e-3, amsgrad: true });
    const sd = opt.stateDict(); // { state: {}, param_groups: [{ lr: 0.001, betas: [0.9, 0.999], ..., params: [0, 1, 2, 3] }] }
    expect(sd.state).toEqual({});
    expect(sd.param_groups[0]).toMatchObject({ lr: 0.001, betas: [0.9, 0.999], params: [0, 1, 2, 3] });
    const other = new Adam(copy.parameters());
    other.loadStateDict(sd); // now lr 0.001, amsgrad true, and the same state
    expect([other.lr, other.amsgrad]).toEqual([0.001, true]);

    // One file
    writeFileSync('run.safetensors', saveCheckpoint(block, opt, { metadata: { epoch: '3' } }));
    const resumed = loadCheckpoint(readFileSync('run.safetensors')); // { block, optimizer, metadata }
    // resumed.block: the variant and weights; resumed.optimizer: an Adam with the saved state; resumed.metadata.epoch === '3'
    expect(resumed.optimizer).toBeInstanceOf(Adam);
    expect(resumed.metadata.epoch).toBe('3');
    expect(bits(resumed.block.params.w1)).toEqual(bits(block.params.w1));

    // Resuming is bit-identical
    const batch = { data: new Float32Array(2 * 16 * 4 * 4).map((_, i) => Math.sin(i)), shape: [2, 16, 4, 4] };
    const train = (b: SEBlock, o: SGD, steps: number) => {
      for (let s = 0; s < steps; s++) {
        o.zeroGrad();
        const y = b.forward(batch);
        b.backward({ data: y.data.map((v) => v - 0.5), shape: y.shape }); // d(0.5 * |y - 0.5|^2)/dy
        o.step();
      }
    };
    const a = new SEBlock({ channels: 16, reduction: 4, seed: 3 });
    const optA = new SGD(a.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
    train(a, optA, 5);
    const saved = saveCheckpoint(a, optA);
    train(a, optA, 5); // 10 steps without stopping
    const back = loadCheckpoint(saved);
    train(back.block, back.optimizer as SGD, 5); // 5 + 5 steps, through a file
    // back.block.params.w1 equals a.params.w1 bit for bit
    for (const k of ['w1', 'b1', 'w2', 'b2'] as const) expect(bits(back.block.params[k] as Float32Array)).toEqual(bits(a.params[k] as Float32Array));

    // Autograd safety
    block.forward(batch);
    block.backward(batch, { retainGraph: true }); // keep the forward for another backward
    block.backward(batch); // allowed once more; a third throws SEStateError
    expect(() => block.backward(batch)).toThrow(SEStateError);
  } finally {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every code line of docs/checkpoints.md is run: ts blocks by this file, the python block by make-fixtures.py', () => {
  const self = readFileSync(__filename, 'utf8');
  const script = readFileSync(join(ROOT, 'scripts/torch/make-fixtures.py'), 'utf8');
  const lines = (lang: string) => [...DOC.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].flatMap((m) => m[1].split('\n').map((l) => l.trim()).filter((l) => l !== ''));
  const ts = lines('ts');
  const py = lines('python');
  expect(ts.length).toBeGreaterThan(20);
  expect(py.length).toBeGreaterThan(10);
  expect(ts.filter((l) => !self.includes(l))).toEqual([]);
  expect(py.filter((l) => !script.includes(l))).toEqual([]);
  const opening = [...DOC.matchAll(/^```(\w*)$/gm)].map((m) => m[1]).filter((_, i) => i % 2 === 0);
  expect(opening.filter((lang) => lang !== 'ts' && lang !== 'python')).toEqual([]);
});
