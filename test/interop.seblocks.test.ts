/**
 * listSEBlocks: the SE blocks of whole state dicts (a torchvision MobileNetV3-small and a timm
 * SE-ResNet built here with BatchNorm I64 `num_batches_tracked`, every convention mixed, the real
 * PyTorch mobilenet_v3_small fixture), dicts that only look like SE blocks, and fast-check
 * properties: every listed block loads with loadSEParams, every saved block is listed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fc, test as propTest } from '@fast-check/jest';
import { expectError } from './expectError.js';
import { createSEParams, seForward } from '../src/core.js';
import { SEError, SEOptionError, SEShapeError, SETypeError } from '../src/errors.js';
import {
  SE_WEIGHT_CONVENTIONS,
  listSEBlocks,
  loadSEParams,
  readSafetensors,
  readSafetensorsMetadata,
  saveSEParams,
  writeSafetensors,
  type SEBlockInfo,
  type SEWeightConvention,
  type SafetensorsEntry,
  type SafetensorsWriteTensor,
} from '../src/interop/index.js';
import type { SEParams } from '../src/params.js';

const listAny = listSEBlocks as (tensors: unknown) => SEBlockInfo[];

/** A float tensor of `shape` with distinct deterministic values. */
function ramp(shape: number[], seed = 0): { data: Float32Array; shape: number[] } {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(i * 0.7 + seed);
  return { data, shape };
}

/** BatchNorm2d's state dict entries under `prefix`, num_batches_tracked as an I64 scalar. */
function batchNorm(prefix: string, channels: number): Record<string, SafetensorsWriteTensor> {
  return {
    [`${prefix}weight`]: ramp([channels], 1),
    [`${prefix}bias`]: ramp([channels], 2),
    [`${prefix}running_mean`]: ramp([channels], 3),
    [`${prefix}running_var`]: { data: new Float32Array(channels).fill(1), shape: [channels] },
    [`${prefix}num_batches_tracked`]: { data: new BigInt64Array([3n]), shape: [] },
  };
}

