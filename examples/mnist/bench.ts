/**
 * `node build/js/examples/mnist/bench.js` (after `npm run build:scripts`): the convolution four ways on
 * this example's layer shapes, forward + backward (dx, dw, db) on a batch of 16 (the training
 * batch), median of repeated runs: im2col + this example's register-blocked `gemm` on groups of
 * images (what `conv.ts` does), the same one image at a time, im2col + the library's
 * `kernels.matmul` one image at a time, and direct loops. The last two live here only for this
 * comparison. All four are checked to agree before they are timed.
 */
import { kernels } from '../../src/core.js';
import { ConvScratch, col2imAdd, conv2dBackward, conv2dForward, convGeometry, im2col, type ConvGeometry } from './conv.js';
import { LAYERS } from './model.js';
import { SplitMix } from './random.js';

/** im2col + the library's matmul: forward. */
function libraryForward(out: Float32Array, x: Float32Array, w: Float32Array, b: Float32Array, g: ConvGeometry, cols: Float32Array, acc: Float64Array): void {
  const { N, C, H, W, F, K, P } = g;
  for (let n = 0; n < N; n++) {
    im2col(cols, P, 0, x, n * C * H * W, g);
    const o = n * F * P;
    kernels.matmul(out, w, cols, F, P, K, false, false, o, 0, 0, acc);
    for (let f = 0; f < F; f++) for (let i = o + f * P; i < o + (f + 1) * P; i++) out[i] += b[f];
  }
}

/** im2col + the library's matmul: backward (dx, dw, db overwritten). */
function libraryBackward(
  dx: Float32Array,
  dw: Float32Array,
  db: Float32Array,
  dy: Float32Array,
  x: Float32Array,
  w: Float32Array,
  g: ConvGeometry,
  cols: Float32Array,
  dcols: Float32Array,
  dwImage: Float32Array,
  acc: Float64Array,
): void {
  const { N, C, H, W, F, K, P } = g;
  dx.fill(0);
  dw.fill(0);
  db.fill(0);
  for (let n = 0; n < N; n++) {
    const o = n * F * P;
    for (let f = 0; f < F; f++) for (let i = o + f * P; i < o + (f + 1) * P; i++) db[f] += dy[i];
    im2col(cols, P, 0, x, n * C * H * W, g);
    kernels.matmul(dwImage, dy, cols, F, K, P, false, true, 0, o, 0);
    for (let i = 0; i < F * K; i++) dw[i] += dwImage[i];
    kernels.matmul(dcols, w, dy, K, P, F, true, false, 0, 0, o, acc);
    col2imAdd(dx, n * C * H * W, dcols, P, 0, g);
  }
}

/** Direct convolution forward: per output plane, shifted rows of each input plane, into a float64 row. */
function directForward(out: Float32Array, x: Float32Array, w: Float32Array, b: Float32Array, g: ConvGeometry, acc: Float64Array): void {
  const { N, C, H, W, F, k, stride, pad, Ho, Wo, P } = g;
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      acc.fill(b[f], 0, P);
      for (let c = 0; c < C; c++) {
        const plane = (n * C + c) * H * W;
        for (let ky = 0; ky < k; ky++) {
          for (let kx = 0; kx < k; kx++) {
            const wv = w[((f * C + c) * k + ky) * k + kx];
            const lo = Math.min(Wo, Math.max(0, Math.ceil((pad - kx) / stride)));
            const hi = Math.max(lo, Math.min(Wo, Math.floor((W - 1 + pad - kx) / stride) + 1));
            for (let oy = 0; oy < Ho; oy++) {
              const iy = oy * stride + ky - pad;
              if (iy < 0 || iy >= H) continue;
              let p = plane + iy * W + lo * stride + kx - pad;
              const o = oy * Wo;
              for (let ox = lo; ox < hi; ox++, p += stride) acc[o + ox] += wv * x[p];
            }
          }
        }
      }
      const o = (n * F + f) * P;
      for (let i = 0; i < P; i++) out[o + i] = acc[i];
    }
  }
}

