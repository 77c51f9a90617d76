import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fc, test as propTest } from '@fast-check/jest';
import {
  RESNET101_SE_STAGES,
  RESNET152_SE_STAGES,
  RESNET50_SE_STAGES,
  SENET_PAPER_RESNETS,
  formatSECostTable,
  seBlockCost,
  seCostTableRows,
  seNetworkCost,
  type SECostOptions,
  type SEStageSpec,
} from '../src/cost/index.js';
import { SEOptionError, SEShapeError, SETypeError } from '../src/errors.js';
import { createSEParams } from '../src/params.js';

/** The paper's formula, computed independently: (2/r) * sum_s N_s * C_s^2 (no bias). */
function paperParams(blocks: number[], channels: number[], r: number): number {
  let sum = 0;
  for (let s = 0; s < blocks.length; s++) sum += blocks[s] * channels[s] * channels[s];
  return (2 / r) * sum;
}

const RESNET_CHANNELS = [256, 512, 1024, 2048];
const RESNET_SIDES = [56, 28, 14, 7];

describe('SE-ResNet stage tables', () => {
  test('ResNet-50 adds exactly 2,514,944 parameters (r = 16, no bias)', () => {
    const cost = seNetworkCost(RESNET50_SE_STAGES, { bias: false });
    expect(cost.params).toBe(2_514_944);
    expect(cost.weightParams).toBe(2_514_944);
    expect(cost.biasParams).toBe(0);
    expect(cost.params).toBe(paperParams([3, 4, 6, 3], RESNET_CHANNELS, 16));
    // the default reduction is 16
    expect(seNetworkCost(RESNET50_SE_STAGES, { reduction: 16, bias: false }).params).toBe(2_514_944);
  });

  test('ResNet-50 extra compute takes 3.86 GFLOPs to 3.87', () => {
    const cost = seNetworkCost(RESNET50_SE_STAGES, { bias: false });
    // by hand: FC 2*C*R, pooling and scaling C*S each, gate C, activation R, per block
    let fcHand = 0;
    let feature = 0;
    let gate = 0;
    let act = 0;
    const blocks = [3, 4, 6, 3];
    for (let s = 0; s < 4; s++) {
      const C = RESNET_CHANNELS[s];
      fcHand += blocks[s] * 2 * C * (C / 16);
      feature += blocks[s] * C * RESNET_SIDES[s] * RESNET_SIDES[s];
      gate += blocks[s] * C;
      act += blocks[s] * (C / 16);
    }
    expect(cost.breakdown).toEqual({ fc: fcHand, pooling: feature, scaling: feature, gate, activation: act, bias: 0 });
    expect(cost.flops).toBe(13_569_712);
    expect(cost.flops).toBeGreaterThan(0.005e9); // "on the order of 0.01 GFLOPs"
    expect(cost.flops).toBeLessThan(0.015e9);
    expect((3.86 + cost.flops / 1e9).toFixed(2)).toBe('3.87');
  });

  test('ResNet-101 and ResNet-152 match (2/r) * sum N_s C_s^2', () => {
    expect(seNetworkCost(RESNET101_SE_STAGES, { bias: false }).params).toBe(paperParams([3, 4, 23, 3], RESNET_CHANNELS, 16));
    expect(seNetworkCost(RESNET152_SE_STAGES, { bias: false }).params).toBe(paperParams([3, 8, 36, 3], RESNET_CHANNELS, 16));
    expect(seNetworkCost(RESNET101_SE_STAGES, { bias: false }).params).toBe(4_743_168);
    expect(seNetworkCost(RESNET152_SE_STAGES, { bias: false }).params).toBe(6_578_176);
    for (const r of [4, 8, 32]) {
      expect(seNetworkCost(RESNET152_SE_STAGES, { reduction: r, bias: false }).params).toBe(paperParams([3, 8, 36, 3], RESNET_CHANNELS, r));
    }
  });

  test('ResNet-101 / 152 flops and the totals they give', () => {
    const c101 = seNetworkCost(RESNET101_SE_STAGES, { bias: false });
    const c152 = seNetworkCost(RESNET152_SE_STAGES, { bias: false });
    expect(c101.flops).toBe(22_640_368);
    expect(c152.flops).toBe(32_921_264);
    expect((7.58 + c101.flops / 1e9).toFixed(2)).toBe('7.60');
    // The paper prints 11.32; this convention gives 11.33 (documented in src/cost.ts).
    expect((11.3 + c152.flops / 1e9).toFixed(2)).toBe('11.33');
  });

  test('the tables have the right shape and are frozen', () => {
    const check = (stages: readonly SEStageSpec[], blocks: number[]) => {
      expect(stages.map((s) => s.blocks)).toEqual(blocks);
      expect(stages.map((s) => s.channels)).toEqual(RESNET_CHANNELS);
      expect(stages.map((s) => s.spatial)).toEqual(RESNET_SIDES.map((d) => [d, d]));
      expect(Object.isFrozen(stages)).toBe(true);
      expect(Object.isFrozen(stages[0])).toBe(true);
      expect(Object.isFrozen(stages[0].spatial)).toBe(true);
    };
    check(RESNET50_SE_STAGES, [3, 4, 6, 3]);
    check(RESNET101_SE_STAGES, [3, 4, 23, 3]);
    check(RESNET152_SE_STAGES, [3, 8, 36, 3]);
  });

  test('with biases (timm/torchvision SE-ResNets) the totals match their known counts', () => {
    // bias adds R + C per block: ResNet-50: 3*(16+256) + 4*(32+512) + 6*(64+1024) + 3*(128+2048) = 16,048
    const cost = seNetworkCost(RESNET50_SE_STAGES, { bias: true });
    expect(cost.biasParams).toBe(16_048);
    expect(cost.params).toBe(2_514_944 + 16_048);
    expect(cost.breakdown.bias).toBe(16_048);
    // bias defaults to true, like createSEParams
    expect(seNetworkCost(RESNET50_SE_STAGES).params).toBe(2_530_992);
    // timm seresnet50 has 28,088,024 parameters = torchvision resnet50's 25,557,032 + 2,530,992
    expect(25_557_032 + cost.params).toBe(28_088_024);
  });
});

