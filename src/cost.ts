/**
 * Cost model of SE blocks: the extra parameters and arithmetic that SE blocks add to a network,
 * as in the paper's tables (Hu et al., "Squeeze-and-Excitation Networks", Sec. 4 and Table 2).
 *
 * ## Counting convention
 *
 * Everything is counted for ONE sample (batch size 1), per SE block, and summed over blocks.
 * For a block with C channels, hidden width R and S spatial positions (S = product of `spatial`):
 *
 * | part            | params                | flops (one per multiply-add / add / multiply / nonlinearity) |
 * |-----------------|-----------------------|---------------------------------------------------------------|
 * | `fc`            | 2*C*R (w1 and w2)     | 2*C*R multiply-adds (C*R for the reduce layer, R*C for the expand layer) |
 * | `pooling`       | 0                     | C*S: the S-term sum per channel (the division by S is folded in) |
 * | `scaling`       | 0                     | C*S: one multiply per element of the block's output            |
 * | `gate`          | 0                     | C: the sigmoid (or other gate), one op per channel             |
 * | `activation`    | 0                     | R: the inner ReLU (or other), one op per hidden unit           |
 * | `bias`          | R + C when `bias`     | R + C adds when `bias`                                          |
 *
 * `flops` is the sum of all six parts: a multiply-add counts as ONE flop, as in the GFLOPs figures
 * of the ResNet and SENet papers (which are really multiply-add counts, GMACs), and every other
 * elementary operation (an add, a multiply, one nonlinearity) counts as one too. Multiply by
 * roughly 2 for "FLOPs = 2 x MACs" figures of other tools. Max / avgmax squeeze variants are not
 * modelled separately (a max is counted like an add). `params` counts weights (and biases when
 * `bias` is true), i.e. exactly the lengths of the arrays `createSEParams` allocates.
 *
 * With `bias: false` the parameter count is the paper's `(2/r) * sum_s N_s * C_s^2` whenever r
 * divides every C_s (for other widths it is `2 * sum_s N_s * C_s * R_s` with the actual R_s).
 *
 * ## Defaults
 *
 * The hidden width of each stage comes from {@link seHiddenWidth} with the same options as
 * `createSEParams` (default reduction 16; `hidden` fixes R for every stage; `divisor` rounds with
 * `makeDivisible`). `bias` defaults to **true**, like `createSEParams`, so that the count matches
 * the blocks the library builds; pass `bias: false` for the paper's count (the ResNet tables and
 * {@link seCostTableRows} do).
 *
 * ## What it gives for the paper's ResNets (r = 16, no bias, 224x224 input)
 *
 * | model      | extra params | extra flops (this convention) | GFLOPs, paper base + extra | paper         |
 * |------------|--------------|-------------------------------|----------------------------|---------------|
 * | ResNet-50  | 2,514,944    | 13,569,712                    | 3.86 + 0.0136 = 3.87       | 3.86 -> 3.87  |
 * | ResNet-101 | 4,743,168    | 22,640,368                    | 7.58 + 0.0226 = 7.60       | 7.58 -> 7.60  |
 * | ResNet-152 | 6,578,176    | 32,921,264                    | 11.30 + 0.0329 = 11.33     | 11.30 -> 11.32 |
 *
 * Of the extra flops, the FC layers are only 2.5 / 4.7 / 6.6 M; the two passes over the feature
 * map (pooling and scaling, C*S each) dominate. The ResNet-152 total lands 0.01 above the paper.
 * The deltas (0.01-0.02 GFLOPs) are at the paper's rounding step, so its table cannot pin a
 * convention down; what we can say: the paper's base figures 3.86 / 7.58 / 11.30 are reproduced by
 * the multiply-adds of the convolutions and the classifier of ResNet v1 (stride 2 in the first 1x1
 * conv: 3.8580 / 7.5702 / 11.2824 G) PLUS one op per element of each residual addition
 * (3.8635 / 7.5791 / 11.2956 G; the pure multiply-add counts would round to 7.57 and 11.28). On
 * those exact bases, counting 2 ops per FC weight plus one pass (C*S) over the feature map
 * reproduces all three SE figures (3.8740, 7.5975, 11.3219), while this module's count gives
 * 3.8771 / 7.6018 / 11.3285 (3.88 / 7.60 / 11.33) and FC-only counts give 3.87 / 7.58 / 11.30. So
 * the paper most likely counted the FC layers in plain flops (multiply and add apart) and only one
 * of the two feature-map passes (the pooling or the scaling), which is an inference from rounded
 * numbers, not something the paper states. This module keeps the simpler, self-consistent rule
 * above and reports every part in `breakdown` so that other conventions are one sum away.
 *
 * ## MobileNet and ShuffleNet (no stage tables here, on purpose)
 *
 * The paper gives MobileNet 569 -> 572 MFLOPs, 4.2M -> 4.7M params and ShuffleNet 140 -> 142
 * MFLOPs, 1.8M -> 2.4M, but not where the SE blocks sit, and for ShuffleNet not even which
 * variant (groups g, width). The cost depends on that entirely: params grow with C^2 and flops
 * with C*S of each block that gets one. Two ASSUMED placements, as worked examples (not exported):
 *
 * - MobileNet v1 1.0-224, one SE block after each of the 13 pointwise convs (64@112^2, 2x 128@56^2,
 *   2x 256@28^2, 6x 512@14^2, 2x 1024@7^2), r = 16, no bias: 479,744 extra params
 *   (4.2M + 0.48M = 4.7M, matching) and 5,905,076 extra flops (569 + 5.9 = 575 MFLOPs, against
 *   the paper's 572; FC plus one feature-map pass would give 572.2).
 * - ShuffleNet 1x, g = 3 (240/480/960 channels, 4/8/4 units at 28^2/14^2/7^2), one SE block on
 *   the residual branch of each unit, whose width in the stride-2 (concatenating) unit is the
 *   output width minus the input width (216, 240, 480): 610,416 extra params (1.8M + 0.61M = 2.4M,
 *   matching) and 3,826,933 extra flops (140 + 3.8 = 143.8 MFLOPs against 142; FC plus one
 *   feature-map pass would give 142.2). Putting the block on the full unit output instead gives
 *   720,000 params (2.5M), which does not match.
 *
 * Those placements are reconstructions that happen to fit the parameter counts; nothing in the
 * paper confirms them, so the library does not ship them as tables.
 */
