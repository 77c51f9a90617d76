/**
 * The example's own layer: a 2-D convolution (square kernel, stride, zero padding), channels-first,
 * written as user code on se-kernels' tape with `Tape.record`, the way a user embeds SE in their own
 * numeric code. The math lives in out-first kernels (`conv2dForward`, `conv2dBackward`) built from
 * im2col and a register-blocked matrix product ({@link gemm}); `conv2d` puts them on a tape.
 *
 * Three ways were measured on this example's four layers, forward + backward on a batch of 16
 * (`bench.ts`, `node build/js/examples/mnist/bench.js`, three runs on the idle machine): im2col + this
 * `gemm` was the fastest or tied on every layer: 1.5-2.6x faster than im2col + the library's
 * `kernels.matmul` on the 14x14, 7x7 and 3x3 layers (1.0-1.4x on the 28x28 one, where K is 9), and
 * 2-5x faster than direct loops there (whose inner rows are 3 to 14 values long).
 */
import { Parameter, SEShapeError, SETypeError, Tape, Variable } from '../../src/core.js';
import { gemm } from './gemm.js';

/** The sizes of one convolution: input `[N, C, H, W]`, weight `[F, C, k, k]`, output `[N, F, Ho, Wo]`. */
export interface ConvGeometry {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  /** Output channels (filters). */
  readonly F: number;
  /** Kernel side. */
  readonly k: number;
  readonly stride: number;
  /** Zero padding on every side. */
  readonly pad: number;
  readonly Ho: number;
  readonly Wo: number;
  /** Rows of the im2col matrix: C * k * k. */
  readonly K: number;
  /** Output positions per image: Ho * Wo. */
  readonly P: number;
}

function positiveInteger(v: number): boolean {
  return Number.isSafeInteger(v) && v > 0;
}

/**
 * The geometry of a convolution of x (shape `[N, C, H, W]`) with w (shape `[F, C, k, k]`), checked.
 * @param fn the calling function's name, for messages
 * @param xShape the input's shape
 * @param wShape the weight's shape
 * @param stride step between output positions (a positive integer)
 * @param pad zero padding on each side (an integer >= 0, less than k)
 */
export function convGeometry(fn: string, xShape: readonly number[], wShape: readonly number[], stride: number, pad: number): ConvGeometry {
  if (xShape.length !== 4 || !xShape.every(positiveInteger)) {
    throw new SEShapeError(`${fn}: x must have shape [N, C, H, W] of positive integers but has shape [${xShape.join(', ')}]`);
  }
  if (wShape.length !== 4 || !wShape.every(positiveInteger)) {
    throw new SEShapeError(`${fn}: w must have shape [F, C, k, k] of positive integers but has shape [${wShape.join(', ')}]`);
  }
  const [N, C, H, W] = xShape;
  const [F, C2, k, k2] = wShape;
  if (C2 !== C) throw new SEShapeError(`${fn}: w has shape [${wShape.join(', ')}] but x has ${C} channels (needs [F, ${C}, k, k])`);
  if (k2 !== k) throw new SEShapeError(`${fn}: w has shape [${wShape.join(', ')}]; the kernel must be square`);
  if (!positiveInteger(stride)) throw new SETypeError(`${fn}: stride must be a positive integer but is ${String(stride)}`);
  if (!Number.isSafeInteger(pad) || pad < 0 || pad >= k) {
    throw new SETypeError(`${fn}: pad must be an integer in [0, ${k - 1}] (less than the kernel side ${k}) but is ${String(pad)}`);
  }
  if (H + 2 * pad < k || W + 2 * pad < k) {
    throw new SEShapeError(`${fn}: x's spatial size ${H}x${W} with padding ${pad} is smaller than the ${k}x${k} kernel`);
  }
  const Ho = Math.floor((H + 2 * pad - k) / stride) + 1;
  const Wo = Math.floor((W + 2 * pad - k) / stride) + 1;
  return { N, C, H, W, F, k, stride, pad, Ho, Wo, K: C * k * k, P: Ho * Wo };
}