describe('hidden width, divisor and bias options', () => {
  test('one block by hand: C = 64, 10x10, r = 16, bias', () => {
    const b = seBlockCost(64, [10, 10]);
    expect(b.hidden).toBe(4);
    expect(b.positions).toBe(100);
    expect(b.weightParams).toBe(2 * 64 * 4);
    expect(b.biasParams).toBe(4 + 64);
    expect(b.params).toBe(512 + 68);
    expect(b.breakdown).toEqual({ fc: 512, pooling: 6400, scaling: 6400, gate: 64, activation: 4, bias: 68 });
    expect(b.flops).toBe(512 + 6400 + 6400 + 64 + 4 + 68);
  });

  test('1D and 3D spatial dims', () => {
    expect(seBlockCost(32, [5], { bias: false }).breakdown.pooling).toBe(32 * 5);
    const b3 = seBlockCost(32, [2, 3, 4], { reduction: 8, bias: false });
    expect(b3.positions).toBe(24);
    expect(b3.hidden).toBe(4);
    expect(b3.flops).toBe(2 * 32 * 4 + 2 * 32 * 24 + 32 + 4);
  });

  test('floor(C / r) and the minimum of 1 without divisor', () => {
    expect(seBlockCost(100, [7, 7], { bias: false }).hidden).toBe(6); // floor(6.25)
    expect(seBlockCost(100, [7, 7], { bias: false }).params).toBe(2 * 100 * 6);
    expect(seBlockCost(8, [7, 7], { bias: false }).hidden).toBe(1); // max(1, floor(0.5))
    expect(seBlockCost(8, [7, 7], { bias: false }).params).toBe(16);
  });

  test('divisor rounds with makeDivisible, roundLimit as given', () => {
    // v = 288 / 16 = 18: round to 16, 16 < 0.9 * 18 so bump to 24; with roundLimit 0 it stays 16
    const b = seBlockCost(288, [7, 7], { divisor: 8, bias: false });
    expect(b.hidden).toBe(24);
    expect(b.params).toBe(2 * 288 * 24);
    const b0 = seBlockCost(288, [7, 7], { divisor: 8, roundLimit: 0, bias: false });
    expect(b0.hidden).toBe(16);
    expect(b0.params).toBe(2 * 288 * 16);
    // v = 24 / 16 = 1.5 -> at least the divisor
    expect(seBlockCost(24, [7, 7], { divisor: 8, bias: false }).hidden).toBe(8);
    // per stage in a network: ResNet-50 with divisor 8 is unchanged (16, 32, 64, 128 are multiples of 8)
    expect(seNetworkCost(RESNET50_SE_STAGES, { divisor: 8, bias: false }).params).toBe(2_514_944);
  });

  test('explicit hidden applies to every stage', () => {
    // 2 * 8 * sum N_s C_s, sum N_s C_s = 3*256 + 4*512 + 6*1024 + 3*2048 = 15,104
    const c = seNetworkCost(RESNET50_SE_STAGES, { hidden: 8, bias: false });
    expect(c.params).toBe(2 * 8 * 15_104);
    expect(c.perStage.map((s) => s.hidden)).toEqual([8, 8, 8, 8]);
    // with bias: + 16 blocks * 8 + 15,104
    expect(seNetworkCost(RESNET50_SE_STAGES, { hidden: 8 }).params).toBe(2 * 8 * 15_104 + 16 * 8 + 15_104);
  });

  test('perStage sums to the totals', () => {
    const c = seNetworkCost(RESNET152_SE_STAGES, { reduction: 8 });
    expect(c.perStage.reduce((n, s) => n + s.params, 0)).toBe(c.params);
    expect(c.perStage.reduce((n, s) => n + s.flops, 0)).toBe(c.flops);
    expect(c.perStage[2].params).toBe(36 * c.perStage[2].block.params);
    expect(c.perStage.map((s) => s.hidden)).toEqual([32, 64, 128, 256]);
  });
});