import { SEOptionError, SEShapeError, SETypeError, describeValue } from './errors.js';
import { seHiddenWidth } from './params.js';

/** One stage of a network: `blocks` SE blocks, each on a feature map of `channels` x `spatial`. */
export interface SEStageSpec {
  /** N_s, the number of SE blocks in the stage (positive integer). */
  readonly blocks: number;
  /** C_s, the channels each block sees (the residual branch's output channels in SE-ResNet). */
  readonly channels: number;
  /** The spatial dims of the feature map the block pools and scales, e.g. [56, 56]; rank 1 to 3. */
  readonly spatial: readonly number[];
}

/** Options of {@link seNetworkCost} and {@link seBlockCost}: the hidden width rule of `createSEParams`, and `bias`. */
export interface SECostOptions {
  /** Reduction ratio r >= 1 (default 16): R = max(1, floor(C / r)), or makeDivisible(C / r, divisor). */
  reduction?: number;
  /** timm's `rd_ratio`, the inverse of `reduction` (see `createSEParams`). */
  rdRatio?: number;
  /** An explicit hidden width R for every block; excludes `reduction` and `divisor`. */
  hidden?: number;
  /** Round R to a multiple of this with `makeDivisible` (timm / torchvision style). */
  divisor?: number;
  /** `roundLimit` for makeDivisible with `divisor` (default 0.9). */
  roundLimit?: number;
  /** Whether the two layers have biases (default true, as `createSEParams`; the paper counts none). */
  bias?: boolean;
}

