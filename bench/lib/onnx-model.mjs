// @ts-check
/**
 * Builds the ONNX model of the SE block, in code, with onnx-proto (protobufjs bindings of onnx.proto):
 *
 *   x [N,C,H,W] -> GlobalAveragePool -> Flatten(axis 1) -> Gemm(W1, b1, transB) -> Relu
 *     -> Gemm(W2, b2, transB) -> Sigmoid -> Reshape([N,C,1,1]) -> Mul(x, .) -> y [N,C,H,W]
 *
 * Weights are initializers in PyTorch layout (W1 [R,C], W2 [C,R], hence transB = 1), the shapes
 * fixed per case (which lets onnxruntime plan its memory). Opset 13, IR version 7.
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

/**
 * @param {import('./cases.mjs').Case} c
 * @returns {Uint8Array} the serialized ModelProto
 */
export function seOnnxModel(c) {
  const { N, C, H, W, R, params } = c;
  const graph = {
    name: 'se_block',
    input: [valueInfo('x', [N, C, H, W])],
    output: [valueInfo('y', [N, C, H, W])],
    initializer: [
      floatInit('w1', [R, C], params.w1),
      floatInit('b1', [R], params.b1),
      floatInit('w2', [C, R], params.w2),
      floatInit('b2', [C], params.b2),
      { name: 'gate_shape', dims: [4], dataType: INT64, rawData: bytes(BigInt64Array.from([N, C, 1, 1].map(BigInt))) },
    ],
    node: [
      { opType: 'GlobalAveragePool', input: ['x'], output: ['pooled'], name: 'squeeze' },
      { opType: 'Flatten', input: ['pooled'], output: ['z'], name: 'flatten', attribute: [intAttr('axis', 1)] },
      { opType: 'Gemm', input: ['z', 'w1', 'b1'], output: ['a'], name: 'reduce', attribute: [intAttr('transB', 1)] },
      { opType: 'Relu', input: ['a'], output: ['h'], name: 'act' },
      { opType: 'Gemm', input: ['h', 'w2', 'b2'], output: ['g'], name: 'expand', attribute: [intAttr('transB', 1)] },
      { opType: 'Sigmoid', input: ['g'], output: ['s'], name: 'gate' },
      { opType: 'Reshape', input: ['s', 'gate_shape'], output: ['s4'], name: 'to_nchw' },
      { opType: 'Mul', input: ['x', 's4'], output: ['y'], name: 'scale' },
    ],
  };
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'se-kernels-bench',
    opsetImport: [{ domain: '', version: 13 }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}