/** Brute count of one block: build it with createSEParams and walk the forward pass op by op. */
function bruteBlock(C: number, spatial: number[], opts: SECostOptions): { params: number; flops: number } {
  const { bias, ...hiddenOpts } = opts;
  const p = createSEParams({ channels: C, ...hiddenOpts, bias: bias ?? true, init: 'zeros' });
  const params = p.w1.length + p.w2.length + (p.b1?.length ?? 0) + (p.b2?.length ?? 0);
  const S = spatial.reduce((a, b) => a * b, 1);
  let flops = 0;
  for (let c = 0; c < C; c++) for (let s = 0; s < S; s++) flops++; // pooling sum
  for (let j = 0; j < p.hidden; j++) {
    for (let c = 0; c < C; c++) flops++; // reduce multiply-adds
    if (p.b1) flops++;
    flops++; // activation
  }
  for (let c = 0; c < C; c++) {
    for (let j = 0; j < p.hidden; j++) flops++; // expand multiply-adds
    if (p.b2) flops++;
    flops++; // gate
  }
  for (let c = 0; c < C; c++) for (let s = 0; s < S; s++) flops++; // scaling
  return { params, flops };
}

const stageArb = fc.record({
  blocks: fc.integer({ min: 1, max: 3 }),
  channels: fc.integer({ min: 1, max: 96 }),
  spatial: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
});

const optsArb: fc.Arbitrary<SECostOptions> = fc.oneof(
  fc.record({ reduction: fc.integer({ min: 1, max: 32 }), bias: fc.boolean() }),
  fc.record({ reduction: fc.double({ min: 1, max: 20, noNaN: true }), bias: fc.boolean() }),
  fc.record({ rdRatio: fc.double({ min: 0.05, max: 2, noNaN: true }), bias: fc.boolean() }),
  fc.record({ hidden: fc.integer({ min: 1, max: 40 }), bias: fc.boolean() }),
  fc.record({ reduction: fc.integer({ min: 1, max: 32 }), divisor: fc.integer({ min: 1, max: 16 }), roundLimit: fc.constantFrom(0, 0.9), bias: fc.boolean() }),
  fc.record({ bias: fc.boolean() }),
);

