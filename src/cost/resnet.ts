/**
 * The SENet paper's SE-ResNets as data: where their SE blocks sit, the paper's figures (Table 2), and
 * the rows of docs/cost-table.md computed from {@link seNetworkCost}.
 */
import { SETypeError, describeValue } from '../errors.js';
import { seNetworkCost, type SECost, type SECostOptions, type SEStageSpec } from './model.js';

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
