// @ts-check
/**
 * What the benchmark runs: the SPEC's five standard shapes (one SE block each) and two whole-network
 * workloads (every SE block of a network, each with its own input, upstream gradient and parameters),
 * with deterministic inputs.
 *
 * A case is a list of blocks; one call of a system on a case runs every block in order (forward),
 * or every forward in order and then every backward in reverse order (forward + backward), as a
 * network's training step does. A standard shape is a case of one block.
 */
import { blockData } from './blockdata.mjs';
import { se } from './library.mjs';

export { rng } from './blockdata.mjs';

/** (N, C, H, W) of the five standard shapes; r = 16, bias on, relu + sigmoid. */
export const SHAPES = /** @type {const} */ ([
  [1, 64, 32, 32],
  [8, 64, 56, 56],
  [32, 256, 14, 14],
  [8, 512, 7, 7],
  [16, 128, 28, 28],
]);

/** The standard shapes with 1.6M elements (where the SEThreads vs onnxruntime target applies). */
export const BIG_SHAPES = ['8,64,56,56', '32,256,14,14', '16,128,28,28'];

export const REDUCTION = 16;

/**
 * The whole-network workloads: each block as [C, R, H] (square spatial H x H), in network order.
 * @type {readonly { id: string, key: string, title: string, N: number, gate: 'sigmoid' | 'hardSigmoid', blocks: readonly (readonly [number, number, number])[] }[]}
 */
export const WORKLOADS = [
  {
    // SE-ResNet-50 (Hu et al.): stages of 3, 4, 6, 3 bottlenecks with 256, 512, 1024, 2048 output
    // channels at 56, 28, 14, 7 (224x224 input), r = 16; relu + sigmoid, bias (timm SEModule).
    id: 'seresnet50',
    key: 'SE-ResNet-50, N=8',
    title: 'SE-ResNet-50 at batch 8: 16 SE blocks, C = 256 x3 @56x56, 512 x4 @28x28, 1024 x6 @14x14, 2048 x3 @7x7, r = 16, relu + sigmoid',
    N: 8,
    gate: 'sigmoid',
    blocks: [
      ...Array.from({ length: 3 }, () => /** @type {const} */ ([256, 16, 56])),
      ...Array.from({ length: 4 }, () => /** @type {const} */ ([512, 32, 28])),
      ...Array.from({ length: 6 }, () => /** @type {const} */ ([1024, 64, 14])),
      ...Array.from({ length: 3 }, () => /** @type {const} */ ([2048, 128, 7])),
    ],
  },
  {
    // MobileNetV3-small (torchvision / timm, 224x224 input): the 9 bottlenecks with SE, hidden =
    // makeDivisible(C / 4, 8); relu + hardSigmoid, bias.
    id: 'mobilenetv3',
    key: 'MobileNetV3-small, N=1',
    title: 'MobileNetV3-small at batch 1: 9 SE blocks, C -> R: 16->8 @56x56, 96->24, 240->64 x2, 120->32, 144->40 @14x14, 288->72, 576->144 x2 @7x7, relu + hardSigmoid',
    N: 1,
    gate: 'hardSigmoid',
    blocks: [
      [16, 8, 56],
      [96, 24, 14],
      [240, 64, 14],
      [240, 64, 14],
      [120, 32, 14],
      [144, 40, 14],
      [288, 72, 7],
      [576, 144, 7],
      [576, 144, 7],
    ],
  },
];

/**
 * @typedef {object} SEParams
 * @property {number} channels
 * @property {number} hidden
 * @property {Float32Array} w1  [R, C]
 * @property {Float32Array} b1  [R]
 * @property {Float32Array} w2  [C, R]
 * @property {Float32Array} b2  [C]
 */