describe('properties', () => {
  propTest.prop([fc.array(stageArb, { minLength: 1, maxLength: 4 }), optsArb], { numRuns: 150 })(
    'params and flops equal a brute per-block count of createSEParams blocks',
    (stages, opts) => {
      const cost = seNetworkCost(stages, opts);
      let params = 0;
      let flops = 0;
      for (const st of stages) {
        const one = bruteBlock(st.channels, st.spatial, opts);
        params += st.blocks * one.params;
        flops += st.blocks * one.flops;
      }
      expect(cost.params).toBe(params);
      expect(cost.flops).toBe(flops);
      expect(cost.weightParams + cost.biasParams).toBe(cost.params);
    },
  );

  propTest.prop(
    [
      fc.integer({ min: 1, max: 32 }),
      fc.array(fc.record({ blocks: fc.integer({ min: 1, max: 40 }), k: fc.integer({ min: 1, max: 64 }), side: fc.integer({ min: 1, max: 64 }) }), { minLength: 1, maxLength: 5 }),
    ],
    { numRuns: 200 },
  )('without bias, params = (2/r) * sum N_s C_s^2 when r divides every C_s', (r, raw) => {
    const stages = raw.map((s) => ({ blocks: s.blocks, channels: r * s.k, spatial: [s.side, s.side] }));
    const cost = seNetworkCost(stages, { reduction: r, bias: false });
    expect(cost.params).toBe(paperParams(stages.map((s) => s.blocks), stages.map((s) => s.channels), r));
  });

  propTest.prop([fc.array(stageArb, { minLength: 1, maxLength: 4 })])('does not modify its input', (stages) => {
    const copy = JSON.parse(JSON.stringify(stages)) as unknown;
    seNetworkCost(stages, { bias: false });
    expect(stages).toEqual(copy);
  });
});

describe('README table', () => {
  test('rows carry the paper figures, the extra cost and the totals', () => {
    const rows = seCostTableRows();
    expect(rows.map((r) => r.model)).toEqual(['ResNet-50', 'ResNet-101', 'ResNet-152']);
    expect(rows.map((r) => r.extraParams)).toEqual([2_514_944, 4_743_168, 6_578_176]);
    expect(rows.map((r) => r.seBlocks)).toEqual([16, 33, 50]);
    expect(rows.map((r) => r.seParamsM.toFixed(1))).toEqual(['28.1', '49.3', '66.8']);
    expect(rows.map((r) => r.paperSEParamsM.toFixed(1))).toEqual(['28.1', '49.3', '66.8']);
    expect(rows.map((r) => r.seGFLOPs.toFixed(2))).toEqual(['3.87', '7.60', '11.33']);
    expect(rows.map((r) => r.paperSEGFLOPs.toFixed(2))).toEqual(['3.87', '7.60', '11.32']);
    expect(rows.map((r) => r.baseParamsM)).toEqual(SENET_PAPER_RESNETS.map((r) => r.baseParamsM));
    // torchvision's exact counts are within 0.15M of the paper's printed bases (25.6 exact; 44.5 vs 44.6; 60.2 vs 60.3)
    expect(SENET_PAPER_RESNETS.map((r) => r.baseParams)).toEqual([25_557_032, 44_549_160, 60_192_808]);
    for (const ref of SENET_PAPER_RESNETS) expect(Math.abs(ref.baseParams / 1e6 - ref.baseParamsM)).toBeLessThan(0.15);
    // ...and the paper's SE totals are those exact counts plus the SE weights; the printed 60.3M would give 66.9M
    expect(((60.3e6 + rows[2].extraParams) / 1e6).toFixed(1)).toBe('66.9');
    // options pass through
    expect(seCostTableRows({ bias: true })[0].extraParams).toBe(2_530_992);
  });

  test('formatSECostTable renders a Markdown table, and docs/cost-table.md holds the current output', () => {
    const table = formatSECostTable();
    const lines = table.split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[2]).toBe('| ResNet-50 | 25.6M | 3.86 | 16 | 2,514,944 | 0.0136 | 28.1M | 3.87 | 28.1M / 3.87 |');
    const doc = readFileSync(join(__dirname, '..', 'docs', 'cost-table.md'), 'utf8');
    expect(doc).toContain(table);
  });
});

