/**
 * The example's network: four stages of 3x3 convolution + batch norm + ReLU with 2x2 max pooling
 * between them, global average pooling, a linear classifier and softmax cross-entropy. The SE
 * variant adds an SE block after each stage's ReLU (the paper's SE-Inception integration: the
 * block rescales the stage's output) and is otherwise identical: the shared layers are drawn from
 * the same seeded stream in the same order, so a plain and an SE network of one seed start from
 * the same convolution and classifier weights. The SE blocks are the library's `SEBlock`s, on the
 * tape as one fused op each (`tapeForward`).
 *
 * ```
 * [N,1,28,28] conv-bn-relu (SE) [N,8,28,28]  maxpool  conv-bn-relu (SE) [N,16,14,14] maxpool
 *             conv-bn-relu (SE) [N,32,7,7]   maxpool  conv-bn-relu (SE) [N,64,3,3]
 *             global avgpool [N,64]  linear [N,10]  softmax cross-entropy
 * ```
 *
 * Why this shape (measured here, plain network, seed 1, Adam lr 0.01, batches of 16): with three
 * stages (8, 16, 32 channels, ending at 7x7, no batch norm) it reached 94.5% after two epochs and
 * 96.7% after six; with the fourth stage (64 channels at 3x3, about 30% more work) and batch norm,
 * 96.6% after one epoch. Batch norm after every convolution is also what the paper's SE networks
 * (SE-ResNet, SE-Inception) have.
 */
import {
  Parameter,
  SEBlock,
  Tape,
  globalAvgPool,
  kernels,
  linear,
  seForward,
  softmaxCrossEntropy,
  type Variable,
} from '../../src/core.js';
import { Conv2d } from './conv.js';
import { CLASSES, PIXELS } from './data.js';
import { BatchNormRelu } from './norm.js';
import { maxPool2Forward, maxPool2d } from './pool.js';
import { SplitMix } from './random.js';

/** One stage: a 3x3 convolution (with this stride) + ReLU (+ SE), then optionally 2x2 max pooling. */
export interface StageConfig {
  width: number;
  stride: number;
  pool: boolean;
}

/** What distinguishes one network from another. */
export interface NetConfig {
  /** The three stages. */
  stages: readonly StageConfig[];
  /** Whether to add an SE block after each stage. */
  se: boolean;
  /** The SE blocks' reduction ratio r: hidden = max(minHidden, floor(C / r)). */
  reduction: number;
  /** The fewest hidden units of an SE block (C / r is below 1 for narrow early blocks). */
  minHidden: number;
  /**
   * The SE blocks' inner activation. The paper's is ReLU; this example uses SiLU (EfficientNet's
   * SE): with 4 hidden units a ReLU block can die (all four pre-activations negative for every
   * digit: constant gates from then on), which happened to 1 of 32 blocks in 8 short runs here.
   */
  seActivation: 'relu' | 'silu';
  /** Batch normalisation (with the ReLU fused in) after each convolution, which then has no bias. */
  batchNorm: boolean;
  /** Seed of the weights. */
  seed: number;
}

/** The widths and reduction the example uses. */
export const DEFAULT_NET: Omit<NetConfig, 'se' | 'seed'> = {
  stages: [
    { width: 8, stride: 1, pool: true },
    { width: 16, stride: 1, pool: true },
    { width: 32, stride: 1, pool: true },
    { width: 64, stride: 1, pool: false },
  ],
  reduction: 16,
  minHidden: 4,
  seActivation: 'silu',
  batchNorm: true,
};

/** The convolution layers' shapes for a network (input channels, output channels, input side, stride). */
export function convShapes(stages: readonly StageConfig[]): { in: number; out: number; size: number; stride: number }[] {
  const shapes: { in: number; out: number; size: number; stride: number }[] = [];
  let channels = 1;
  let size = 28;
  for (const s of stages) {
    shapes.push({ in: channels, out: s.width, size, stride: s.stride });
    channels = s.width;
    size = Math.floor((size - 1) / s.stride) + 1;
    if (s.pool) size >>= 1;
  }
  return shapes;
}

/** The default network's convolution shapes (for `bench.ts`). */
export const LAYERS = convShapes(DEFAULT_NET.stages);

/** What an off-tape forward returns. */
export interface Evaluation {
  /** `[N, 10]` class scores. */
  logits: Float32Array;
  /** Per SE block, the excitations (gates) `[N, C]` of that block; empty for the plain network. */
  excitations: Float32Array[];
}

/** A plain or SE network: its layers, parameters, and forward passes on and off the tape. */
export class MnistNet {
  readonly config: NetConfig;
  readonly convs: Conv2d[];
  /** One per stage with batch normalisation; empty without. */
  readonly norms: BatchNormRelu[];
  /** One per stage in the SE network; empty in the plain one. */
  readonly seBlocks: SEBlock[];
  readonly fcWeight: Parameter;
  readonly fcBias: Parameter;