/** Flops of SE blocks by part; see the module comment for the rule of each. */
export interface SECostBreakdown {
  /** 2*C*R multiply-adds per block (reduce and expand layers). */
  fc: number;
  /** C*S per block: the global average pooling sums. */
  pooling: number;
  /** C*S per block: y = s * x. */
  scaling: number;
  /** C per block: the gate (sigmoid by default). */
  gate: number;
  /** R per block: the inner activation (ReLU by default). */
  activation: number;
  /** R + C per block with biases, else 0. */
  bias: number;
}

/** The cost of one SE block. */
export interface SEBlockCost {
  /** C. */
  channels: number;
  /** R, as {@link seHiddenWidth} chooses it. */
  hidden: number;
  /** The spatial dims given. */
  spatial: number[];
  /** S, the product of `spatial`. */
  positions: number;
  /** Weights plus biases: 2*C*R (+ R + C with bias). */
  params: number;
  /** 2*C*R. */
  weightParams: number;
  /** R + C with bias, else 0. */
  biasParams: number;
  /** Sum of `breakdown`, for one sample. */
  flops: number;
  /** Flops by part, for one sample. */
  breakdown: SECostBreakdown;
}

/** The cost of one stage: `blocks` times the cost of its block (`block`). */
export interface SEStageCost {
  /** N_s. */
  blocks: number;
  /** C_s. */
  channels: number;
  /** R_s. */
  hidden: number;
  /** The stage's spatial dims. */
  spatial: number[];
  /** S_s. */
  positions: number;
  /** N_s times the block's params. */
  params: number;
  /** N_s times the block's flops. */
  flops: number;
  /** N_s times the block's breakdown. */
  breakdown: SECostBreakdown;
  /** One block of the stage. */
  block: SEBlockCost;
}

/** The cost SE blocks add to a network (one sample); see the module comment for the convention. */
export interface SECost {
  /** Extra parameters (weights, plus biases when `bias`). */
  params: number;
  /** Extra weights, 2 * sum_s N_s C_s R_s. */
  weightParams: number;
  /** Extra biases, sum_s N_s (R_s + C_s) when `bias`, else 0. */
  biasParams: number;
  /** Extra flops (multiply-add = 1 op), the sum of `breakdown`. */
  flops: number;
  /** Extra flops by part, summed over the network. */
  breakdown: SECostBreakdown;
  /** The same per stage, in the order given. */
  perStage: SEStageCost[];
}

const OPTION_KEYS = ['reduction', 'rdRatio', 'hidden', 'divisor', 'roundLimit', 'bias'];
const STAGE_KEYS = ['blocks', 'channels', 'spatial'];

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

function checkOptions(fn: string, opts: unknown): { bias: boolean; hiddenOpts: Omit<SECostOptions, 'bias'> } {
  if (opts === undefined) return { bias: true, hiddenOpts: {} };
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new SETypeError(`${fn}: opts must be an object like { reduction: 16, bias: false } or undefined but got ${describeValue(opts)}`);
  }
  for (const key of Object.keys(opts)) {
    if (!OPTION_KEYS.includes(key)) {
      throw new SEOptionError(`${fn}: unknown option '${key}' in opts; expected one of ${OPTION_KEYS.join(', ')}`);
    }
  }
  const o: SECostOptions = { ...(opts as SECostOptions) }; // each option read once
  const bias = o.bias === undefined ? true : o.bias;
  if (typeof bias !== 'boolean') throw new SEOptionError(`${fn}: opts.bias must be true or false but is ${describeValue(o.bias)}`);
  const hiddenOpts: Omit<SECostOptions, 'bias'> = {};
  if (o.reduction !== undefined) hiddenOpts.reduction = o.reduction;
  if (o.rdRatio !== undefined) hiddenOpts.rdRatio = o.rdRatio;
  if (o.hidden !== undefined) hiddenOpts.hidden = o.hidden;
  if (o.divisor !== undefined) hiddenOpts.divisor = o.divisor;
  if (o.roundLimit !== undefined) hiddenOpts.roundLimit = o.roundLimit;
  return { bias, hiddenOpts };
}

