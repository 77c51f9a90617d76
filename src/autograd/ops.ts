/**
 * Tape ops. Each op checks its inputs' shapes, runs a kernel forward, and records a backward
 * that runs the matching kernel backward; forward and backward sit side by side here, and the
 * math of both lives in `src/kernels`. Each op lists what it saves for backward.
 */
import { SEShapeError, SETypeError, describeValue } from '../errors.js';
import { activationBackward, activationForward, type ActivationKind } from '../kernels/activation.js';
import { biasAddForward, biasBackward } from '../kernels/bias.js';
import {
  channelScaleBackward,
  channelScaleChannelsLastBackward,
  channelScaleChannelsLastForward,
  channelScaleForward,
} from '../kernels/channelScale.js';
import { addArrays, mulArrays, scaleArray, sumReduce } from '../kernels/elementwise.js';
import { matmul as matmulKernel } from '../kernels/matmul.js';
import {
  globalAvgPoolBackward,
  globalAvgPoolChannelsLastBackward,
  globalAvgPoolChannelsLastForward,
  globalAvgPoolForward,
  globalMaxPoolBackward,
  globalMaxPoolChannelsLastBackward,
  globalMaxPoolChannelsLastForward,
  globalMaxPoolForward,
} from '../kernels/pooling.js';
import type { SELayout } from '../options.js';
import { formatShape } from '../tensor.js';
import { Variable } from './tape.js';

function assertVariable(op: string, name: string, v: unknown): asserts v is Variable {
  if (!(v instanceof Variable)) throw new SETypeError(`${op}: ${name} must be a Variable but got ${describeValue(v)}`);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, k) => d === b[k]);
}

function assertSameShape(op: string, a: Variable, b: Variable): void {
  if (!sameShape(a.shape, b.shape)) {
    throw new SEShapeError(`${op}: a has shape ${formatShape(a.shape)} but b has shape ${formatShape(b.shape)}; they must match`);
  }
}

function assertRank(op: string, name: string, v: Variable, min: number, max: number): void {
  if (v.shape.length < min || v.shape.length > max) {
    const expected = min === max ? `${min}` : `${min} to ${max}`;
    throw new SEShapeError(`${op}: ${name} must have rank ${expected} but has shape ${formatShape(v.shape)}`);
  }
}

function assertLayout(op: string, layout: unknown): asserts layout is SELayout {
  if (layout !== 'channels-first' && layout !== 'channels-last') {
    throw new SEShapeError(`${op}: layout must be 'channels-first' or 'channels-last' but is ${describeValue(layout)}`);
  }
}

/** N, C, S of a `[N, C, ...spatial]` or `[N, ...spatial, C]` variable. */
function spatialDims(x: Variable, layout: SELayout): { N: number; C: number; S: number } {
  const rank = x.shape.length;
  const C = layout === 'channels-first' ? x.shape[1] : x.shape[rank - 1];
  return { N: x.shape[0], C, S: x.size / (x.shape[0] * C) };
}

/**
 * Matrix product `op(a) * op(b)` of two 2-D variables, with optional transposes.
 * Saves: a and b.
 */
