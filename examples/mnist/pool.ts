/**
 * 2x2 max pooling with stride 2 (PyTorch's `F.max_pool2d(x, 2)`), channels-first, as user code on
 * the tape: out-first kernels and the tape op `maxPool2d`. A trailing odd row or column is dropped,
 * as PyTorch does. The gradient goes to the FIRST maximum of each window (row-major order), and NaN
 * in a window makes its output NaN.
 */
import { SEShapeError, SETypeError, Variable } from '../../src/core.js';

/**
 * Forward: `out[p, oy, ox] = max of x[p, 2oy..2oy+1, 2ox..2ox+1]` for each of `planes` planes of
 * `H x W`, recording in `argmax` the index into x of the maximum.
 * @param out receives `planes * floor(H/2) * floor(W/2)` values
 * @param argmax receives, per output, the index into x it came from
 * @param x input planes
 * @param planes N * C
 * @param H input height
 * @param W input width
 * @returns out
 */
export function maxPool2Forward(out: Float32Array, argmax: Int32Array, x: Float32Array, planes: number, H: number, W: number): Float32Array {
  const Ho = H >> 1;
  const Wo = W >> 1;
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const plane = p * H * W;
    for (let oy = 0; oy < Ho; oy++) {
      const r0 = plane + 2 * oy * W;
      for (let ox = 0; ox < Wo; ox++, o++) {
        const i0 = r0 + 2 * ox;
        let best = i0;
        let m = x[i0];
        // `v !== v`: a NaN wins and stays (nothing compares greater than NaN).
        if (m === m) {
          const i1 = i0 + 1;
          const i2 = i0 + W;
          const i3 = i2 + 1;
          let v = x[i1];
          if (v > m || v !== v) {
            m = v;
            best = i1;
          }
          v = x[i2];
          if (m === m && (v > m || v !== v)) {
            m = v;
            best = i2;
          }
          v = x[i3];
          if (m === m && (v > m || v !== v)) {
            m = v;
            best = i3;
          }
        }
        out[o] = m;
        argmax[o] = best;
      }
    }
  }
  return out;
}

/**
 * Backward: `dx[argmax[o]] += dy[o]`, dx zero elsewhere.
 * @param dx receives the input gradient (overwritten), x's size
 * @param dy gradient of the output
 * @param argmax the forward's argmax
 * @param n number of outputs
 * @returns dx
 */
export function maxPool2Backward(dx: Float32Array, dy: Float32Array, argmax: Int32Array, n: number): Float32Array {
  dx.fill(0);
  for (let o = 0; o < n; o++) dx[argmax[o]] += dy[o];
  return dx;
}

/**
 * 2x2 max pooling with stride 2 on the tape: `[N, C, H, W]` to `[N, C, floor(H/2), floor(W/2)]`.
 * Saves: the argmax indices (Int32Array).
 * @param x a Variable `[N, C, H, W]` with H, W >= 2
 */
export function maxPool2d(x: Variable): Variable {
  const fn = 'maxPool2d';
  if (!(x instanceof Variable)) throw new SETypeError(`${fn}: x must be a Variable but got ${typeof x}`);
  const shape = x.shape;
  if (shape.length !== 4 || shape[2] < 2 || shape[3] < 2) {
    throw new SEShapeError(`${fn}: x must have shape [N, C, H, W] with H, W >= 2 but has shape [${shape.join(', ')}]`);
  }
  const [N, C, H, W] = shape;
  const Ho = H >> 1;
  const Wo = W >> 1;
  const n = N * C * Ho * Wo;
  const argmax = new Int32Array(n);
  const out = maxPool2Forward(new Float32Array(n), argmax, x.data, N * C, H, W);
  const size = x.size;
  return x.tape.record(fn, [x], out, [N, C, Ho, Wo], [argmax], (dy, [am]) => [maxPool2Backward(new Float32Array(size), dy, am, n)]);
}