function checkChannels(fn: string, name: string, channels: unknown): number {
  if (!isPositiveInt(channels)) throw new SEShapeError(`${fn}: ${name} must be a positive integer but is ${describeValue(channels)}`);
  return channels;
}

function checkSpatial(fn: string, name: string, spatial: unknown): number[] {
  if (!Array.isArray(spatial)) {
    throw new SETypeError(`${fn}: ${name} must be an array of 1 to 3 spatial dims like [56, 56] but got ${describeValue(spatial)}`);
  }
  const dims: readonly unknown[] = spatial;
  if (dims.length < 1 || dims.length > 3) {
    throw new SEShapeError(`${fn}: ${name} must have 1 to 3 dims (L, HxW or DxHxW) but has ${dims.length}: ${describeValue(spatial)}`);
  }
  const out: number[] = [];
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i];
    if (!isPositiveInt(d)) throw new SEShapeError(`${fn}: ${name}[${i}] must be a positive integer but is ${describeValue(d)}`);
    out.push(d);
  }
  return out;
}

function checkSafe(fn: string, what: string, v: number): number {
  if (!Number.isSafeInteger(v)) {
    throw new SEShapeError(`${fn}: ${what} is ${v}, beyond Number.MAX_SAFE_INTEGER (${Number.MAX_SAFE_INTEGER}); the counts would not be exact`);
  }
  return v;
}

function zeroBreakdown(): SECostBreakdown {
  return { fc: 0, pooling: 0, scaling: 0, gate: 0, activation: 0, bias: 0 };
}

function sumBreakdown(b: SECostBreakdown): number {
  return b.fc + b.pooling + b.scaling + b.gate + b.activation + b.bias;
}

function scaleBreakdown(b: SECostBreakdown, k: number): SECostBreakdown {
  return { fc: b.fc * k, pooling: b.pooling * k, scaling: b.scaling * k, gate: b.gate * k, activation: b.activation * k, bias: b.bias * k };
}

/** The cost of one block after validation; `where` names the argument for overflow messages. */
function blockCost(fn: string, where: string, channels: number, spatial: number[], hidden: number, bias: boolean): SEBlockCost {
  const C = channels;
  const R = hidden;
  let S = 1;
  for (const d of spatial) S *= d;
  checkSafe(fn, `the product of ${where}spatial`, S);
  const weightParams = checkSafe(fn, `2 * channels * hidden for ${where}channels = ${C}`, 2 * C * R);
  const biasParams = bias ? R + C : 0;
  const breakdown: SECostBreakdown = {
    fc: weightParams,
    pooling: checkSafe(fn, `channels * positions for ${where}channels = ${C}`, C * S),
    scaling: C * S,
    gate: C,
    activation: R,
    bias: biasParams,
  };
  return {
    channels: C,
    hidden: R,
    spatial,
    positions: S,
    params: checkSafe(fn, `the parameter count for ${where}channels = ${C}`, weightParams + biasParams),
    weightParams,
    biasParams,
    flops: checkSafe(fn, `the flop count for ${where}channels = ${C}`, sumBreakdown(breakdown)),
    breakdown,
  };
}

/**
 * The parameters and flops (one sample) of ONE SE block on a `channels` x `spatial` feature map.
 * @param channels C, a positive integer
 * @param spatial the spatial dims, rank 1 to 3, e.g. [56, 56]
 * @param opts hidden-width options as `createSEParams` (default reduction 16) and `bias` (default true)
 * @example seBlockCost(256, [56, 56], { bias: false }).params // 8192 = 2 * 256 * 16
 */
