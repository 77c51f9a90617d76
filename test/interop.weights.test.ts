/**
 * SE weights in other frameworks' names and layouts: files in every convention (built with
 * writeSafetensors) load back to the same params and the same seForward output; prefixes,
 * auto-detection, shape and missing-key errors; save/load round trips; inputs never modified.
 */
import { fc, test as propTest } from '@fast-check/jest';
import { expectError } from './expectError.js';
import { createSEParams, seForward } from '../src/core.js';
import { SEError, SEOptionError, SEShapeError, SETypeError } from '../src/errors.js';
import {
  SE_WEIGHT_CONVENTIONS,
  listSEBlocks,
  loadSEParams,
  readSafetensors,
  saveSEParams,
  seWeightKeys,
  writeSafetensors,
  type SEWeightConvention,
} from '../src/interop/index.js';
import type { SEParams } from '../src/params.js';
import type { FloatTensor, PlainTensor } from '../src/tensor.js';

// The public functions with their parameters widened, to pass deliberately bad input without casts.
const loadAny = loadSEParams as (tensors: unknown, opts?: unknown) => SEParams;
const saveAny = saveSEParams as (params: unknown, convention: unknown, opts?: unknown) => Record<string, PlainTensor>;

/** Deterministic, distinct values so that a transposition or a swapped tensor shows. */
function ramp(n: number, scale: number, shift = 0): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 1.3 + shift) * scale));
}

/** createSEParams({channels: 8, hidden: 2, seed: 3}) with non-zero biases (or none). */
function knownParams(bias = true): SEParams {
  const p = createSEParams({ channels: 8, hidden: 2, seed: 3, bias });
  if (p.b1 !== null) p.b1.set(ramp(2, 0.5, 1));
  if (p.b2 !== null) p.b2.set(ramp(8, 0.7, 2));
  return p;
}

function expectSameParams(actual: SEParams, expected: SEParams): void {
  expect(actual.channels).toBe(expected.channels);
  expect(actual.hidden).toBe(expected.hidden);
  expect(actual.w1).toEqual(expected.w1);
  expect(actual.w2).toEqual(expected.w2);
  expect(actual.b1).toEqual(expected.b1);
  expect(actual.b2).toEqual(expected.b2);
}

function clone(p: SEParams): SEParams {
  return { ...p, w1: p.w1.slice(), b1: p.b1 === null ? null : p.b1.slice(), w2: p.w2.slice(), b2: p.b2 === null ? null : p.b2.slice() };
}

/** A snapshot of every tensor's data, to check that nothing was modified. */
function snapshot(tensors: Record<string, FloatTensor>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(tensors)) out[k] = Array.from(t.data);
  return out;
}


/** Escapes a string for use in a RegExp. */
const re = (s: string): RegExp => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

const x = { data: ramp(2 * 8 * 3 * 3, 2, 0.3), shape: [2, 8, 3, 3] };