/** The first index where two arrays differ (Object.is), -1 when they are equal; jest's toEqual is slow on big arrays. */
function firstDifference(a: Float32Array | null, b: Float32Array | null): number {
  if (a === null || b === null) return a === b ? -1 : 0;
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

function sameParams(a: SEParams, b: SEParams): void {
  expect([a.channels, a.hidden]).toEqual([b.channels, b.hidden]);
  expect([firstDifference(a.w1, b.w1), firstDifference(a.b1, b.b1), firstDifference(a.w2, b.w2), firstDifference(a.b2, b.b2)]).toEqual([-1, -1, -1, -1]);
}

/** torchvision's _make_divisible(v, 8). */
const divisible8 = (v: number): number => {
  const n = Math.max(8, Math.floor((v + 4) / 8) * 8);
  return n < 0.9 * v ? n + 8 : n;
};

/**
 * A torchvision mobilenet_v3_small state dict (its real layer configuration, width 1.0) with the
 * SE blocks' params, by prefix.
 */
function mobileNetV3Small(): { tensors: Record<string, SafetensorsWriteTensor>; se: Record<string, SEParams> } {
  // [in, kernel, expanded, out, SE]
  const config: [number, number, number, number, boolean][] = [
    [16, 3, 16, 16, true],
    [16, 3, 72, 24, false],
    [24, 3, 88, 24, false],
    [24, 5, 96, 40, true],
    [40, 5, 240, 40, true],
    [40, 5, 240, 40, true],
    [40, 5, 120, 48, true],
    [48, 5, 144, 48, true],
    [48, 5, 288, 96, true],
    [96, 5, 576, 96, true],
    [96, 5, 576, 96, true],
  ];
  const tensors: Record<string, SafetensorsWriteTensor> = { 'features.0.0.weight': ramp([16, 3, 3, 3]), ...batchNorm('features.0.1.', 16) };
  const se: Record<string, SEParams> = {};
  config.forEach(([cin, k, exp, out, useSe], i) => {
    const p = `features.${i + 1}.block.`;
    let b = 0;
    if (exp !== cin) {
      Object.assign(tensors, { [`${p}${b}.0.weight`]: ramp([exp, cin, 1, 1]) }, batchNorm(`${p}${b}.1.`, exp));
      b++;
    }
    Object.assign(tensors, { [`${p}${b}.0.weight`]: ramp([exp, 1, k, k]) }, batchNorm(`${p}${b}.1.`, exp));
    b++;
    if (useSe) {
      const params = createSEParams({ channels: exp, hidden: divisible8(exp / 4), seed: i });
      params.b1?.set(ramp([params.hidden], i).data);
      params.b2?.set(ramp([exp], i + 0.5).data);
      se[`${p}${b}.`] = params;
      Object.assign(tensors, saveSEParams(params, 'torchvision', { prefix: `${p}${b}.` }));
      b++;
    }
    Object.assign(tensors, { [`${p}${b}.0.weight`]: ramp([out, exp, 1, 1]) }, batchNorm(`${p}${b}.1.`, out));
  });
  Object.assign(tensors, { 'features.12.0.weight': ramp([576, 96, 1, 1]) }, batchNorm('features.12.1.', 576));
  Object.assign(tensors, {
    'classifier.0.weight': ramp([1024, 576]),
    'classifier.0.bias': ramp([1024]),
    'classifier.3.weight': ramp([1000, 1024]),
    'classifier.3.bias': ramp([1000]),
  });
  return { tensors, se };
}

/** A small timm seresnet (bottleneck stages of 3, 4, 6, 3 blocks, SE in each) with its SE params. */
function seResNet(seName = 'se'): { tensors: Record<string, SafetensorsWriteTensor>; se: Record<string, SEParams> } {
  const tensors: Record<string, SafetensorsWriteTensor> = { 'conv1.weight': ramp([8, 3, 7, 7]), ...batchNorm('bn1.', 8) };
  const se: Record<string, SEParams> = {};
  let cin = 8;
  [3, 4, 6, 3].forEach((blocks, s) => {
    const width = 4 << s;
    const out = width * 4;
    for (let i = 0; i < blocks; i++) {
      const p = `layer${s + 1}.${i}.`;
      Object.assign(tensors, { [`${p}conv1.weight`]: ramp([width, cin, 1, 1]) }, batchNorm(`${p}bn1.`, width));
      Object.assign(tensors, { [`${p}conv2.weight`]: ramp([width, width, 3, 3]) }, batchNorm(`${p}bn2.`, width));
      Object.assign(tensors, { [`${p}conv3.weight`]: ramp([out, width, 1, 1]) }, batchNorm(`${p}bn3.`, out));
      const params = createSEParams({ channels: out, reduction: 16, divisor: 8, seed: s * 10 + i });
      se[`${p}${seName}.`] = params;
      Object.assign(tensors, saveSEParams(params, 'timm', { prefix: `${p}${seName}.` }));
      if (i === 0) Object.assign(tensors, { [`${p}downsample.0.weight`]: ramp([out, cin, 1, 1]) }, batchNorm(`${p}downsample.1.`, out));
      cin = out;
    }
  });
  Object.assign(tensors, { 'fc.weight': ramp([1000, cin]), 'fc.bias': ramp([1000]) });
  return { tensors, se };
}

/** Checks `found` against the expected params by prefix, in the expected order, and that each loads. */
function expectBlocks(tensors: Record<string, SafetensorsEntry>, found: SEBlockInfo[], se: Record<string, SEParams>, convention: SEWeightConvention, order: string[]): void {
  expect(found.map((b) => b.prefix)).toEqual(order);
  for (const block of found) {
    const p = se[block.prefix];
    expect(block).toEqual({ prefix: block.prefix, convention, channels: p.channels, hidden: p.hidden, bias: p.b1 !== null });
    sameParams(loadSEParams(tensors, { prefix: block.prefix }), p);
    sameParams(loadSEParams(tensors, { prefix: block.prefix, convention: block.convention }), p);
    sameParams(loadSEParams(tensors, block), p);
  }
}

describe('listSEBlocks: whole networks', () => {
  test('a torchvision mobilenet_v3_small state dict through a file: its 9 SE blocks in layer order', () => {
    const { tensors, se } = mobileNetV3Small();
    const file = writeSafetensors(tensors, { format: 'pt' });
    const read = readSafetensors(file);
    expect(Object.values(read).filter((e) => e.dtype === 'I64').length).toBe(34);
    // The file lists names sorted (features.10 before features.4); blocks come in layer order.
    const order = ['features.1.block.1.', 'features.4.block.2.', 'features.5.block.2.', 'features.6.block.2.', 'features.7.block.2.', 'features.8.block.2.', 'features.9.block.2.', 'features.10.block.2.', 'features.11.block.2.'];
    expect(Object.keys(se).sort()).toEqual([...order].sort());
    const found = listSEBlocks(read);
    expectBlocks(read, found, se, 'timm', order);
    expect(found.map((b) => [b.channels, b.hidden])).toEqual([[16, 8], [96, 24], [240, 64], [240, 64], [120, 32], [144, 40], [288, 72], [576, 144], [576, 144]]);
    // Decoding only what the blocks need gives the same answer.
    const seOnly = readSafetensors(file, { filter: (name) => /\.fc[12]\.(weight|bias)$/.test(name) });
    expect(Object.keys(seOnly).length).toBe(36);
    expect(listSEBlocks(seOnly)).toEqual(found);
  });

  test.each(['se', 'se_module'])('a timm SE-ResNet (SE under "%s") with downsample convs and a fc head', (seName) => {
    const { tensors, se } = seResNet(seName);
    const read = readSafetensors(writeSafetensors(tensors));
    const order = [3, 4, 6, 3].flatMap((n, s) => Array.from({ length: n }, (_, i) => `layer${s + 1}.${i}.${seName}.`));
    expectBlocks(read, listSEBlocks(read), se, 'timm', order);
    expect(listSEBlocks(read)[0]).toEqual({ prefix: `layer1.0.${seName}.`, convention: 'timm', channels: 16, hidden: 8, bias: true });
  });

  test('every convention in one dict, with F16, BF16 and I64 neighbours', () => {
    const a = createSEParams({ channels: 16, hidden: 4, seed: 1, bias: false });
    const b = createSEParams({ channels: 12, hidden: 3, seed: 2 });
    const c = createSEParams({ channels: 32, hidden: 8, seed: 3 });
    const d = createSEParams({ channels: 24, hidden: 6, seed: 4 });
    const keras = saveSEParams(d, 'keras', { prefix: 'block2a_' });
    const tensors: Record<string, SafetensorsWriteTensor> = {
      ...saveSEParams(a, 'seattention', { prefix: 'stage2.attn.' }),
      ...saveSEParams(b, 'timm', { prefix: 'stage10.se.' }),
      ...saveSEParams(c, 'timm-efficientnet', { prefix: 'blocks.1.0.se.' }),
      ...Object.fromEntries(Object.entries(keras).map(([k, t]) => [`${k}:0`, t])),
      'stem.weight': { ...ramp([8, 3, 3, 3]), dtype: 'F16' },
      'head.weight': { ...ramp([10, 8]), dtype: 'BF16' },
      steps: { data: new BigInt64Array([7n]), shape: [] },
    };
    const read = readSafetensors(writeSafetensors(tensors));
    const found = listSEBlocks(read);
    expect(found).toEqual([
      { prefix: 'block2a_', convention: 'keras', channels: 24, hidden: 6, bias: true },
      { prefix: 'blocks.1.0.se.', convention: 'timm-efficientnet', channels: 32, hidden: 8, bias: true },
      { prefix: 'stage2.attn.', convention: 'seattention', channels: 16, hidden: 4, bias: false },
      { prefix: 'stage10.se.', convention: 'timm', channels: 12, hidden: 3, bias: true },
    ]);
    const expected: Record<string, SEParams> = { 'block2a_': d, 'blocks.1.0.se.': c, 'stage2.attn.': a, 'stage10.se.': b };
    for (const block of found) sameParams(loadSEParams(read, { prefix: block.prefix }), expected[block.prefix]);
  });

  test('the same dict as plain FloatTensors, without a file; nothing is modified', () => {
    const { tensors, se } = seResNet();
    const floats = Object.fromEntries(Object.entries(tensors).filter(([, t]) => t.data instanceof Float32Array));
    const before = JSON.stringify(Object.entries(floats).map(([k, t]) => [k, Array.from(t.data as Float32Array)]));
    const found = listSEBlocks(tensors);
    expect(found.length).toBe(16);
    expect(found.map((b) => b.prefix)).toEqual(Object.keys(se));
    expect(JSON.stringify(Object.entries(floats).map(([k, t]) => [k, Array.from(t.data as Float32Array)]))).toBe(before);
  });
});

describe('listSEBlocks: what only looks like an SE block', () => {
  const w = (shape: number[]) => ramp(shape);
  test.each<[string, Record<string, unknown>]>([
    ['a transformer MLP (fc1 [4D, D], fc2 [D, 4D])', { 'blocks.0.mlp.fc1.weight': w([32, 8]), 'blocks.0.mlp.fc1.bias': w([32]), 'blocks.0.mlp.fc2.weight': w([8, 32]), 'blocks.0.mlp.fc2.bias': w([8]) }],
    ['a 1x1-conv MLP that expands', { 'mlp.fc1.weight': w([32, 8, 1, 1]), 'mlp.fc2.weight': w([8, 32, 1, 1]) }],
    ['an MLP classifier (fc2 does not give back fc1\'s input width)', { 'mlp.fc1.weight': w([64, 784]), 'mlp.fc2.weight': w([10, 64]) }],
    ['a Sequential head fc.0 / fc.2', { 'fc.0.weight': w([512, 2048]), 'fc.2.weight': w([1000, 512]) }],
    ['fc1 without fc2', { 'head.fc1.weight': w([4, 16, 1, 1]), 'head.fc1.bias': w([4]) }],
    ['3x3 convs named fc1 / fc2', { 'x.fc1.weight': w([4, 16, 3, 3]), 'x.fc2.weight': w([16, 4, 3, 3]) }],
    ['names that only end like SE keys (no separator)', { 'myfc1.weight': w([4, 16, 1, 1]), 'myfc2.weight': w([16, 4, 1, 1]), 'xse_reduce/kernel': w([1, 1, 16, 4]), 'xse_expand/kernel': w([1, 1, 4, 16]) }],
    ['integer weights (I8 quantized)', { 'q.fc1.weight': { data: new Int8Array(64), shape: [4, 16, 1, 1] }, 'q.fc2.weight': { data: new Int8Array(64), shape: [16, 4, 1, 1] } }],
    ['a bias of the wrong size', { 'b.fc1.weight': w([4, 16, 1, 1]), 'b.fc1.bias': w([16]), 'b.fc2.weight': w([16, 4, 1, 1]) }],
    ['a bias of another dtype', { 'b.fc1.weight': w([4, 16, 1, 1]), 'b.fc2.bias': { data: new BigInt64Array(16), shape: [16] }, 'b.fc2.weight': w([16, 4, 1, 1]) }],
    ['a timm SEModule with a BatchNorm', { 'n.fc1.weight': w([4, 16, 1, 1]), 'n.bn.weight': w([4]), 'n.fc2.weight': w([16, 4, 1, 1]) }],
    ['zero-sized weights', { 'z.fc1.weight': { data: new Float32Array(0), shape: [0, 16, 1, 1] }, 'z.fc2.weight': { data: new Float32Array(0), shape: [16, 0, 1, 1] } }],
    ['1-D weights', { 'v.fc1.weight': w([16]), 'v.fc2.weight': w([16]) }],
    ['Keras kernels in PyTorch order', { 'block1a_se_reduce/kernel': w([4, 16, 1, 1]), 'block1a_se_expand/kernel': w([16, 4, 1, 1]) }],
    ['values that are not tensors', { 'v.fc1.weight': null, 'v.fc2.weight': 3, 'u.fc1.weight': { data: [1, 2], shape: [2, 1] }, 'u.fc2.weight': 'x' }],
    ['an empty dict', {}],
  ])('%s', (_, tensors) => {
    expect(listAny(tensors)).toEqual([]);
  });

  test('a block beside look-alikes is still found', () => {
    const p = createSEParams({ channels: 16, hidden: 4, seed: 5 });
    const tensors = { ...saveSEParams(p, 'timm', { prefix: 'a.se.' }), 'a.mlp.fc1.weight': w([64, 16]), 'a.mlp.fc2.weight': w([16, 64]), 'fc1.weight': w([3, 2]) };
    expect(listSEBlocks(tensors)).toEqual([{ prefix: 'a.se.', convention: 'timm', channels: 16, hidden: 4, bias: true }]);
  });

  test('hidden equal to channels is an SE block (torchvision rounds small widths up to 8)', () => {
    const p = createSEParams({ channels: 8, hidden: 8, seed: 6 });
    expect(listSEBlocks(saveSEParams(p, 'torchvision', { prefix: 'features.1.block.1.' }))).toEqual([
      { prefix: 'features.1.block.1.', convention: 'timm', channels: 8, hidden: 8, bias: true },
    ]);
  });

  test('two conventions under one prefix: both listed; loadSEParams needs the convention', () => {
    const a = createSEParams({ channels: 8, hidden: 2, seed: 1, bias: false });
    const b = createSEParams({ channels: 6, hidden: 3, seed: 2 });
    const tensors = { ...saveSEParams(a, 'seattention'), ...saveSEParams(b, 'timm') };
    const found = listSEBlocks(tensors);
    expect(found.map((x) => [x.prefix, x.convention])).toEqual([['', 'seattention'], ['', 'timm']]);
    expectError(() => loadSEParams(tensors), SEOptionError, 'loadSEParams', /several conventions/);
    sameParams(loadSEParams(tensors, { prefix: '', convention: found[0].convention }), a);
    sameParams(loadSEParams(tensors, { prefix: '', convention: found[1].convention }), b);
  });

  test('a stray key of another convention under the prefix no longer blocks loadSEParams', () => {
    const p = createSEParams({ channels: 8, hidden: 2, seed: 3 });
    const tensors = { ...saveSEParams(p, 'timm', { prefix: 'se.' }), 'se.fc.0.bias': ramp([2]) };
    expect(listSEBlocks(tensors).map((x) => x.convention)).toEqual(['timm']);
    sameParams(loadSEParams(tensors, { prefix: 'se.' }), p);
  });

  test.each<[string, unknown, typeof SEError, RegExp]>([
    ['tensors null', null, SETypeError, /tensors must be an object \(or a Map\) of tensors by name but got null/],
    ['tensors an array', [], SETypeError, /tensors must be an object/],
    ['a float32 SE weight whose data is too short', { 'se.fc1.weight': { data: new Float32Array(3), shape: [2, 4] }, 'se.fc2.weight': ramp([4, 2]) }, SEShapeError, /tensors\["se\.fc1\.weight"\]/],
  ])('%s', (_, tensors, cls, pattern) => {
    expectError(() => listAny(tensors), cls, 'listSEBlocks', pattern);
  });
});

describe('listSEBlocks: properties', () => {
  const prefixArb = fc.constantFrom('', 'a.', 'a.b.', 'se.', 'layer1.0.se.', 'blk_', 'm/', 'x');
  const suffixArb = fc.constantFrom(
    ...SE_WEIGHT_CONVENTIONS.flatMap((c) => {
      const k = { seattention: ['fc.0', 'fc.2'], timm: ['fc1', 'fc2'], torchvision: [], 'timm-efficientnet': ['conv_reduce', 'conv_expand'], keras: [] }[c];
      return k.flatMap((n) => [`${n}.weight`, `${n}.bias`]);
    }),
    'se_reduce/kernel', 'se_reduce/bias', 'se_expand/kernel:0', 'se_expand/bias:0', 'bn.weight', 'junk',
  );
  const dim = fc.integer({ min: 1, max: 4 });
  const tensorArb = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(dim, dim, fc.constantFrom('rc', 'rc11', '11rc', 'r', 'r1')).map(([r, c, form]) => {
      const shape = { rc: [r, c], rc11: [r, c, 1, 1], '11rc': [1, 1, r, c], r: [r], r1: [r, 1] }[form];
      return ramp(shape, r * 7 + c);
    }) },
    { weight: 1, arbitrary: fc.constant({ data: new BigInt64Array([1n]), shape: [] }) },
    { weight: 1, arbitrary: fc.constant({ data: new Int32Array(4), shape: [2, 2, 1, 1] }) },
  );

  propTest.prop([fc.dictionary(fc.tuple(prefixArb, suffixArb).map(([p, s]) => p + s), tensorArb, { maxKeys: 14 })], { numRuns: 500 })(
    'every block listed loads with loadSEParams and has the listed sizes',
    (tensors) => {
      const found = listSEBlocks(tensors);
      for (const block of found) {
        const p = loadSEParams(tensors, { prefix: block.prefix, convention: block.convention });
        expect([p.channels, p.hidden, p.b1 !== null || p.b2 !== null]).toEqual([block.channels, block.hidden, block.bias]);
        expect(block.hidden).toBeLessThanOrEqual(block.channels);
        if (found.filter((b) => b.prefix === block.prefix).length === 1) {
          sameParams(loadSEParams(tensors, { prefix: block.prefix }), p);
        }
      }
      const keys = found.map((b) => `${b.convention}:${b.prefix}`);
      expect(new Set(keys).size).toBe(keys.length);
    },
  );

  const blockArb = fc.record({
    channels: fc.integer({ min: 1, max: 12 }),
    hiddenFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    bias: fc.boolean(),
    convention: fc.constantFrom(...SE_WEIGHT_CONVENTIONS),
    seed: fc.nat(1000),
  });
  propTest.prop([fc.uniqueArray(fc.tuple(fc.nat(30), blockArb), { selector: ([i]) => i, minLength: 1, maxLength: 6 }), fc.boolean()], { numRuns: 150 })(
    'every block saved (any convention, numbered prefixes) is listed, in numeric order, through a file or not',
    (blocks, throughFile) => {
      const tensors: Record<string, SafetensorsWriteTensor> = { 'stem.weight': ramp([4, 3, 3, 3]), ...batchNorm('stem.bn.', 4) };
      const expected: SEBlockInfo[] = [];
      for (const [i, b] of blocks) {
        const hidden = Math.max(1, Math.ceil(b.hiddenFraction * b.channels));
        const bias = b.bias && b.convention !== 'seattention';
        const p = createSEParams({ channels: b.channels, hidden, seed: b.seed, bias });
        const prefix = b.convention === 'keras' ? `block${i}a_` : `layers.${i}.se.`;
        Object.assign(tensors, saveSEParams(p, b.convention, { prefix }), batchNorm(`layers.${i}.bn.`, b.channels));
        const reported = b.convention === 'torchvision' ? 'timm' : b.convention;
        expected.push({ prefix, convention: reported, channels: b.channels, hidden, bias });
      }
      // Numbered prefixes in numeric order: 'block2a_' < 'block10a_' < 'layers.2.se.' < 'layers.10.se.'.
      const lead = (b: SEBlockInfo): string => b.prefix.replace(/\d.*$/, '');
      const num = (b: SEBlockInfo): number => Number(/\d+/.exec(b.prefix)?.[0]);
      expected.sort((x, y) => (lead(x) < lead(y) ? -1 : lead(x) > lead(y) ? 1 : num(x) - num(y)));
      const dict = throughFile ? readSafetensors(writeSafetensors(tensors)) : tensors;
      expect(listSEBlocks(dict)).toEqual(expected);
    },
  );
});

