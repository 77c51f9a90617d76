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
 * A multiply-add counts as ONE flop, as in the GFLOPs figures of the ResNet and SENet papers (which
 * are multiply-add counts); every other elementary operation counts as one too. Max / avgmax squeeze
 * variants are counted like avg. `params` is exactly the lengths of the arrays `createSEParams`
 * allocates; with `bias: false` it is the paper's `(2/r) * sum_s N_s * C_s^2` whenever r divides
 * every C_s. `bias` defaults to true, like `createSEParams`; the paper's counts are `bias: false`.
 *
 * How these counts compare with the paper's figures, and the MobileNet/ShuffleNet placements the
 * library does not ship as tables: docs/cost-table.md.
 */
import { booleanOption, isPositiveInt, readOptions } from '../arguments.js';
import { SEShapeError, SETypeError, describeValue } from '../errors.js';
import { seHiddenWidth, type CreateSEParamsOptions } from '../params.js';

/** One stage of a network: `blocks` SE blocks, each on a feature map of `channels` x `spatial`. */
export interface SEStageSpec {
  /** N_s, the number of SE blocks in the stage (positive integer). */
  readonly blocks: number;
  /** C_s, the channels each block sees (the residual branch's output channels in SE-ResNet). */
  readonly channels: number;
  /** The spatial dims of the feature map the block pools and scales, e.g. [56, 56]; rank 1 to 3. */
  readonly spatial: readonly number[];
}

/**
 * Options of {@link seNetworkCost} and {@link seBlockCost}: the hidden-width rule and `bias` of
 * `createSEParams` (each field documented there); `bias` defaults to true, while the paper counts none.
 */
export type SECostOptions = Pick<CreateSEParamsOptions, 'reduction' | 'rdRatio' | 'hidden' | 'divisor' | 'roundLimit' | 'bias'>;

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

function checkOptions(fn: string, opts: unknown): { bias: boolean; hiddenOpts: Omit<SECostOptions, 'bias'> } {
  if (opts === null || (opts !== undefined && (typeof opts !== 'object' || Array.isArray(opts)))) {
    throw new SETypeError(`${fn}: opts must be an object like { reduction: 16, bias: false } or undefined but got ${describeValue(opts)}`);
  }
  const o = readOptions(fn, opts, OPTION_KEYS, 'opts');
  const bias = booleanOption(fn, 'opts.bias', o.bias, true);
  const hiddenOpts: Record<string, unknown> = {};
  for (const key of OPTION_KEYS) if (key !== 'bias' && o[key] !== undefined) hiddenOpts[key] = o[key];
  return { bias, hiddenOpts: hiddenOpts as Omit<SECostOptions, 'bias'> };
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
 * @param stages the stages, e.g. `RESNET50_SE_STAGES`; non-empty
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
    const s = readOptions(fn, st, STAGE_KEYS, name);
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