export function seBlockCost(channels: number, spatial: readonly number[], opts?: SECostOptions): SEBlockCost {
  const fn = 'seBlockCost';
  const C = checkChannels(fn, 'channels', channels);
  const dims = checkSpatial(fn, 'spatial', spatial);
  const { bias, hiddenOpts } = checkOptions(fn, opts);
  const R = seHiddenWidth({ channels: C, ...hiddenOpts }, fn);
  return blockCost(fn, '', C, dims, R, bias);
}

/**
 * The extra parameters and flops (one sample) that SE blocks add to a network whose stage s has
 * `blocks` SE blocks on `channels` x `spatial` feature maps. See the module comment for the
 * counting convention (multiply-add = 1 op; pooling and scaling C*S each; gate C; activation R;
 * bias R + C) and for how it compares with the paper's figures.
 * @param stages the stages, e.g. {@link RESNET50_SE_STAGES}; non-empty
 * @param opts hidden-width options as `createSEParams` (default reduction 16) and `bias`
 *   (default true, as `createSEParams`; the paper's counts are `bias: false`)
 * @example seNetworkCost(RESNET50_SE_STAGES, { bias: false }).params // 2514944
 */
export function seNetworkCost(stages: readonly SEStageSpec[], opts?: SECostOptions): SECost {
  const fn = 'seNetworkCost';
  if (!Array.isArray(stages)) {
    throw new SETypeError(`${fn}: stages must be an array of { blocks, channels, spatial } but got ${describeValue(stages)}`);
  }
  const list: readonly unknown[] = stages;
  if (list.length === 0) throw new SEShapeError(`${fn}: stages must have at least one stage but is an empty array`);
  const { bias, hiddenOpts } = checkOptions(fn, opts);
  // Validate every stage before computing anything.
  const checked: { blocks: number; channels: number; spatial: number[] }[] = [];
  for (let i = 0; i < list.length; i++) {
    const st = list[i];
    const name = `stages[${i}]`;
    if (st === null || typeof st !== 'object' || Array.isArray(st)) {
      throw new SETypeError(`${fn}: ${name} must be an object { blocks, channels, spatial } but got ${describeValue(st)}`);
    }
    for (const key of Object.keys(st)) {
      if (!STAGE_KEYS.includes(key)) {
        throw new SEOptionError(`${fn}: unknown key '${key}' in ${name}; expected ${STAGE_KEYS.join(', ')}`);
      }
    }
    const s = st as Partial<Record<keyof SEStageSpec, unknown>>;
    if (!isPositiveInt(s.blocks)) throw new SEShapeError(`${fn}: ${name}.blocks must be a positive integer but is ${describeValue(s.blocks)}`);
    const channels = checkChannels(fn, `${name}.channels`, s.channels);
    const spatial = checkSpatial(fn, `${name}.spatial`, s.spatial);
    checked.push({ blocks: s.blocks, channels, spatial });
  }
  const perStage: SEStageCost[] = [];
  const breakdown = zeroBreakdown();
  let weightParams = 0;
  let biasParams = 0;
  for (let i = 0; i < checked.length; i++) {
    const { blocks, channels, spatial } = checked[i];
    const hidden = seHiddenWidth({ channels, ...hiddenOpts }, fn);
    const block = blockCost(fn, `stages[${i}].`, channels, spatial, hidden, bias);
    const stageBreakdown = scaleBreakdown(block.breakdown, blocks);
    const stage: SEStageCost = {
      blocks,
      channels,
      hidden,
      spatial: spatial.slice(),
      positions: block.positions,
      params: checkSafe(fn, `the parameter count of stages[${i}]`, block.params * blocks),
      flops: checkSafe(fn, `the flop count of stages[${i}]`, block.flops * blocks),
      breakdown: stageBreakdown,
      block,
    };
    perStage.push(stage);
    weightParams += block.weightParams * blocks;
    biasParams += block.biasParams * blocks;
    for (const k of Object.keys(breakdown) as (keyof SECostBreakdown)[]) breakdown[k] += stageBreakdown[k];
  }
  const params = checkSafe(fn, 'the total parameter count', weightParams + biasParams);
  const flops = checkSafe(fn, 'the total flop count', sumBreakdown(breakdown));
  return { params, weightParams, biasParams, flops, breakdown, perStage };
}