describe('loadSEParams: a file in each convention', () => {
  // Each built by hand from the known params, not with saveSEParams, so that the layouts are checked independently.
  const p = knownParams(true);
  const C = 8;
  const R = 2;
  /** w1 [R, C] as a Keras kernel [C, R] (in, out). */
  const kerasKernel1 = Float32Array.from({ length: C * R }, (_, i) => p.w1[(i % R) * C + Math.floor(i / R)]);
  /** w2 [C, R] as a Keras kernel [R, C]. */
  const kerasKernel2 = Float32Array.from({ length: R * C }, (_, i) => p.w2[(i % C) * R + Math.floor(i / C)]);
  const b1 = p.b1 ?? new Float32Array(R);
  const b2 = p.b2 ?? new Float32Array(C);

  const files: [string, SEWeightConvention, Record<string, FloatTensor>, SEParams][] = [
    [
      'seattention (Linear, no bias)',
      'seattention',
      { 'fc.0.weight': { data: p.w1, shape: [R, C] }, 'fc.2.weight': { data: p.w2, shape: [C, R] } },
      { ...p, b1: null, b2: null },
    ],
    [
      'timm SEModule (1x1 conv)',
      'timm',
      {
        'fc1.weight': { data: p.w1, shape: [R, C, 1, 1] },
        'fc1.bias': { data: b1, shape: [R] },
        'fc2.weight': { data: p.w2, shape: [C, R, 1, 1] },
        'fc2.bias': { data: b2, shape: [C] },
      },
      p,
    ],
    [
      'torchvision SqueezeExcitation with 2-D weights',
      'timm',
      {
        'fc1.weight': { data: p.w1, shape: [R, C] },
        'fc1.bias': { data: b1, shape: [R] },
        'fc2.weight': { data: p.w2, shape: [C, R] },
        'fc2.bias': { data: b2, shape: [C] },
      },
      p,
    ],
    [
      'timm EfficientNet SqueezeExcite',
      'timm-efficientnet',
      {
        'conv_reduce.weight': { data: p.w1, shape: [R, C, 1, 1] },
        'conv_reduce.bias': { data: b1, shape: [R] },
        'conv_expand.weight': { data: p.w2, shape: [C, R, 1, 1] },
        'conv_expand.bias': { data: b2, shape: [C] },
      },
      p,
    ],
    [
      'Keras Conv2D kernels [1, 1, in, out]',
      'keras',
      {
        'se_reduce/kernel': { data: kerasKernel1, shape: [1, 1, C, R] },
        'se_reduce/bias': { data: b1, shape: [R] },
        'se_expand/kernel': { data: kerasKernel2, shape: [1, 1, R, C] },
        'se_expand/bias': { data: b2, shape: [C] },
      },
      p,
    ],
    [
      'Keras with :0 suffixes and 2-D kernels',
      'keras',
      {
        'se_reduce/kernel:0': { data: kerasKernel1, shape: [C, R] },
        'se_reduce/bias:0': { data: b1, shape: [R] },
        'se_expand/kernel:0': { data: kerasKernel2, shape: [R, C] },
        'se_expand/bias:0': { data: b2, shape: [C] },
      },
      p,
    ],
  ];

  test.each(files)('%s loads back to the same params and the same seForward output', (_, convention, tensors, expected) => {
    const back = readSafetensors(writeSafetensors(tensors));
    for (const opts of [undefined, { convention }]) {
      const loaded = loadSEParams(back, opts);
      expectSameParams(loaded, expected);
      expect(seForward(x, loaded).y.data).toEqual(seForward(x, expected).y.data);
    }
  });

  test.each(files)('%s loads under a prefix, among other keys, without modifying or aliasing them', (_, convention, tensors, expected) => {
    const prefix = convention === 'keras' ? 'block2a_' : 'layer1.0.se.';
    const dict: Record<string, FloatTensor> = { 'conv1.weight': { data: ramp(27, 1), shape: [1, 3, 3, 3] }, 'fc.weight': { data: ramp(10, 1), shape: [10, 1] } };
    for (const [k, t] of Object.entries(tensors)) dict[prefix + k] = t;
    const before = snapshot(dict);
    const loaded = loadSEParams(dict, { prefix });
    expectSameParams(loaded, expected);
    expect(snapshot(dict)).toEqual(before);
    for (const arr of [loaded.w1, loaded.w2, loaded.b1, loaded.b2]) {
      if (arr === null) continue;
      for (const t of Object.values(dict)) expect(arr.buffer).not.toBe(t.data.buffer);
    }
    // Writing into the source afterwards does not reach the loaded params.
    const copy = clone(expected);
    try {
      for (const t of Object.values(dict)) t.data.fill(0);
      expectSameParams(loaded, copy);
    } finally {
      for (const [k, values] of Object.entries(before)) dict[k].data.set(values);
    }
  });
});