/**
 * im2col for one image into columns `colOffset ..` of a matrix with `ld` columns per row:
 * `cols[(c * k + ky) * k + kx, colOffset + oy * Wo + ox] = x[c, oy * stride + ky - pad, ox * stride + kx - pad]`,
 * zero where that position is padding. Several images side by side make one wide matrix.
 * @param cols receives `K` rows of `P` values (overwritten), row r at `r * ld + colOffset`
 * @param ld the matrix's row length (at least colOffset + P)
 * @param colOffset the image's first column
 * @param x the batch's input
 * @param xOffset where the image starts in x
 * @param g the geometry
 * @returns cols
 */
export function im2col(cols: Float32Array, ld: number, colOffset: number, x: Float32Array, xOffset: number, g: ConvGeometry): Float32Array {
  const { C, H, W, k, stride, pad, Ho, Wo } = g;
  let row = colOffset;
  for (let c = 0; c < C; c++) {
    const plane = xOffset + c * H * W;
    for (let ky = 0; ky < k; ky++) {
      for (let kx = 0; kx < k; kx++, row += ld) {
        // Output columns whose input column ox * stride + kx - pad lies inside [0, W).
        const lo = Math.min(Wo, Math.max(0, Math.ceil((pad - kx) / stride)));
        const hi = Math.max(lo, Math.min(Wo, Math.floor((W - 1 + pad - kx) / stride) + 1));
        for (let oy = 0; oy < Ho; oy++) {
          const o = row + oy * Wo;
          const iy = oy * stride + ky - pad;
          if (iy < 0 || iy >= H) {
            cols.fill(0, o, o + Wo);
            continue;
          }
          let ox = 0;
          for (; ox < lo; ox++) cols[o + ox] = 0;
          let p = plane + iy * W + lo * stride + kx - pad;
          for (; ox < hi; ox++, p += stride) cols[o + ox] = x[p];
          for (; ox < Wo; ox++) cols[o + ox] = 0;
        }
      }
    }
  }
  return cols;
}

/**
 * The adjoint of {@link im2col} for one image: adds each entry of its columns into the input
 * position it was read from (padding positions are dropped).
 * @param dx the batch's input gradient, added into
 * @param dxOffset where the image starts in dx
 * @param cols the matrix, `K` rows of `ld` values
 * @param ld the matrix's row length
 * @param colOffset the image's first column
 * @param g the geometry
 * @returns dx
 */
export function col2imAdd(dx: Float32Array, dxOffset: number, cols: Float32Array, ld: number, colOffset: number, g: ConvGeometry): Float32Array {
  const { C, H, W, k, stride, pad, Ho, Wo } = g;
  let row = colOffset;
  for (let c = 0; c < C; c++) {
    const plane = dxOffset + c * H * W;
    for (let ky = 0; ky < k; ky++) {
      for (let kx = 0; kx < k; kx++, row += ld) {
        const lo = Math.min(Wo, Math.max(0, Math.ceil((pad - kx) / stride)));
        const hi = Math.max(lo, Math.min(Wo, Math.floor((W - 1 + pad - kx) / stride) + 1));
        for (let oy = 0; oy < Ho; oy++) {
          const iy = oy * stride + ky - pad;
          if (iy < 0 || iy >= H) continue;
          const o = row + oy * Wo;
          let p = plane + iy * W + lo * stride + kx - pad;
          for (let ox = lo; ox < hi; ox++, p += stride) dx[p] += cols[o + ox];
        }
      }
    }
  }
  return dx;
}

/**
 * Columns per product: images are processed in groups of about this many output positions, so a
 * late layer (7x7 or 3x3 positions per image) runs longer inner loops, and an early one (28x28)
 * keeps its im2col matrix small. Measured here on the four layers of a batch of 16, forward and
 * backward, best of 5 rounds: 23.9 ms with 256, 25.1 ms with 1024, 27.5 ms with 64, 27.9 ms one
 * image at a time; the rounds vary by 20-40% on this shared machine, so this is a small gain.
 */
export const GROUP_COLUMNS = 256;