export function matmul(a: Variable, b: Variable, transA = false, transB = false): Variable {
  const op = 'matmul';
  assertVariable(op, 'a', a);
  assertVariable(op, 'b', b);
  assertRank(op, 'a', a, 2, 2);
  assertRank(op, 'b', b, 2, 2);
  const [M, K] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [K2, N] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (K !== K2) {
    throw new SEShapeError(
      `${op}: inner sizes differ: op(a) is [${M}, ${K}] (a ${formatShape(a.shape)}${transA ? ', transposed' : ''}) ` +
        `but op(b) is [${K2}, ${N}] (b ${formatShape(b.shape)}${transB ? ', transposed' : ''})`,
    );
  }
  const out = matmulKernel(new Float32Array(M * N), a.data, b.data, M, N, K, transA, transB);
  return a.tape.record(op, [a, b], out, [M, N], [a.data, b.data], (dy, [ad, bd], needs) => {
    // d op(a) = dy op(b)^T, d op(b) = op(a)^T dy; each written straight into the stored layout.
    let da: Float32Array | null = null;
    let db: Float32Array | null = null;
    if (needs[0]) {
      da = transA
        ? matmulKernel(new Float32Array(K * M), bd, dy, K, M, N, transB, true)
        : matmulKernel(new Float32Array(M * K), dy, bd, M, K, N, false, !transB);
    }
    if (needs[1]) {
      db = transB
        ? matmulKernel(new Float32Array(N * K), dy, ad, N, K, M, true, transA)
        : matmulKernel(new Float32Array(K * N), ad, dy, K, N, M, !transA, false);
    }
    return [da, db];
  });
}

/**
 * Adds a bias over the last axis: `y[..., c] = x[..., c] + b[c]`. Saves: nothing.
 */
export function biasAdd(x: Variable, b: Variable): Variable {
  const op = 'biasAdd';
  assertVariable(op, 'x', x);
  assertVariable(op, 'b', b);
  assertRank(op, 'x', x, 1, 8);
  assertRank(op, 'b', b, 1, 1);
  const cols = x.shape[x.shape.length - 1];
  if (b.shape[0] !== cols) {
    throw new SEShapeError(`${op}: b has shape ${formatShape(b.shape)} but x's last axis is ${cols} (x ${formatShape(x.shape)})`);
  }
  const rows = x.size / cols;
  const out = biasAddForward(new Float32Array(x.size), x.data, b.data, rows, cols);
  return x.tape.record(op, [x, b], out, x.shape, [], (dy, _saved, needs) => [
    dy,
    needs[1] ? biasBackward(new Float32Array(cols), dy, rows, cols) : null,
  ]);
}

/**
 * A linear layer in PyTorch's convention: `y = x W^T + b`, x `[batch, in]`, W `[out, in]`,
 * b `[out]` or null. The bias joins the float64 sum (one rounding). Saves: x and W.
 */
export function linear(x: Variable, w: Variable, b: Variable | null = null): Variable {
  const op = 'linear';
  assertVariable(op, 'x', x);
  assertVariable(op, 'w', w);
  assertRank(op, 'x', x, 2, 2);
  assertRank(op, 'w', w, 2, 2);
  const [B, I] = x.shape;
  const [O, I2] = w.shape;
  if (I !== I2) {
    throw new SEShapeError(`${op}: x has shape ${formatShape(x.shape)} but w has shape ${formatShape(w.shape)}; w must be [out, ${I}]`);
  }
  if (b !== null) {
    assertVariable(op, 'b', b);
    if (b.shape.length !== 1 || b.shape[0] !== O) {
      throw new SEShapeError(`${op}: b has shape ${formatShape(b.shape)} but w has ${O} outputs (needs [${O}])`);
    }
  }
  const out = matmulKernel(new Float32Array(B * O), x.data, w.data, B, O, I, false, true, 0, 0, 0, null, b === null ? null : b.data);
  const inputs = b === null ? [x, w] : [x, w, b];
  return x.tape.record(op, inputs, out, [B, O], [x.data, w.data], (dy, [xd, wd], needs) => {
    const dx = needs[0] ? matmulKernel(new Float32Array(B * I), dy, wd, B, I, O) : null;
    const dw = needs[1] ? matmulKernel(new Float32Array(O * I), dy, xd, O, I, B, true, false) : null;
    if (b === null) return [dx, dw];
    return [dx, dw, needs[2] ? biasBackward(new Float32Array(O), dy, B, O) : null];
  });
}

/** An elementwise nonlinearity by name. Saves: its input. */
export function activation(x: Variable, kind: ActivationKind): Variable {
  const op = kind;
  assertVariable(op, 'x', x);
  const out = activationForward(kind, new Float32Array(x.size), x.data, x.size);
  return x.tape.record(op, [x], out, x.shape, [x.data], (dy, [xd]) => [
    activationBackward(kind, new Float32Array(dy.length), dy, xd, dy.length),
  ]);
}