describe('loadSEParams: details', () => {
  test('strided views load as their logical (row-major) values', () => {
    const p = knownParams(false);
    // w1 [2, 8] stored transposed: a [2, 8] view with strides [1, 2] over an [8, 2] buffer, at offset 3.
    const store = new Float32Array(3 + 16);
    for (let r = 0; r < 2; r++) for (let c = 0; c < 8; c++) store[3 + c * 2 + r] = p.w1[r * 8 + c];
    const loaded = loadSEParams({
      'fc.0.weight': { data: store, shape: [2, 8], stride: [1, 2], offset: 3 },
      'fc.2.weight': { data: p.w2, shape: [8, 2] },
    });
    expectSameParams(loaded, p);
  });

  test('two SE blocks in one state dict, each by its prefix', () => {
    const a = knownParams(true);
    const b = createSEParams({ channels: 16, hidden: 4, seed: 9 });
    const dict = { ...saveSEParams(a, 'timm', { prefix: 'layer1.0.se.' }), ...saveSEParams(b, 'timm', { prefix: 'layer2.0.se.' }) };
    expectSameParams(loadSEParams(dict, { prefix: 'layer1.0.se.' }), a);
    expectSameParams(loadSEParams(dict, { prefix: 'layer2.0.se.' }), b);
  });

  test('a missing bias loads as null', () => {
    const p = knownParams(true);
    const dict = saveSEParams(p, 'timm-efficientnet');
    delete dict['conv_expand.bias'];
    const loaded = loadSEParams(dict);
    expect(loaded.b1).toEqual(p.b1);
    expect(loaded.b2).toBeNull();
  });

  test('seattention files with biases (an SELayer variant) keep them', () => {
    const p = knownParams(true);
    const dict: Record<string, FloatTensor> = {
      'fc.0.weight': { data: p.w1, shape: [2, 8] },
      'fc.0.bias': { data: p.b1 ?? new Float32Array(2), shape: [2] },
      'fc.2.weight': { data: p.w2, shape: [8, 2] },
      'fc.2.bias': { data: p.b2 ?? new Float32Array(8), shape: [8] },
    };
    expectSameParams(loadSEParams(dict), p);
  });

  test('an explicit convention is used even when another would be detected', () => {
    const dict = { ...saveSEParams(knownParams(true), 'timm'), ...saveSEParams(knownParams(false), 'seattention') };
    expectError(() => loadSEParams(dict), SEOptionError, 'loadSEParams', /several conventions/, /seattention, timm/, /opts\.convention/);
    expectSameParams(loadSEParams(dict, { convention: 'seattention' }), knownParams(false));
    expectSameParams(loadSEParams(dict, { convention: 'torchvision' }), knownParams(true));
  });

  test('seWeightKeys names the keys of each convention', () => {
    expect(seWeightKeys('timm', 'layer1.0.se.')).toEqual({
      w1: 'layer1.0.se.fc1.weight',
      b1: 'layer1.0.se.fc1.bias',
      w2: 'layer1.0.se.fc2.weight',
      b2: 'layer1.0.se.fc2.bias',
    });
    expect(seWeightKeys('keras', 'block2a_').w1).toBe('block2a_se_reduce/kernel');
    expect(seWeightKeys('seattention').w2).toBe('fc.2.weight');
    expectError(() => (seWeightKeys as (c: unknown) => unknown)('caffe'), SEOptionError, 'seWeightKeys', /'seattention', 'timm'/);
  });
});