/** Images per group for a geometry: enough for `columns` output positions, at least 1, at most N. */
export function groupSize(g: ConvGeometry, columns: number): number {
  return Math.max(1, Math.min(g.N, Math.ceil(columns / g.P)));
}

/**
 * Reusable scratch buffers of a convolution layer: one group's im2col matrix and its gradient, and
 * the group's output (or output gradient) as a `[F, group * P]` matrix. They grow on demand and
 * are reused by every call, so a training step allocates only its outputs.
 */
export class ConvScratch {
  /** @param groupColumns output positions per group of images (default {@link GROUP_COLUMNS}) */
  constructor(readonly groupColumns = GROUP_COLUMNS) {}
  cols = new Float32Array(0);
  dcols = new Float32Array(0);
  block = new Float32Array(0);

  /** Makes every buffer big enough for `g` in groups of `group` images. */
  fit(g: ConvGeometry, group: number): this {
    const kp = g.K * g.P * group;
    if (this.cols.length < kp) {
      this.cols = new Float32Array(kp);
      this.dcols = new Float32Array(kp);
    }
    if (this.block.length < g.F * g.P * group) this.block = new Float32Array(g.F * g.P * group);
    return this;
  }
}

/**
 * Convolution forward: `out[n, f] = b[f] + sum_{c, ky, kx} w[f, c, ky, kx] * x[n, c, shifted]`,
 * per group of images one product `W [F, K] x cols [K, group * P]` ({@link gemm}: float64 sums,
 * float32 storage), scattered to `[N, F, P]` with the bias (and the ReLU) applied on the way.
 * @param out receives `[N, F, Ho, Wo]` (overwritten; must not overlap x, w or b)
 * @param x input `[N, C, H, W]`
 * @param w weight `[F, C, k, k]`
 * @param b bias `[F]` or null
 * @param g the geometry (from {@link convGeometry})
 * @param scratch reusable buffers
 * @param relu apply `max(0, v)` to the result (a fused ReLU)
 * @returns out
 */
export function conv2dForward(
  out: Float32Array,
  x: Float32Array,
  w: Float32Array,
  b: Float32Array | null,
  g: ConvGeometry,
  scratch: ConvScratch,
  relu = false,
): Float32Array {
  const { N, C, H, W, F, K, P } = g;
  const G = groupSize(g, scratch.groupColumns);
  const { cols, block } = scratch.fit(g, G);
  for (let n0 = 0; n0 < N; n0 += G) {
    const group = Math.min(G, N - n0);
    const ld = group * P;
    for (let j = 0; j < group; j++) im2col(cols, ld, j * P, x, (n0 + j) * C * H * W, g);
    // block [F, group * P] = W [F, K] x cols [K, group * P].
    gemm(block, 0, w, 0, K, 1, cols, 0, ld, 1, F, ld, K, false);
    for (let j = 0; j < group; j++) {
      for (let f = 0; f < F; f++) {
        const bf = b === null ? 0 : b[f];
        const src = f * ld + j * P;
        const dst = ((n0 + j) * F + f) * P;
        // NaN stays NaN through the ReLU (test v <= 0, for which NaN is false).
        if (relu) {
          for (let p = 0; p < P; p++) {
            const v = block[src + p] + bf;
            out[dst + p] = v <= 0 ? 0 : v;
          }
        } else {
          for (let p = 0; p < P; p++) out[dst + p] = block[src + p] + bf;
        }
      }
    }
  }
  return out;
}

/**
 * Convolution backward. Each of dx, dw, db may be null (not wanted); the others are overwritten:
 * `dw[f, kk] = sum_n sum_p dy[n, f, p] * cols_n[kk, p]`, `db[f] = sum_{n, p} dy[n, f, p]`,
 * `dx = col2im(W^T dy)`. With `y` (the forward's output, for a fused ReLU), dy is first masked by
 * `y > 0`. Per group of images: dy gathered (and masked) into a `[F, group * P]` matrix, then
 * `dw += dy x cols^T` and `dcols = W^T dy`, both by {@link gemm}.
 * @param dx receives `[N, C, H, W]`, or null
 * @param dw receives `[F, C, k, k]`, or null
 * @param db receives `[F]`, or null
 * @param dy gradient of the output `[N, F, Ho, Wo]`
 * @param y the forward's output when it had a fused ReLU, else null
 * @param x the forward's input
 * @param w the forward's weight
 * @param g the geometry
 * @param scratch reusable buffers
 */