/** `max(x, 0)`; relu'(0) = 0. Saves: x. */
export function relu(x: Variable): Variable {
  return activation(x, 'relu');
}

/** `1 / (1 + exp(-x))`, overflow-free. Saves: x. */
export function sigmoid(x: Variable): Variable {
  return activation(x, 'sigmoid');
}

/** `x * sigmoid(x)`. Saves: x. */
export function silu(x: Variable): Variable {
  return activation(x, 'silu');
}

/** The exact GELU `x * Phi(x)` (Phi the standard normal CDF; PyTorch's `nn.GELU()` default). Saves: x. */
export function gelu(x: Variable): Variable {
  return activation(x, 'gelu');
}

/** GELU's tanh approximation (PyTorch `gelu(approximate='tanh')`), within 5e-4 of {@link gelu}. Saves: x. */
export function geluTanh(x: Variable): Variable {
  return activation(x, 'geluTanh');
}

/** `tanh(x)`. Saves: x. */
export function tanh(x: Variable): Variable {
  return activation(x, 'tanh');
}

/** PyTorch's hard sigmoid `clamp((x + 3) / 6, 0, 1)`. Saves: x. */
export function hardSigmoid(x: Variable): Variable {
  return activation(x, 'hardSigmoid');
}

/**
 * Global average pooling over the spatial axes: `[N, C, ...spatial]` (or `[N, ...spatial, C]`
 * with `'channels-last'`) to `[N, C]`. Saves: nothing.
 */
export function globalAvgPool(x: Variable, layout: SELayout = 'channels-first'): Variable {
  const op = 'globalAvgPool';
  assertVariable(op, 'x', x);
  assertLayout(op, layout);
  assertRank(op, 'x', x, 3, 8);
  const { N, C, S } = spatialDims(x, layout);
  const out = new Float32Array(N * C);
  if (layout === 'channels-first') globalAvgPoolForward(out, x.data, N * C, S);
  else globalAvgPoolChannelsLastForward(out, x.data, N, S, C, new Float64Array(C));
  return x.tape.record(op, [x], out, [N, C], [], (dy) => [
    layout === 'channels-first'
      ? globalAvgPoolBackward(new Float32Array(x.size), dy, N * C, S)
      : globalAvgPoolChannelsLastBackward(new Float32Array(x.size), dy, N, S, C),
  ]);
}

/**
 * Global max pooling over the spatial axes to `[N, C]`; the gradient goes to the FIRST index of
 * each maximum. Saves: the argmax indices.
 */
export function globalMaxPool(x: Variable, layout: SELayout = 'channels-first'): Variable {
  const op = 'globalMaxPool';
  assertVariable(op, 'x', x);
  assertLayout(op, layout);
  assertRank(op, 'x', x, 3, 8);
  const { N, C, S } = spatialDims(x, layout);
  const out = new Float32Array(N * C);
  const argmax = new Int32Array(N * C);
  if (layout === 'channels-first') globalMaxPoolForward(out, argmax, x.data, N * C, S);
  else globalMaxPoolChannelsLastForward(out, argmax, x.data, N, S, C);
  // argmax is an Int32Array; it is kept by the closure (declared here: saves argmax).
  return x.tape.record(op, [x], out, [N, C], [], (dy) => [
    layout === 'channels-first'
      ? globalMaxPoolBackward(new Float32Array(x.size), dy, argmax, N * C, S)
      : globalMaxPoolChannelsLastBackward(new Float32Array(x.size), dy, argmax, N, S, C),
  ]);
}

/**
 * Channel broadcast-multiply `y[n, c, ...] = x[n, c, ...] * s[n, c]` (s `[N, C]`).
 * Saves: x and s.
 */