function freezeStages(stages: { blocks: number; channels: number; spatial: number[] }[]): readonly SEStageSpec[] {
  return Object.freeze(stages.map((s) => Object.freeze({ blocks: s.blocks, channels: s.channels, spatial: Object.freeze(s.spatial.slice()) })));
}

/** SE-ResNet stages (224x224 input): the SE block sits on each bottleneck's output (4x its width) before the residual sum. */
function resnetStages(blocks: readonly [number, number, number, number]): readonly SEStageSpec[] {
  return freezeStages([
    { blocks: blocks[0], channels: 256, spatial: [56, 56] },
    { blocks: blocks[1], channels: 512, spatial: [28, 28] },
    { blocks: blocks[2], channels: 1024, spatial: [14, 14] },
    { blocks: blocks[3], channels: 2048, spatial: [7, 7] },
  ]);
}

/** SE-ResNet-50 at 224x224: 3, 4, 6, 3 blocks of 256, 512, 1024, 2048 channels at 56^2, 28^2, 14^2, 7^2. */
export const RESNET50_SE_STAGES: readonly SEStageSpec[] = resnetStages([3, 4, 6, 3]);
/** SE-ResNet-101 at 224x224: 3, 4, 23, 3 blocks (channels and sizes as ResNet-50). */
export const RESNET101_SE_STAGES: readonly SEStageSpec[] = resnetStages([3, 4, 23, 3]);
/** SE-ResNet-152 at 224x224: 3, 8, 36, 3 blocks (channels and sizes as ResNet-50). */
export const RESNET152_SE_STAGES: readonly SEStageSpec[] = resnetStages([3, 8, 36, 3]);

/** A ResNet and the paper's figures for it and its SE version (SENet paper, Table 2). */
export interface SEResNetReference {
  /** 'ResNet-50', 'ResNet-101' or 'ResNet-152'. */
  model: string;
  /** Where its SE blocks sit. */
  stages: readonly SEStageSpec[];
  /** The paper's parameter count of the plain network, in millions (rounded as printed). */
  baseParamsM: number;
  /**
   * The exact parameter count of the plain network as torchvision's `resnet50/101/152` (conv, BN
   * affine and FC weights; the v1 vs v1.5 stride placement does not change it): 25,557,032,
   * 44,549,160, 60,192,808. The paper prints 44.6M and 60.3M for ResNet-101/152, 0.05M and 0.11M
   * above these (its count evidently includes something more; it does not say what), yet its SE
   * figures 49.3M and 66.8M are exactly these counts plus the SE weights (49.29M, 66.77M), whereas
   * 60.3M + 6.58M would give 66.9M. So the SE totals of {@link seCostTableRows} are computed from this.
   */
  baseParams: number;
  /** The paper's GFLOPs (multiply-adds) of the plain network at 224x224. */
  baseGFLOPs: number;
  /** The paper's parameter count of the SE network, in millions. */
  paperSEParamsM: number;
  /** The paper's GFLOPs of the SE network. */
  paperSEGFLOPs: number;
}

/** ResNet-50/101/152 with the paper's figures: 25.6M/3.86 (SE 28.1M/3.87), 44.6M/7.58 (49.3M/7.60), 60.3M/11.30 (66.8M/11.32). */
export const SENET_PAPER_RESNETS: readonly SEResNetReference[] = Object.freeze([
  Object.freeze({ model: 'ResNet-50', stages: RESNET50_SE_STAGES, baseParamsM: 25.6, baseParams: 25_557_032, baseGFLOPs: 3.86, paperSEParamsM: 28.1, paperSEGFLOPs: 3.87 }),
  Object.freeze({ model: 'ResNet-101', stages: RESNET101_SE_STAGES, baseParamsM: 44.6, baseParams: 44_549_160, baseGFLOPs: 7.58, paperSEParamsM: 49.3, paperSEGFLOPs: 7.6 }),
  Object.freeze({ model: 'ResNet-152', stages: RESNET152_SE_STAGES, baseParamsM: 60.3, baseParams: 60_192_808, baseGFLOPs: 11.3, paperSEParamsM: 66.8, paperSEGFLOPs: 11.32 }),
]);