export function conv2dBackward(
  dx: Float32Array | null,
  dw: Float32Array | null,
  db: Float32Array | null,
  dy: Float32Array,
  y: Float32Array | null,
  x: Float32Array,
  w: Float32Array,
  g: ConvGeometry,
  scratch: ConvScratch,
): void {
  const { N, C, H, W, F, K, P } = g;
  const G = groupSize(g, scratch.groupColumns);
  const { cols, dcols, block } = scratch.fit(g, G);
  if (dx !== null) dx.fill(0);
  if (dw !== null) dw.fill(0);
  if (db !== null) db.fill(0);
  for (let n0 = 0; n0 < N; n0 += G) {
    const group = Math.min(G, N - n0);
    const ld = group * P;
    for (let j = 0; j < group; j++) {
      for (let f = 0; f < F; f++) {
        const src = ((n0 + j) * F + f) * P;
        const dst = f * ld + j * P;
        let sum = 0;
        for (let p = 0; p < P; p++) {
          const d = y !== null && !(y[src + p] > 0) ? 0 : dy[src + p];
          block[dst + p] = d;
          sum += d;
        }
        if (db !== null) db[f] += sum;
      }
    }
    if (dw !== null) {
      for (let j = 0; j < group; j++) im2col(cols, ld, j * P, x, (n0 + j) * C * H * W, g);
      // dw += dy [F, group * P] x cols^T [group * P, K].
      gemm(dw, 0, block, 0, ld, 1, cols, 0, 1, ld, F, K, ld, true);
    }
    if (dx !== null) {
      // dcols = W^T [K, F] x dy [F, group * P], then back to image positions.
      gemm(dcols, 0, w, 0, 1, K, block, 0, ld, 1, K, ld, F, false);
      for (let j = 0; j < group; j++) col2imAdd(dx, (n0 + j) * C * H * W, dcols, ld, j * P, g);
    }
  }
}

/** Options of {@link conv2d}. */
export interface Conv2dOptions {
  /** Apply a ReLU to the output inside the op (one pass and one array fewer than a separate `relu`; default false). */
  relu?: boolean;
  /** Step between output positions (default 1). */
  stride?: number;
  /** Zero padding on each side (default (k - 1) / 2 rounded down: "same" for odd k at stride 1). */
  pad?: number;
  /** Reusable buffers (default: fresh ones for this call). */
  scratch?: ConvScratch;
}

/**
 * A 2-D convolution on the tape (PyTorch's `F.conv2d(x, w, b, stride, padding)`, channels-first),
 * optionally followed by a fused ReLU (`relu(F.conv2d(...))`; relu'(0) = 0). One op: its backward
 * runs {@link conv2dBackward}. Saves: x and w, and the output with `relu` (its sign masks dy; the
 * im2col matrix is rebuilt in backward, in the scratch, rather than kept).
 * @param x `[N, C, H, W]`
 * @param w `[F, C, k, k]`
 * @param b `[F]` or null
 * @param options stride, pad, scratch
 * @returns `[N, F, Ho, Wo]`
 */