export function channelScale(x: Variable, s: Variable, layout: SELayout = 'channels-first'): Variable {
  const op = 'channelScale';
  assertVariable(op, 'x', x);
  assertVariable(op, 's', s);
  assertLayout(op, layout);
  assertRank(op, 'x', x, 3, 8);
  const { N, C, S } = spatialDims(x, layout);
  if (!sameShape(s.shape, [N, C])) {
    throw new SEShapeError(`${op}: s has shape ${formatShape(s.shape)} but x ${formatShape(x.shape)} needs [${N}, ${C}]`);
  }
  const cl = layout === 'channels-last';
  const out = new Float32Array(x.size);
  if (cl) channelScaleChannelsLastForward(out, x.data, s.data, null, N, S, C);
  else channelScaleForward(out, x.data, s.data, N * C, S);
  return x.tape.record(op, [x, s], out, x.shape, [x.data, s.data], (dy, [xd, sd], needs) => {
    const dx = needs[0] ? new Float32Array(dy.length) : null;
    const ds = needs[1] ? new Float32Array(N * C) : null;
    if (cl) channelScaleChannelsLastBackward(dx, ds, dy, xd, sd, N, S, C, new Float64Array(C));
    else channelScaleBackward(dx, ds, dy, xd, sd, N * C, S);
    return [dx, ds];
  });
}

/** Elementwise `a + b` (same shapes), e.g. a residual connection. Saves: nothing. */
export function add(a: Variable, b: Variable): Variable {
  const op = 'add';
  assertVariable(op, 'a', a);
  assertVariable(op, 'b', b);
  assertSameShape(op, a, b);
  const out = addArrays(new Float32Array(a.size), a.data, b.data, a.size);
  return a.tape.record(op, [a, b], out, a.shape, [], (dy) => [dy, dy]);
}

/** Elementwise `a * b` (same shapes), e.g. a weighted loss. Saves: a and b. */
export function mul(a: Variable, b: Variable): Variable {
  const op = 'mul';
  assertVariable(op, 'a', a);
  assertVariable(op, 'b', b);
  assertSameShape(op, a, b);
  const out = mulArrays(new Float32Array(a.size), a.data, b.data, a.size);
  return a.tape.record(op, [a, b], out, a.shape, [a.data, b.data], (dy, [ad, bd], needs) => [
    needs[0] ? mulArrays(new Float32Array(dy.length), dy, bd, dy.length) : null,
    needs[1] ? mulArrays(new Float32Array(dy.length), dy, ad, dy.length) : null,
  ]);
}

/** `alpha * x` for a constant number alpha. Saves: nothing. */
export function scale(x: Variable, alpha: number): Variable {
  const op = 'scale';
  assertVariable(op, 'x', x);
  if (typeof alpha !== 'number') throw new SETypeError(`${op}: alpha must be a number but got ${describeValue(alpha)}`);
  const out = scaleArray(new Float32Array(x.size), x.data, alpha, x.size);
  return x.tape.record(op, [x], out, x.shape, [], (dy) => [scaleArray(new Float32Array(dy.length), dy, alpha, dy.length)]);
}

/** Sum of all elements, a scalar (shape `[]`); accumulated in float64. Saves: nothing. */
export function sum(x: Variable): Variable {
  const op = 'sum';
  assertVariable(op, 'x', x);
  const out = new Float32Array([sumReduce(x.data, x.size)]);
  return x.tape.record(op, [x], out, [], [], (dy) => [new Float32Array(x.size).fill(dy[0])]);
}

/** Mean of all elements, a scalar (shape `[]`); accumulated in float64. Saves: nothing. */
export function mean(x: Variable): Variable {
  const op = 'mean';
  assertVariable(op, 'x', x);
  const n = x.size;
  const out = new Float32Array([sumReduce(x.data, n) / n]);
  return x.tape.record(op, [x], out, [], [], (dy) => [new Float32Array(n).fill(dy[0] / n)]);
}