/** One row of the README cost table (see {@link seCostTableRows}). */
export interface SECostTableRow {
  /** e.g. 'ResNet-50'. */
  model: string;
  /** The number of SE blocks, sum_s N_s. */
  seBlocks: number;
  /** The paper's plain-network figures. */
  baseParamsM: number;
  baseParams: number;
  baseGFLOPs: number;
  /** What the cost model adds (exact counts, and GFLOPs = flops / 1e9). */
  extraParams: number;
  extraFlops: number;
  extraGFLOPs: number;
  /** baseParams + extraParams, in millions; baseGFLOPs + extraGFLOPs. */
  seParamsM: number;
  seGFLOPs: number;
  /** The paper's SE-network figures, for comparison. */
  paperSEParamsM: number;
  paperSEGFLOPs: number;
  /** The full cost, for anything else. */
  cost: SECost;
}

/**
 * The rows of the README table: for each of {@link SENET_PAPER_RESNETS}, the paper's base figures,
 * the extra params and flops from {@link seNetworkCost}, the resulting totals and the paper's SE
 * figures. Options default to the paper's `{ reduction: 16, bias: false }`; anything given is passed
 * on to seNetworkCost (e.g. `{ bias: true }` for timm's SE-ResNets).
 */
export function seCostTableRows(opts?: SECostOptions): SECostTableRow[] {
  const fn = 'seCostTableRows';
  if (opts !== undefined && (opts === null || typeof opts !== 'object' || Array.isArray(opts))) {
    throw new SETypeError(`${fn}: opts must be an object like { bias: true } or undefined but got ${describeValue(opts)}`);
  }
  const merged: SECostOptions = { bias: false, ...(opts ?? {}) };
  return SENET_PAPER_RESNETS.map((ref) => {
    const cost = seNetworkCost(ref.stages, merged);
    const extraGFLOPs = cost.flops / 1e9;
    return {
      model: ref.model,
      seBlocks: ref.stages.reduce((n, s) => n + s.blocks, 0),
      baseParamsM: ref.baseParamsM,
      baseParams: ref.baseParams,
      baseGFLOPs: ref.baseGFLOPs,
      extraParams: cost.params,
      extraFlops: cost.flops,
      extraGFLOPs,
      seParamsM: (ref.baseParams + cost.params) / 1e6,
      seGFLOPs: ref.baseGFLOPs + extraGFLOPs,
      paperSEParamsM: ref.paperSEParamsM,
      paperSEGFLOPs: ref.paperSEGFLOPs,
      cost,
    };
  });
}

function withCommas(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Renders {@link seCostTableRows} as a Markdown table (params in millions, 1 decimal; GFLOPs 2 decimals, extra 4). */
export function formatSECostTable(rows: readonly SECostTableRow[] = seCostTableRows()): string {
  if (!Array.isArray(rows)) {
    throw new SETypeError(`formatSECostTable: rows must be an array from seCostTableRows() but got ${describeValue(rows)}`);
  }
  const lines = [
    '| Model | Base params (paper) | Base GFLOPs (paper) | SE blocks | SE extra params | SE extra GFLOPs | SE params | SE GFLOPs | Paper SE params / GFLOPs |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.model} | ${r.baseParamsM.toFixed(1)}M | ${r.baseGFLOPs.toFixed(2)} | ${r.seBlocks} | ${withCommas(r.extraParams)} | ` +
        `${r.extraGFLOPs.toFixed(4)} | ${r.seParamsM.toFixed(1)}M | ${r.seGFLOPs.toFixed(2)} | ` +
        `${r.paperSEParamsM.toFixed(1)}M / ${r.paperSEGFLOPs.toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}
