// @ts-check
/**
 * Builds the ONNX model of a case's SE blocks, in code, with onnx-proto (protobufjs bindings of
 * onnx.proto). Each block b is its own subgraph, side by side in one graph (one session runs a
 * whole workload), taking its own input:
 *
 *   x<b> [N,C,H,W] -> GlobalAveragePool -> Flatten(axis 1) -> Gemm(W1, b1, transB) -> Relu
 *     -> Gemm(W2, b2, transB) -> Sigmoid | HardSigmoid(alpha 1/6, beta 0.5) -> Reshape([N,C,1,1])
 *     -> Mul(x<b>, .) -> y<b> [N,C,H,W]
 *
 * (HardSigmoid with alpha = 1/6, beta = 0.5 is PyTorch's clamp((g + 3) / 6, 0, 1); ONNX's default
 * alpha is 0.2.) Weights are initializers in PyTorch layout (W1 [R,C], W2 [C,R], hence transB = 1),
 * the shapes fixed per case (which lets onnxruntime plan its memory). Opset 13, IR version 7.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

/** @param {ArrayBufferView} a */
const bytes = (a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();

/** @param {string} name @param {number[]} dims @param {Float32Array} data */
const floatInit = (name, dims, data) => ({ name, dims, dataType: FLOAT, rawData: bytes(data) });

/** @param {string} name @param {number[]} dims */
const valueInfo = (name, dims) => ({
  name,
  type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
});

/** @param {string} name @param {number} i */
const intAttr = (name, i) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });

/** @param {string} name @param {number} f */
const floatAttr = (name, f) => ({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f });

/**
 * @param {import('./cases.mjs').Case} c
 * @returns {Uint8Array} the serialized ModelProto: inputs x0, x1, ..., outputs y0, y1, ... (one per block)
 */
export function seOnnxModel(c) {
  /** @type {any[]} */
  const input = [];
  /** @type {any[]} */
  const output = [];
  /** @type {any[]} */
  const initializer = [];
  /** @type {any[]} */
  const node = [];
  c.blocks.forEach(({ N, C, H, W, R, params }, b) => {
    /** @param {string} name */
    const n = (name) => `${name}${b}`;
    input.push(valueInfo(n('x'), [N, C, H, W]));
    output.push(valueInfo(n('y'), [N, C, H, W]));
    initializer.push(
      floatInit(n('w1_'), [R, C], params.w1),
      floatInit(n('b1_'), [R], params.b1),
      floatInit(n('w2_'), [C, R], params.w2),
      floatInit(n('b2_'), [C], params.b2),
      { name: n('gate_shape'), dims: [4], dataType: INT64, rawData: bytes(BigInt64Array.from([N, C, 1, 1].map(BigInt))) },
    );
    const gate =
      c.gate === 'hardSigmoid'
        ? { opType: 'HardSigmoid', input: [n('g')], output: [n('s')], name: n('gate'), attribute: [floatAttr('alpha', 1 / 6), floatAttr('beta', 0.5)] }
        : { opType: 'Sigmoid', input: [n('g')], output: [n('s')], name: n('gate') };
    node.push(
      { opType: 'GlobalAveragePool', input: [n('x')], output: [n('pooled')], name: n('squeeze') },
      { opType: 'Flatten', input: [n('pooled')], output: [n('z')], name: n('flatten'), attribute: [intAttr('axis', 1)] },
      { opType: 'Gemm', input: [n('z'), n('w1_'), n('b1_')], output: [n('a')], name: n('reduce'), attribute: [intAttr('transB', 1)] },
      { opType: 'Relu', input: [n('a')], output: [n('h')], name: n('act') },
      { opType: 'Gemm', input: [n('h'), n('w2_'), n('b2_')], output: [n('g')], name: n('expand'), attribute: [intAttr('transB', 1)] },
      gate,
      { opType: 'Reshape', input: [n('s'), n('gate_shape')], output: [n('s4_')], name: n('to_nchw') },
      { opType: 'Mul', input: [n('x'), n('s4_')], output: [n('y')], name: n('scale') },
    );
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'se-kernels-bench',
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: c.kind === 'shape' ? 'se_block' : c.id, input, output, initializer, node },
  });
  return onnx.ModelProto.encode(model).finish();
}
