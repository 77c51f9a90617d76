/**
 * The README's checkpoint recipe, scripts/torch/to_safetensors.py: its output for a small state dict
 * (test/fixtures/torch/recipe.safetensors, made by scripts/torch/make-fixtures.py with Debian's torch,
 * which also checks the recipe's bytes against torch's own) reads into every tensor and writes back
 * byte for byte, and the README quotes the script verbatim.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { listSEBlocks, loadSEParams, readSafetensors, readSafetensorsMetadata, writeSafetensors } from '../src/index.js';

const ROOT = resolve(__dirname, '..');
/** The values of any typed array (number or bigint entries) as a plain array. */
const list = (data: ArrayLike<number | bigint>): (number | bigint)[] => Array.from(data);
const bytes = new Uint8Array(readFileSync(join(ROOT, 'test/fixtures/torch/recipe.safetensors')));

test("readSafetensors reads the recipe's file, and writeSafetensors writes the same bytes back", () => {
  const tensors = readSafetensors(bytes);
  expect(Object.keys(readSafetensorsMetadata(bytes))).toEqual([]);
  expect(Object.keys(tensors).length).toBe(17);
  expect(Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.dtype]))).toMatchObject({
    '1.num_batches_tracked': 'I64',
    '2.fc1.weight': 'F32',
    'copy.f16': 'F16',
    'copy.bf16': 'BF16',
    'copy.f64': 'F64',
    'copy.i32': 'I32',
    'copy.u8': 'U8',
    'copy.bool': 'BOOL',
  });
  expect(list(tensors['1.num_batches_tracked'].data)).toEqual([1n]);
  expect(list(tensors['copy.i32'].data)).toEqual([-4, -3, -2, -1, 0, 1, 2, 3]);
  expect(list(tensors['copy.u8'].data)).toEqual([250, 251, 252, 253, 254, 255]);
  expect(list(tensors['copy.f64'].data)).toEqual(list(tensors['2.fc1.weight'].data));
  expect(Array.from(writeSafetensors(tensors))).toEqual(Array.from(bytes));
});

test('listSEBlocks finds the SqueezeExcitation(16, 8) in it, with torchvision names', () => {
  const tensors = readSafetensors(bytes);
  const found = listSEBlocks(tensors);
  expect(found).toEqual([{ prefix: '2.', convention: 'timm', channels: 16, hidden: 8, bias: true }]);
  expect(loadSEParams(tensors, found[0]).w1).toEqual(tensors['2.fc1.weight'].data);
});

test('the README quotes scripts/torch/to_safetensors.py verbatim', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const script = readFileSync(join(ROOT, 'scripts/torch/to_safetensors.py'), 'utf8');
  expect([...readme.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1])).toContain(script);
});