describe('worked examples in the notes (assumed placements, not shipped tables)', () => {
  test('MobileNet v1: SE after each of the 13 pointwise convs', () => {
    const stages = [
      { blocks: 1, channels: 64, spatial: [112, 112] },
      { blocks: 2, channels: 128, spatial: [56, 56] },
      { blocks: 2, channels: 256, spatial: [28, 28] },
      { blocks: 6, channels: 512, spatial: [14, 14] },
      { blocks: 2, channels: 1024, spatial: [7, 7] },
    ];
    const c = seNetworkCost(stages, { bias: false });
    expect(c.params).toBe(479_744);
    expect(c.flops).toBe(5_905_076);
    expect((4.2 + c.params / 1e6).toFixed(1)).toBe('4.7');
    expect((569 + (c.breakdown.fc + c.breakdown.pooling) / 1e6).toFixed(0)).toBe('572');
  });

  test('ShuffleNet 1x g=3: SE on each unit residual branch', () => {
    const stages = [
      { blocks: 1, channels: 216, spatial: [28, 28] },
      { blocks: 3, channels: 240, spatial: [28, 28] },
      { blocks: 1, channels: 240, spatial: [14, 14] },
      { blocks: 7, channels: 480, spatial: [14, 14] },
      { blocks: 1, channels: 480, spatial: [7, 7] },
      { blocks: 3, channels: 960, spatial: [7, 7] },
    ];
    const c = seNetworkCost(stages, { bias: false });
    expect(c.params).toBe(610_416);
    expect(c.flops).toBe(3_826_933);
    expect((1.8 + c.params / 1e6).toFixed(1)).toBe('2.4');
    const full = seNetworkCost([
      { blocks: 4, channels: 240, spatial: [28, 28] },
      { blocks: 8, channels: 480, spatial: [14, 14] },
      { blocks: 4, channels: 960, spatial: [7, 7] },
    ], { bias: false });
    expect(full.params).toBe(720_000);
  });
});

