// @ts-check
/**
 * A naive SE block in JS, the way someone writes it quickly from the formulas: nested
 * (n, c, h, w) loops with the full index computed each time, every array allocated per call,
 * Math.exp sigmoid, nothing unrolled or fused.
 */

/**
 * @param {Float32Array} x
 * @param {number[]} shape [N, C, H, W]
 * @param {import('../lib/cases.mjs').SEParams} p
 */
export function naiveSEForward(x, shape, p) {
  const [N, C, H, W] = shape;
  const R = p.hidden;
  const y = new Float32Array(N * C * H * W);
  const z = new Float32Array(N * C);
  const a = new Float32Array(N * R);
  const h = new Float32Array(N * R);
  const s = new Float32Array(N * C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      let sum = 0;
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < W; j++) {
          sum += x[((n * C + c) * H + i) * W + j];
        }
      }
      z[n * C + c] = sum / (H * W);
    }
    for (let r = 0; r < R; r++) {
      let acc = p.b1[r];
      for (let c = 0; c < C; c++) acc += p.w1[r * C + c] * z[n * C + c];
      a[n * R + r] = acc;
      h[n * R + r] = Math.max(0, acc);
    }
    for (let c = 0; c < C; c++) {
      let acc = p.b2[c];
      for (let r = 0; r < R; r++) acc += p.w2[c * R + r] * h[n * R + r];
      s[n * C + c] = 1 / (1 + Math.exp(-acc));
    }
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < W; j++) {
          const idx = ((n * C + c) * H + i) * W + j;
          y[idx] = x[idx] * s[n * C + c];
        }
      }
    }
  }
  return { y, cache: { x, shape, p, z, a, h, s } };
}

/**
 * @param {Float32Array} dy
 * @param {ReturnType<typeof naiveSEForward>['cache']} cache
 */
export function naiveSEBackward(dy, cache) {
  const { x, shape, p, z, a, h, s } = cache;
  const [N, C, H, W] = shape;
  const R = p.hidden;
  const dx = new Float32Array(N * C * H * W);
  const dw1 = new Float32Array(R * C);
  const db1 = new Float32Array(R);
  const dw2 = new Float32Array(C * R);
  const db2 = new Float32Array(C);
  for (let n = 0; n < N; n++) {
    const dg = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      let ds = 0;
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < W; j++) {
          const idx = ((n * C + c) * H + i) * W + j;
          ds += dy[idx] * x[idx];
        }
      }
      const sc = s[n * C + c];
      dg[c] = ds * sc * (1 - sc);
      db2[c] += dg[c];
      for (let r = 0; r < R; r++) dw2[c * R + r] += dg[c] * h[n * R + r];
    }
    const da = new Float32Array(R);
    for (let r = 0; r < R; r++) {
      let dh = 0;
      for (let c = 0; c < C; c++) dh += dg[c] * p.w2[c * R + r];
      da[r] = a[n * R + r] > 0 ? dh : 0;
      db1[r] += da[r];
      for (let c = 0; c < C; c++) dw1[r * C + c] += da[r] * z[n * C + c];
    }
    for (let c = 0; c < C; c++) {
      let dz = 0;
      for (let r = 0; r < R; r++) dz += da[r] * p.w1[r * C + c];
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < W; j++) {
          const idx = ((n * C + c) * H + i) * W + j;
          dx[idx] = s[n * C + c] * dy[idx] + dz / (H * W);
        }
      }
    }
  }
  return { dx, dw1, db1, dw2, db2 };
}

/** Keeps results reachable. */
export let sink = /** @type {unknown} */ (null);

/** @type {import('./types.mjs').System[]} */
export const systems = [
  {
    id: 'naive/fwd',
    family: 'naive JS',
    pass: 'fwd',
    tol: 1e-5,
    setup(c) {
      return {
        run: () => {
          sink = naiveSEForward(c.x, c.shape, c.params).y;
        },
        outputs: () => ({ y: naiveSEForward(c.x, c.shape, c.params).y }),
      };
    },
  },
  {
    id: 'naive/fb',
    family: 'naive JS',
    pass: 'fb',
    tol: 1e-5,
    setup(c) {
      const once = () => {
        const f = naiveSEForward(c.x, c.shape, c.params);
        return { y: f.y, ...naiveSEBackward(c.dy, f.cache) };
      };
      return {
        run: () => {
          sink = once();
        },
        outputs: once,
      };
    },
  },
];