  constructor(config: NetConfig) {
    this.config = config;
    const widths = config.stages.map((s) => s.width);
    // The shared layers come from one stream, in the same order for both variants.
    const rng = new SplitMix(config.seed);
    const random = () => rng.uniform();
    const bn = config.batchNorm;
    this.convs = convShapes(config.stages).map((s, k) => new Conv2d(s.in, s.out, 3, s.stride, random, `conv${k + 1}`, { bias: !bn, relu: !bn }));
    this.norms = bn ? widths.map((c, k) => new BatchNormRelu(c, `bn${k + 1}`)) : [];
    // PyTorch's Linear initialisation: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias.
    const last = widths[widths.length - 1];
    const bound = 1 / Math.sqrt(last);
    const fw = new Float32Array(CLASSES * last);
    for (let i = 0; i < fw.length; i++) fw[i] = (2 * random() - 1) * bound;
    const fb = new Float32Array(CLASSES);
    for (let i = 0; i < fb.length; i++) fb[i] = (2 * random() - 1) * bound;
    this.fcWeight = new Parameter({ data: fw, shape: [CLASSES, last] }, { name: 'fc.weight' });
    this.fcBias = new Parameter({ data: fb, shape: [CLASSES] }, { name: 'fc.bias' });
    // The SE blocks have seeds of their own, so adding them changes none of the shared weights.
    this.seBlocks = config.se
      ? widths.map((channels, k) => {
          const hidden = Math.max(config.minHidden, Math.floor(channels / config.reduction));
          return new SEBlock({ channels, hidden, activation: config.seActivation, seed: config.seed * 1000 + k + 1 });
        })
      : [];
  }

  /** Every trainable parameter: convolutions, classifier, then the SE blocks'. */
  parameters(): Parameter[] {
    const list: Parameter[] = [];
    for (const c of this.convs) list.push(...c.parameters());
    for (const n of this.norms) list.push(n.gamma, n.beta);
    list.push(this.fcWeight, this.fcBias);
    for (const b of this.seBlocks) list.push(...b.parameters());
    return list;
  }

  /** Number of weights: all of them, and those in SE blocks. */
  parameterCount(): { total: number; se: number } {
    let total = 0;
    for (const p of this.parameters()) total += p.data.length;
    let se = 0;
    for (const b of this.seBlocks) for (const p of b.parameters()) se += p.data.length;
    return { total, se };
  }

  /**
   * The forward pass on a new tape, ending in the loss.
   * @param images `[N, 1, 28, 28]` values (used without copying)
   * @param labels N class indices
   * @param N batch size
   * @param training batch normalisation with batch statistics (updating the running ones), or with the running ones
   */
  tapeForward(images: Float32Array, labels: Uint8Array, N: number, training = true): { tape: Tape; loss: Variable; logits: Variable } {
    const tape = new Tape();
    let h = tape.constant({ data: images, shape: [N, 1, 28, 28] }, 'images');
    const stages = this.config.stages;
    for (let s = 0; s < stages.length; s++) {
      h = this.convs[s].tapeForward(h);
      if (this.config.batchNorm) h = this.norms[s].tapeForward(h, training);
      if (this.config.se) h = this.seBlocks[s].tapeForward(h);
      if (stages[s].pool) h = maxPool2d(h);
    }
    const logits = linear(globalAvgPool(h), tape.parameter(this.fcWeight), tape.parameter(this.fcBias));
    return { tape, loss: softmaxCrossEntropy(logits, labels), logits };
  }

  /**
   * The same forward pass off the tape (no gradients, nothing saved), for evaluation. The SE
   * blocks run the fused `seForward` with each block's weights and variant, whose cache hands
   * back the excitations.
   * @param images `[N, 1, 28, 28]` values
   * @param N batch size
   */
  evaluate(images: Float32Array, N: number): Evaluation {
    let shape: number[] = [N, 1, 28, 28];
    let h = images.subarray(0, N * PIXELS);
    const excitations: Float32Array[] = [];
    const stages = this.config.stages;
    for (let s = 0; s < stages.length; s++) {
      const c = this.convs[s].forward(h, shape);
      shape = c.shape;
      h = this.config.batchNorm ? this.norms[s].forward(c.data, shape) : c.data;
      if (this.config.se) {
        const block = this.seBlocks[s];
        const { y, cache } = seForward({ data: h, shape }, block.params, block.options);
        excitations.push(cache.excitations().data);
        h = y.data;
      }
      if (stages[s].pool) {
        const [n, ch, H, W] = shape;
        const pooled = new Float32Array(n * ch * (H >> 1) * (W >> 1));
        maxPool2Forward(pooled, new Int32Array(pooled.length), h, n * ch, H, W);
        h = pooled;
        shape = [n, ch, H >> 1, W >> 1];
      }
    }
    const [, C, H, W] = shape;
    const z = kernels.globalAvgPoolForward(new Float32Array(N * C), h, N * C, H * W);
    const logits = kernels.matmul(new Float32Array(N * CLASSES), z, this.fcWeight.data, N, CLASSES, C, false, true, 0, 0, 0, null, this.fcBias.data);
    return { logits, excitations };
  }
}