export function conv2d(x: Variable, w: Variable, b: Variable | null, options: Conv2dOptions = {}): Variable {
  const fn = 'conv2d';
  if (!(x instanceof Variable)) throw new SETypeError(`${fn}: x must be a Variable but got ${typeof x}`);
  if (!(w instanceof Variable)) throw new SETypeError(`${fn}: w must be a Variable but got ${typeof w}`);
  if (b !== null && !(b instanceof Variable)) throw new SETypeError(`${fn}: b must be a Variable or null but got ${typeof b}`);
  const { stride = 1, pad: padOption, scratch = new ConvScratch(), relu = false } = options;
  const k = w.shape.length === 4 ? w.shape[2] : 1;
  const pad = padOption ?? Math.floor((k - 1) / 2);
  const g = convGeometry(fn, x.shape, w.shape, stride, pad);
  if (b !== null && (b.shape.length !== 1 || b.shape[0] !== g.F)) {
    throw new SEShapeError(`${fn}: b has shape [${b.shape.join(', ')}] but w has ${g.F} filters (needs [${g.F}])`);
  }
  const out = conv2dForward(new Float32Array(g.N * g.F * g.P), x.data, w.data, b === null ? null : b.data, g, scratch, relu);
  const inputs = b === null ? [x, w] : [x, w, b];
  const saved = relu ? [x.data, w.data, out] : [x.data, w.data];
  return x.tape.record(relu ? 'conv2dRelu' : fn, inputs, out, [g.N, g.F, g.Ho, g.Wo], saved, (dy, [xd, wd, y], needs) => {
    const dx = needs[0] ? new Float32Array(xd.length) : null;
    const dw = needs[1] ? new Float32Array(wd.length) : null;
    const db = b !== null && needs[2] ? new Float32Array(g.F) : null;
    conv2dBackward(dx, dw, db, dy, y ?? null, xd, wd, g, scratch);
    return b === null ? [dx, dw] : [dx, dw, db];
  });
}

/** A convolution layer (optionally with a fused ReLU): its weight and bias as Parameters (they outlive tapes) and its scratch. */
export class Conv2d {
  readonly weight: Parameter;
  /** Null without a bias (before a batch normalisation, whose shift replaces it). */
  readonly bias: Parameter | null;
  readonly stride: number;
  readonly pad: number;
  readonly relu: boolean;
  private readonly scratch = new ConvScratch();

  /**
   * @param inChannels C
   * @param outChannels F
   * @param k kernel side
   * @param stride step between output positions
   * @param random uniform draws in [0, 1) for the initialisation
   * @param name prefix of the parameters' names
   * @param options bias (default true) and a fused ReLU (default false)
   */
  constructor(
    inChannels: number,
    outChannels: number,
    k: number,
    stride: number,
    random: () => number,
    name: string,
    options: { bias?: boolean; relu?: boolean } = {},
  ) {
    // Kaiming-uniform for ReLU: U(-b, b) with b = sqrt(6 / fan_in), bias 0.
    const fanIn = inChannels * k * k;
    const bound = Math.sqrt(6 / fanIn);
    const w = new Float32Array(outChannels * fanIn);
    for (let i = 0; i < w.length; i++) w[i] = (2 * random() - 1) * bound;
    this.weight = new Parameter({ data: w, shape: [outChannels, inChannels, k, k] }, { name: `${name}.weight` });
    this.bias = options.bias === false ? null : new Parameter({ data: new Float32Array(outChannels), shape: [outChannels] }, { name: `${name}.bias` });
    this.stride = stride;
    this.pad = Math.floor((k - 1) / 2);
    this.relu = options.relu === true;
  }

  /** The layer's parameters: weight, then bias if any. */
  parameters(): Parameter[] {
    return this.bias === null ? [this.weight] : [this.weight, this.bias];
  }

  /** The layer on x's tape (one op, the ReLU fused in if the layer has one). */
  tapeForward(x: Variable): Variable {
    const tape: Tape = x.tape;
    const b = this.bias === null ? null : tape.parameter(this.bias);
    return conv2d(x, tape.parameter(this.weight), b, { stride: this.stride, pad: this.pad, scratch: this.scratch, relu: this.relu });
  }

  /** The layer off the tape (evaluation): writes into a fresh `[N, F, Ho, Wo]` array. */
  forward(x: Float32Array, shape: readonly number[]): { data: Float32Array; shape: number[] } {
    const g = convGeometry('Conv2d.forward', shape, this.weight.shape, this.stride, this.pad);
    const b = this.bias === null ? null : this.bias.data;
    const out = conv2dForward(new Float32Array(g.N * g.F * g.P), x, this.weight.data, b, g, this.scratch, this.relu);
    return { data: out, shape: [g.N, g.F, g.Ho, g.Wo] };
  }
}