describe('the real PyTorch mobilenet_v3_small checkpoint', () => {
  const dir = join(__dirname, 'fixtures', 'torch');
  const file = join(dir, 'mobilenet_v3_small.safetensors');

  test('has the fixture', () => {
    expect(existsSync(file)).toBe(true);
  });

  test('listSEBlocks finds its 9 SqueezeExcitation modules, as torch listed them, and each loads', () => {
    const bytes = readFileSync(file);
    const tensors = readSafetensors(bytes);
    expect(Object.values(tensors).some((e) => e.dtype === 'I64' && e.shape.length === 0)).toBe(true);
    const torchList: { prefix: string; channels: number; hidden: number; bias: boolean }[] = JSON.parse(readSafetensorsMetadata(bytes).se_blocks);
    const found = listSEBlocks(tensors);
    expect(found.length).toBe(9);
    expect(found).toEqual(torchList.map((b) => ({ ...b, convention: 'timm' })));
    for (const block of found) {
      const p = loadSEParams(tensors, { prefix: block.prefix });
      const w1 = tensors[`${block.prefix}fc1.weight`];
      expect(w1.shape).toEqual([block.hidden, block.channels, 1, 1]);
      expect(w1.data instanceof Float32Array && firstDifference(p.w1, w1.data)).toBe(-1);
    }
  });

  test('a block found by listSEBlocks runs as torch ran it (the SE probe fixture)', () => {
    const probeBytes = readFileSync(join(dir, 'mobilenet_v3_small.se-probe.safetensors'));
    const probe = readSafetensors(probeBytes);
    const prefix = readSafetensorsMetadata(probeBytes).prefix;
    const tensors = readSafetensors(readFileSync(file), { filter: (name) => name.startsWith(prefix) });
    const [block] = listSEBlocks(tensors);
    expect(block.prefix).toBe(prefix);
    const x = probe['golden.x'];
    const golden = probe['golden.y'];
    if (x.dtype !== 'F32' || golden.dtype !== 'F32') throw new Error('the probe holds F32 tensors');
    const { y } = seForward(x, loadSEParams(tensors, block), { gate: 'hardSigmoid' });
    let worst = 0;
    for (let i = 0; i < y.data.length; i++) worst = Math.max(worst, Math.abs(y.data[i] - golden.data[i]) / (1e-3 + Math.abs(golden.data[i])));
    expect(worst).toBeLessThan(1e-5);
  });
});