/** Direct convolution backward (dx, dw, db overwritten). */
function directBackward(dx: Float32Array, dw: Float32Array, db: Float32Array, dy: Float32Array, x: Float32Array, w: Float32Array, g: ConvGeometry): void {
  const { N, C, H, W, F, k, stride, pad, Ho, Wo, P } = g;
  dx.fill(0);
  dw.fill(0);
  db.fill(0);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      const o = (n * F + f) * P;
      let sb = 0;
      for (let i = 0; i < P; i++) sb += dy[o + i];
      db[f] += sb;
      for (let c = 0; c < C; c++) {
        const plane = (n * C + c) * H * W;
        for (let ky = 0; ky < k; ky++) {
          for (let kx = 0; kx < k; kx++) {
            const wi = ((f * C + c) * k + ky) * k + kx;
            const wv = w[wi];
            const lo = Math.min(Wo, Math.max(0, Math.ceil((pad - kx) / stride)));
            const hi = Math.max(lo, Math.min(Wo, Math.floor((W - 1 + pad - kx) / stride) + 1));
            let sw = 0;
            for (let oy = 0; oy < Ho; oy++) {
              const iy = oy * stride + ky - pad;
              if (iy < 0 || iy >= H) continue;
              let p = plane + iy * W + lo * stride + kx - pad;
              const q = o + oy * Wo;
              for (let ox = lo; ox < hi; ox++, p += stride) {
                const d = dy[q + ox];
                sw += d * x[p];
                dx[p] += wv * d;
              }
            }
            dw[wi] += sw;
          }
        }
      }
    }
  }
}

function median(run: () => void, reps: number): number {
  run();
  const t: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    run();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[t.length >> 1];
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function main(): void {
  const batch = 16;
  const rng = new SplitMix(1);
  const fill = (n: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = rng.uniform() * 2 - 1;
    return a;
  };
  console.log(`conv forward + backward (dx, dw, db), batch ${batch}, median ms (Node ${process.version})`);
  for (const layer of LAYERS) {
    const g = convGeometry('bench', [batch, layer.in, layer.size, layer.size], [layer.out, layer.in, 3, 3], layer.stride, 1);
    const x = fill(batch * g.C * g.H * g.W);
    const w = fill(g.F * g.K);
    const b = fill(g.F);
    const dy = fill(batch * g.F * g.P);
    const scratch = new ConvScratch();
    const single = new ConvScratch(1);
    const acc = new Float64Array(Math.max(g.P, g.K));
    const cols = new Float32Array(g.K * g.P);
    const dcols = new Float32Array(g.K * g.P);
    const dwImage = new Float32Array(w.length);
    const make = () => ({ y: new Float32Array(batch * g.F * g.P), dx: new Float32Array(x.length), dw: new Float32Array(w.length), db: new Float32Array(g.F) });
    const runs = {
      'im2col+gemm': (r: ReturnType<typeof make>) => {
        conv2dForward(r.y, x, w, b, g, scratch);
        conv2dBackward(r.dx, r.dw, r.db, dy, null, x, w, g, scratch);
      },
      'im2col+gemm, one image at a time': (r: ReturnType<typeof make>) => {
        conv2dForward(r.y, x, w, b, g, single);
        conv2dBackward(r.dx, r.dw, r.db, dy, null, x, w, g, single);
      },
      'im2col+kernels.matmul': (r: ReturnType<typeof make>) => {
        libraryForward(r.y, x, w, b, g, cols, acc);
        libraryBackward(r.dx, r.dw, r.db, dy, x, w, g, cols, dcols, dwImage, acc);
      },
      'direct loops': (r: ReturnType<typeof make>) => {
        directForward(r.y, x, w, b, g, acc);
        directBackward(r.dx, r.dw, r.db, dy, x, w, g);
      },
    };
    const first = make();
    runs['im2col+gemm'](first);
    const parts: string[] = [];
    const macs = 3 * batch * g.F * g.K * g.P;
    for (const [name, run] of Object.entries(runs)) {
      const r = make();
      run(r);
      const diff = Math.max(maxDiff(r.y, first.y), maxDiff(r.dx, first.dx), maxDiff(r.dw, first.dw) / batch, maxDiff(r.db, first.db) / batch);
      if (!(diff < 1e-3)) throw new Error(`bench: ${name} disagrees with im2col+gemm by ${diff}`);
      const ms = median(() => run(r), 15);
      parts.push(`${name} ${ms.toFixed(1)} ms (${(macs / ms / 1e6).toFixed(2)} GMAC/s)`);
    }
    console.log(`${layer.in}->${layer.out} at ${layer.size}x${layer.size}: ${parts.join(', ')}`);
  }
}

main();
