// @ts-check
/**
 * A naive SE block in JS, the way someone writes it quickly from the formulas: nested
 * (n, c, h, w) loops with the full index computed each time, every array allocated per call,
 * Math.exp sigmoid (or the hardSigmoid clamp), nothing unrolled or fused. On a workload, one call
 * runs every block (forward), or every forward then every backward in reverse order.
 */

/**
 * @param {Float32Array} x
 * @param {number[]} shape [N, C, H, W]
 * @param {import('../lib/cases.mjs').SEParams} p
 * @param {'sigmoid' | 'hardSigmoid'} gate
 */
export function naiveSEForward(x, shape, p, gate) {
  const [N, C, H, W] = shape;
  const R = p.hidden;
  const y = new Float32Array(N * C * H * W);
  const z = new Float32Array(N * C);
  const a = new Float32Array(N * R);
  const h = new Float32Array(N * R);
  const g = new Float32Array(N * C);
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
      g[n * C + c] = acc;
      s[n * C + c] = gate === 'hardSigmoid' ? Math.min(1, Math.max(0, (acc + 3) / 6)) : 1 / (1 + Math.exp(-acc));
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
  return { y, cache: { x, shape, p, gate, z, a, h, g, s } };
}

/**
 * @param {Float32Array} dy
 * @param {ReturnType<typeof naiveSEForward>['cache']} cache
 */
export function naiveSEBackward(dy, cache) {
  const { x, shape, p, gate, z, a, h, g, s } = cache;
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
      const gc = g[n * C + c];
      dg[c] = gate === 'hardSigmoid' ? (gc > -3 && gc < 3 ? ds / 6 : 0) : ds * sc * (1 - sc);
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

/**
 * @param {import('./types.mjs').Pass} pass
 * @returns {import('./types.mjs').System}
 */
function naiveSystem(pass) {
  return {
    id: `naive/${pass}`,
    family: 'naive JS',
    pass,
    tol: 1e-5,
    setup(c) {
      const once = () => {
        const fwd = c.blocks.map((b) => naiveSEForward(b.x, b.shape, b.params, c.gate));
        if (pass === 'fwd') return fwd.map((f) => ({ y: f.y }));
        /** @type {ReturnType<typeof naiveSEBackward>[]} */
        const grads = [];
        for (let i = c.blocks.length - 1; i >= 0; i--) grads[i] = naiveSEBackward(c.blocks[i].dy, fwd[i].cache);
        return fwd.map((f, i) => ({ y: f.y, ...grads[i] }));
      };
      return {
        run: () => {
          sink = once();
        },
        outputs: once,
      };
    },
  };
}

/** @type {import('./types.mjs').System[]} */
export const systems = [naiveSystem('fwd'), naiveSystem('fb')];