describe('bad input', () => {
  const ok = [{ blocks: 1, channels: 64, spatial: [7, 7] }];
  // Untyped calls, as from JavaScript.
  const call = (stages: unknown, opts?: unknown) => () => seNetworkCost(stages as SEStageSpec[], opts as SECostOptions);
  const block = (channels: unknown, spatial: unknown, opts?: unknown) => () =>
    seBlockCost(channels as number, spatial as number[], opts as SECostOptions);

  test('stages', () => {
    expect(call(undefined)).toThrow(SETypeError);
    expect(call({ blocks: 1 })).toThrow(/^seNetworkCost: stages must be an array .* but got an object$/);
    expect(call([])).toThrow(SEShapeError);
    expect(call([])).toThrow('seNetworkCost: stages must have at least one stage but is an empty array');
    expect(call([null])).toThrow(SETypeError);
    expect(call([5])).toThrow('seNetworkCost: stages[0] must be an object { blocks, channels, spatial } but got 5');
    expect(call([...ok, { blocks: 1, channels: 64, spatial: [7], stride: 2 }])).toThrow(SEOptionError);
    expect(call([...ok, { blocks: 1, channels: 64, spatial: [7], stride: 2 }])).toThrow("unknown key 'stride' in stages[1]");
  });

  test('stage fields', () => {
    expect(call([{ blocks: 0, channels: 64, spatial: [7] }])).toThrow(SEShapeError);
    expect(call([{ blocks: 0, channels: 64, spatial: [7] }])).toThrow('seNetworkCost: stages[0].blocks must be a positive integer but is 0');
    expect(call([{ blocks: 1.5, channels: 64, spatial: [7] }])).toThrow(SEShapeError);
    expect(call([{ channels: 64, spatial: [7] }])).toThrow('stages[0].blocks must be a positive integer but is undefined');
    expect(call([{ blocks: 1, channels: -64, spatial: [7] }])).toThrow('seNetworkCost: stages[0].channels must be a positive integer but is -64');
    expect(call([{ blocks: 1, channels: '64', spatial: [7] }])).toThrow(SEShapeError);
    expect(call([{ blocks: 1, channels: 64, spatial: 49 }])).toThrow(SETypeError);
    expect(call([{ blocks: 1, channels: 64, spatial: new Float32Array(2) }])).toThrow(/spatial must be an array .* but got a Float32Array\(2\)/);
    expect(call([{ blocks: 1, channels: 64, spatial: [] }])).toThrow(SEShapeError);
    expect(call([{ blocks: 1, channels: 64, spatial: [2, 2, 2, 2] }])).toThrow('stages[0].spatial must have 1 to 3 dims (L, HxW or DxHxW) but has 4');
    expect(call([{ blocks: 1, channels: 64, spatial: [7, 0] }])).toThrow('seNetworkCost: stages[0].spatial[1] must be a positive integer but is 0');
    expect(call([{ blocks: 1, channels: 64, spatial: [7, NaN] }])).toThrow(SEShapeError);
  });

  test('options', () => {
    expect(call(ok, null)).toThrow(SETypeError);
    expect(call(ok, 16)).toThrow('seNetworkCost: opts must be an object like { reduction: 16, bias: false } or undefined but got 16');
    expect(call(ok, { ratio: 16 })).toThrow(SEOptionError);
    expect(call(ok, { ratio: 16 })).toThrow("seNetworkCost: unknown option 'ratio' in opts");
    expect(call(ok, { bias: 'no' })).toThrow('seNetworkCost: opts.bias must be true or false but is "no"');
    expect(call(ok, { reduction: 0 })).toThrow(SEOptionError);
    expect(call(ok, { reduction: 0 })).toThrow('seNetworkCost: reduction must be a finite positive number but is 0');
    expect(call(ok, { hidden: 4, reduction: 16 })).toThrow(SEOptionError);
    expect(call(ok, { hidden: 0 })).toThrow('seNetworkCost: hidden must be a positive integer but is 0');
    expect(call(ok, { roundLimit: 0.9 })).toThrow('seNetworkCost: roundLimit only applies with divisor');
    expect(call(ok, { divisor: 2.5 })).toThrow(SEOptionError);
  });

  test('validation happens before any work: a bad later stage throws even when earlier ones are fine', () => {
    expect(call([...ok, ...ok, { blocks: 1, channels: 64, spatial: [7, -1] }])).toThrow('stages[2].spatial[1]');
  });

  test('counts beyond 2^53 are refused', () => {
    const big = 2 ** 40;
    expect(call([{ blocks: 1, channels: big, spatial: [big] }], { hidden: 1 })).toThrow(SEShapeError);
    expect(call([{ blocks: 1, channels: big, spatial: [1] }], { hidden: big })).toThrow(/beyond Number.MAX_SAFE_INTEGER/);
  });

  test('seBlockCost', () => {
    expect(block(0, [7, 7])).toThrow('seBlockCost: channels must be a positive integer but is 0');
    expect(block(64.5, [7, 7])).toThrow(SEShapeError);
    expect(block(64, '7x7')).toThrow(SETypeError);
    expect(block(64, [7, 7, 7, 7])).toThrow('seBlockCost: spatial must have 1 to 3 dims');
    expect(block(64, [7, 7], { bias: 1 })).toThrow(SEOptionError);
    expect(block(64, [7, 7], { reduction: -2 })).toThrow('seBlockCost: reduction must be a finite positive number but is -2');
    expect(block(64, [7, 7], [])).toThrow(SETypeError);
  });

  test('seCostTableRows and formatSECostTable', () => {
    const nullOpts: unknown = null;
    const notRows: unknown = 'rows';
    expect(() => seCostTableRows(nullOpts as SECostOptions)).toThrow(SETypeError);
    expect(() => seCostTableRows({ reduction: 0 })).toThrow(SEOptionError);
    expect(() => formatSECostTable(notRows as [])).toThrow(SETypeError);
  });
});