describe('loadSEParams: errors', () => {
  const fn = 'loadSEParams';
  const p = knownParams(true);
  const timm = (): Record<string, PlainTensor> => saveSEParams(p, 'timm', { prefix: 'layer1.0.se.' });

  test('no SE keys: names every key looked for, and the prefixes that would match', () => {
    expectError(
      () => loadSEParams(timm()),
      SETypeError,
      fn,
      /no SE weights found under prefix ''/,
      re("'fc.0.weight'"),
      re("'fc.2.weight'"),
      re("'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'"),
      re("'conv_reduce.weight'"),
      re("'conv_expand.bias'"),
      re("'se_reduce/kernel[:0]'"),
      re("'se_expand/bias[:0]'"),
      re("prefix 'layer1.0.se.'"),
    );
    expectError(() => loadSEParams({}, { prefix: 'block2a_' }), SETypeError, fn, re("'block2a_se_reduce/kernel[:0]'"));
    expectError(() => loadSEParams(timm(), { prefix: 'layer1.0.se' }), SETypeError, fn, re("'layer1.0.sefc1.weight'"), re("prefix 'layer1.0.se.'"));
  });

  test.each<[SEWeightConvention, string, string]>([
    ['timm', 'fc2.weight', 'fc1.weight'],
    ['timm', 'fc1.weight', 'fc2.weight'],
    ['seattention', 'fc.2.weight', 'fc.0.weight'],
    ['timm-efficientnet', 'conv_reduce.weight', 'conv_expand.weight'],
    ['keras', 'se_expand/kernel', 'se_reduce/kernel'],
  ])('%s without %s names that key', (convention, missing) => {
    const dict = saveSEParams(knownParams(convention !== 'seattention'), convention, { prefix: 'm.' });
    delete dict[`m.${missing}`];
    expectError(() => loadSEParams(dict, { prefix: 'm.' }), SETypeError, fn, re(`tensors["m.${missing}"]`), /is missing/, re(`convention '${convention}'`));
  });

  test.each<[string, string, number[], RegExp]>([
    ['fc2.weight with the wrong R', 'fc2.weight', [8, 3, 1, 1], /expected \[8, 2, 1, 1\] or \[8, 2\] \(C = 8 and R = 2 from tensors\["layer1\.0\.se\.fc1\.weight"\] with shape \[2, 8, 1, 1\]\)/],
    ['fc2.weight not transposed', 'fc2.weight', [2, 8, 1, 1], /has shape \[2, 8, 1, 1\] but expected \[8, 2, 1, 1\] or \[8, 2\]/],
    ['fc2.weight a 3x3 conv', 'fc2.weight', [8, 2, 3, 3], /has shape \[8, 2, 3, 3\] but expected \[8, 2, 1, 1\]/],
    ['fc1.weight a 3x3 conv', 'fc1.weight', [2, 8, 3, 3], /fc1\.weight"\] has shape \[2, 8, 3, 3\] but expected \[R, C, 1, 1\] or \[R, C\]/],
    ['fc1.weight 1-D', 'fc1.weight', [16], /fc1\.weight"\] has shape \[16\] but expected \[R, C, 1, 1\] or \[R, C\]/],
    ['fc1.bias of size C', 'fc1.bias', [8], /fc1\.bias"\] has shape \[8\] but expected \[2\] \(R = 2/],
    ['fc2.bias of size R', 'fc2.bias', [2], /fc2\.bias"\] has shape \[2\] but expected \[8\] \(C = 8/],
    ['fc2.bias 2-D', 'fc2.bias', [8, 1], /fc2\.bias"\] has shape \[8, 1\] but expected \[8\]/],
  ])('%s', (_, key, shape, pattern) => {
    const dict: Record<string, FloatTensor> = timm();
    const n = shape.reduce((a, b) => a * b, 1);
    dict[`layer1.0.se.${key}`] = { data: ramp(n, 1), shape };
    expectError(() => loadSEParams(dict, { prefix: 'layer1.0.se.' }), SEShapeError, fn, re(`tensors["layer1.0.se.${key}"]`), pattern);
  });

  test('Keras kernels in PyTorch order are a shape error naming both shapes', () => {
    const dict: Record<string, FloatTensor> = saveSEParams(p, 'keras', { prefix: 'block2a_' });
    dict['block2a_se_expand/kernel'] = { data: ramp(16, 1), shape: [1, 1, 8, 2] };
    expectError(() => loadSEParams(dict, { prefix: 'block2a_' }), SEShapeError, fn, /se_expand\/kernel"\] has shape \[1, 1, 8, 2\] but expected \[1, 1, 2, 8\] or \[2, 8\]/);
    dict['block2a_se_reduce/kernel'] = { data: ramp(16, 1), shape: [2, 8, 1, 1] };
    expectError(() => loadSEParams(dict, { prefix: 'block2a_' }), SEShapeError, fn, /se_reduce\/kernel"\] has shape \[2, 8, 1, 1\] but expected \[1, 1, C, R\] or \[C, R\]/);
  });

  test('tensors that are not Float32 tensors', () => {
    const dict: Record<string, unknown> = { ...timm() };
    dict['layer1.0.se.fc2.weight'] = { data: new Float64Array(16), shape: [8, 2] };
    expectError(() => loadAny(dict, { prefix: 'layer1.0.se.' }), SETypeError, fn, /tensors\["layer1\.0\.se\.fc2\.weight"\]\.data must be a Float32Array but got a Float64Array\(16\)/);
    dict['layer1.0.se.fc2.weight'] = { data: new Float32Array(15), shape: [8, 2] };
    expectError(() => loadAny(dict, { prefix: 'layer1.0.se.' }), SEShapeError, fn, /fc2\.weight"\]/, /length 15/);
  });

  test('a timm SEModule with a BatchNorm is refused', () => {
    const dict: Record<string, FloatTensor> = timm();
    dict['layer1.0.se.bn.weight'] = { data: new Float32Array(2), shape: [2] };
    expectError(() => loadSEParams(dict, { prefix: 'layer1.0.se.' }), SEOptionError, fn, /BatchNorm/, /use_norm/);
  });

  test.each<[string, unknown, unknown, typeof SEError, RegExp]>([
    ['tensors null', null, undefined, SETypeError, /tensors must be an object \(or a Map\) of tensors by name but got null/],
    ['tensors an array', [], undefined, SETypeError, /tensors must be an object/],
    ['opts a string', {}, 'timm', SETypeError, /opts must be an object/],
    ['an unknown option', {}, { prefx: 'a.' }, SEOptionError, /unknown option 'prefx'; expected one of prefix, convention, channels, hidden, bias/],
    ['channels not a positive integer', {}, { channels: 0 }, SEOptionError, /opts\.channels must be a positive integer but is 0/],
    ['hidden not an integer', {}, { hidden: 2.5 }, SEOptionError, /opts\.hidden must be a positive integer but is 2\.5/],
    ['bias not a boolean', {}, { bias: 1 }, SEOptionError, /opts\.bias must be true or false but is 1/],
    ['a non-string prefix', {}, { prefix: 3 }, SEOptionError, /prefix must be a string but is 3/],
    ['an unknown convention', {}, { convention: 'caffe' }, SEOptionError, /opts\.convention must be one of 'seattention', 'timm', 'torchvision', 'timm-efficientnet', 'keras' but is "caffe"/],
  ])('%s', (_, tensors, opts, cls, pattern) => {
    expectError(() => loadAny(tensors, opts), cls, fn, pattern);
  });
});

describe('loadSEParams: channels, hidden and bias expectations', () => {
  const fn = 'loadSEParams';
  const p = knownParams(true);
  const dict = saveSEParams(p, 'timm-efficientnet', { prefix: 'blocks.2.0.se.' });

  test('a block that matches them loads; so does a listSEBlocks entry passed as options', () => {
    expectSameParams(loadSEParams(dict, { prefix: 'blocks.2.0.se.', channels: 8, hidden: 2, bias: true }), p);
    const [block] = listSEBlocks(dict);
    expect(block).toEqual({ prefix: 'blocks.2.0.se.', convention: 'timm-efficientnet', channels: 8, hidden: 2, bias: true });
    expectSameParams(loadSEParams(dict, block), p);
  });

  test.each<[string, Record<string, unknown>, RegExp]>([
    ['channels', { channels: 16 }, /opts\.channels is 16 but the block has C = 8 \(from tensors\["blocks\.2\.0\.se\.conv_reduce\.weight"\] with shape \[2, 8, 1, 1\]\)/],
    ['hidden', { hidden: 4 }, /opts\.hidden is 4 but the block has R = 2/],
    ['bias', { bias: false }, /opts\.bias is false but the block under prefix 'blocks\.2\.0\.se\.' has a bias/],
  ])('a block that does not match %s is a shape error', (_, expectation, pattern) => {
    expectError(() => loadAny(dict, { prefix: 'blocks.2.0.se.', ...expectation }), SEShapeError, fn, pattern);
  });

  test('bias: true for a block without biases', () => {
    const bare = saveSEParams(knownParams(false), 'seattention');
    expectError(() => loadSEParams(bare, { bias: true }), SEShapeError, fn, /opts\.bias is true but the block under prefix '' has no bias/);
  });
});

describe('saveSEParams', () => {
  const fn = 'saveSEParams';

  test('writes each convention\'s names and shapes', () => {
    const p = knownParams(true);
    const shapes = (d: Record<string, PlainTensor>): Record<string, number[]> =>
      Object.fromEntries(Object.entries(d).map(([k, t]) => [k, t.shape]));
    expect(shapes(saveSEParams(p, 'timm', { prefix: 'se.' }))).toEqual({
      'se.fc1.weight': [2, 8, 1, 1],
      'se.fc1.bias': [2],
      'se.fc2.weight': [8, 2, 1, 1],
      'se.fc2.bias': [8],
    });
    expect(shapes(saveSEParams(p, 'torchvision'))).toEqual(shapes(saveSEParams(p, 'timm')));
    expect(shapes(saveSEParams(p, 'timm-efficientnet'))).toEqual({
      'conv_reduce.weight': [2, 8, 1, 1],
      'conv_reduce.bias': [2],
      'conv_expand.weight': [8, 2, 1, 1],
      'conv_expand.bias': [8],
    });
    expect(shapes(saveSEParams(knownParams(false), 'seattention'))).toEqual({ 'fc.0.weight': [2, 8], 'fc.2.weight': [8, 2] });
    const keras = saveSEParams(p, 'keras', { prefix: 'block2a_' });
    expect(shapes(keras)).toEqual({
      'block2a_se_reduce/kernel': [1, 1, 8, 2],
      'block2a_se_reduce/bias': [2],
      'block2a_se_expand/kernel': [1, 1, 2, 8],
      'block2a_se_expand/bias': [8],
    });
    // kernel[0, 0, c, r] = w1[r, c]
    const k = keras['block2a_se_reduce/kernel'].data;
    for (let c = 0; c < 8; c++) for (let r = 0; r < 2; r++) expect(k[c * 2 + r]).toBe(p.w1[r * 8 + c]);
    const k2 = keras['block2a_se_expand/kernel'].data;
    for (let r = 0; r < 2; r++) for (let c = 0; c < 8; c++) expect(k2[r * 8 + c]).toBe(p.w2[c * 2 + r]);
  });

  test('seattention with biases is an error that says why', () => {
    expectError(() => saveSEParams(knownParams(true), 'seattention'), SEOptionError, fn, /'seattention' has no biases/, /bias: false/, /params\.b1 is a Float32Array\(2\)/);
    const oneBias = { ...knownParams(false), b2: new Float32Array(8) };
    expectError(() => saveSEParams(oneBias, 'seattention'), SEOptionError, fn, /params\.b1 is null and params\.b2 is a Float32Array\(8\)/);
  });

  test.each<[string, unknown, unknown, unknown, typeof SEError, RegExp]>([
    ['params null', null, 'timm', undefined, SETypeError, /params must be SEParams/],
    ['params of the wrong size', { ...knownParams(true), w2: new Float32Array(15) }, 'timm', undefined, SEShapeError, /params\.w2 has length 15 but \[channels, hidden\] = \[8, 2\] needs 16/],
    ['an unknown convention', knownParams(true), 'onnx', undefined, SEOptionError, /convention must be one of 'seattention'.* but is "onnx"/],
    ['a missing convention', knownParams(true), undefined, undefined, SEOptionError, /convention must be one of/],
    ['an unknown option', knownParams(true), 'timm', { convention: 'keras' }, SEOptionError, /unknown option 'convention'; expected one of prefix/],
    ['a non-string prefix', knownParams(true), 'timm', { prefix: null }, SEOptionError, /prefix must be a string but is null/],
  ])('%s', (_, params, convention, opts, cls, pattern) => {
    expectError(() => saveAny(params, convention, opts), cls, fn, pattern);
  });

  test('never modifies or aliases the params', () => {
    const p = knownParams(true);
    const before = { w1: p.w1.slice(), b1: p.b1?.slice(), w2: p.w2.slice(), b2: p.b2?.slice() };
    for (const convention of ['timm', 'torchvision', 'timm-efficientnet', 'keras'] as const) {
      const saved = saveSEParams(p, convention);
      for (const t of Object.values(saved)) {
        for (const arr of [p.w1, p.b1, p.w2, p.b2]) expect(t.data.buffer).not.toBe(arr?.buffer);
        t.data.fill(-1);
      }
    }
    expect(p.w1).toEqual(before.w1);
    expect(p.b1).toEqual(before.b1);
    expect(p.w2).toEqual(before.w2);
    expect(p.b2).toEqual(before.b2);
  });
});

describe('save / load round trips', () => {
  test.each(SE_WEIGHT_CONVENTIONS.map((c) => [c]))('%s through a safetensors file', (convention) => {
    const p = knownParams(convention !== 'seattention');
    for (const prefix of ['', 'blocks.1.0.se.', 'block3b_']) {
      const file = writeSafetensors(saveSEParams(p, convention, { prefix }), { format: 'pt' });
      const loaded = loadSEParams(readSafetensors(file), { prefix });
      expectSameParams(loaded, p);
      expect(seForward(x, loaded, { activation: 'silu' }).y.data).toEqual(seForward(x, p, { activation: 'silu' }).y.data);
    }
  });

  const caseArb = fc.record({
    channels: fc.integer({ min: 1, max: 12 }),
    hidden: fc.integer({ min: 1, max: 6 }),
    bias: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1000 }),
    convention: fc.constantFrom(...SE_WEIGHT_CONVENTIONS),
    prefix: fc.constantFrom('', 'se.', 'layer4.2.se.', 'block6a_', 'model/'),
    detect: fc.boolean(),
  });
  propTest.prop([caseArb], { numRuns: 200 })('random params, conventions and prefixes', (c) => {
    const bias = c.bias && c.convention !== 'seattention';
    const p = createSEParams({ channels: c.channels, hidden: c.hidden, seed: c.seed, bias });
    if (p.b1 !== null) p.b1.set(ramp(c.hidden, 1, c.seed));
    if (p.b2 !== null) p.b2.set(ramp(c.channels, 1, c.seed + 1));
    const saved = saveSEParams(p, c.convention, { prefix: c.prefix });
    const before = snapshot(saved);
    const loaded = loadSEParams(readSafetensors(writeSafetensors(saved)), c.detect ? { prefix: c.prefix } : { prefix: c.prefix, convention: c.convention });
    expectSameParams(loaded, p);
    expect(snapshot(saved)).toEqual(before);
    // Straight from the saved record too (no file in between), and the result never aliases it.
    const direct = loadSEParams(saved, { prefix: c.prefix });
    expectSameParams(direct, p);
    for (const t of Object.values(saved)) expect(t.data.buffer).not.toBe(direct.w1.buffer);
  });
});