/**
 * One SE block with its input, upstream gradient and parameters.
 * @typedef {object} Block
 * @property {string} key      "N,C,H,W"
 * @property {number[]} shape  [N, C, H, W]
 * @property {number} N
 * @property {number} C
 * @property {number} H
 * @property {number} W
 * @property {number} S        H * W
 * @property {number} R        hidden width
 * @property {Float32Array} x
 * @property {Float32Array} dy
 * @property {SEParams} params
 */

/**
 * One benchmark case: a standard shape (one block) or a workload (a network's blocks).
 * @typedef {object} Case
 * @property {string} key        the row label: "N,C,H,W" or the workload's name
 * @property {string} id         "N,C,H,W" or the workload id (seresnet50, mobilenetv3)
 * @property {'shape' | 'workload'} kind
 * @property {string} title      one line describing it
 * @property {'sigmoid' | 'hardSigmoid'} gate   the inner activation is relu throughout
 * @property {{ gate: 'hardSigmoid' } | undefined} options   the SEOptions to pass (undefined: defaults)
 * @property {Block[]} blocks
 * @property {number} elements   elements of x summed over the blocks
 */

/**
 * Builds one block. x has a per-(sample, channel) offset so that the squeezed values, and hence
 * the gates, differ between channels (a zero-mean x would squeeze to almost nothing); the biases
 * are made non-zero (createSEParams starts them at 0) so that the bias paths are checked.
 * @param {readonly number[]} shape [N, C, H, W]
 * @param {number} hidden R
 * @param {number} seed
 * @returns {Block}
 */
export function makeBlock(shape, hidden, seed) {
  return blockData(se.createSEParams, shape, hidden, seed);
}

/**
 * The case of a standard shape: one block, r = 16, relu + sigmoid.
 * @param {readonly number[]} shape
 * @param {number} [seed]
 * @returns {Case}
 */
export function shapeCase(shape, seed = 1) {
  const block = makeBlock(shape, Math.max(1, Math.floor(shape[1] / REDUCTION)), seed);
  return {
    key: block.key,
    id: block.key,
    kind: 'shape',
    title: `(${block.key}), r = ${REDUCTION}, relu + sigmoid`,
    gate: 'sigmoid',
    options: undefined,
    blocks: [block],
    elements: block.x.length,
  };
}

/**
 * The case of a workload: every block with its own data and parameters (seeded by its index).
 * @param {(typeof WORKLOADS)[number]} w
 * @returns {Case}
 */
export function workloadCase(w) {
  const blocks = w.blocks.map(([C, R, H], b) => makeBlock([w.N, C, H, H], R, 100 + b));
  return {
    key: w.key,
    id: w.id,
    kind: 'workload',
    title: w.title,
    gate: w.gate,
    options: w.gate === 'sigmoid' ? undefined : { gate: w.gate },
    blocks,
    elements: blocks.reduce((n, b) => n + b.x.length, 0),
  };
}

/**
 * Every case, lazily built (a workload's data is large: SE-ResNet-50 at batch 8 has 44M elements
 * per input), filtered by a list of shape indexes (0-4), "NxCxHxW" strings and workload ids.
 * @param {string[] | undefined} filter
 * @returns {{ key: string, id: string, kind: 'shape' | 'workload', build: () => Case }[]}
 */
export function selectCases(filter) {
  const all = [
    ...SHAPES.map((s, i) => ({ key: s.join(','), id: s.join(','), kind: /** @type {const} */ ('shape'), names: [String(i), s.join('x'), s.join(',')], build: () => shapeCase(s) })),
    ...WORKLOADS.map((w) => ({ key: w.key, id: w.id, kind: /** @type {const} */ ('workload'), names: [w.id], build: () => workloadCase(w) })),
  ];
  return all
    .filter((c) => !filter || filter.some((f) => c.names.includes(f.toLowerCase()) || (f === 'shapes' && c.kind === 'shape') || (f === 'workloads' && c.kind === 'workload')))
    .map(({ key, id, kind, build }) => ({ key, id, kind, build }));
}
