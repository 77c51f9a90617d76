// @ts-check
/**
 * The JS floor: the fastest plain JS loops that make the same passes over the data as an SE block,
 * and nothing else. Per sample (so the sample's slice is still in cache for its second pass):
 *   forward:  one sum pass over x (z = mean), one scale pass y = s * x;
 *   backward: one dot pass ds = sum dy * x, one axpy pass dx = s * dy + shift.
 * The per-channel scale s and shift (dz / S) are taken from the reference instead of being
 * computed (that is the SE math the floor leaves out: two [N,C]x[C,R]-sized products), so the
 * floor's y and dx are the block's real outputs and are checked like every other system's.
 *
 * Each pass is a small function called per sample, its loop unrolled by 8, reductions with 4
 * independent accumulators: the fastest of the variants tried on this machine (1/4/8/16-way
 * unrolling, one or four accumulators, one function for all passes or one per pass; measured
 * alternately, p10 and median). Outputs go to buffers allocated once ('JS floor'); the diagnostic
 * 'floor+alloc' allocates them per call, as the SPEC API does.
 */

/**
 * Sum pass over one sample's C rows of S values starting at x[off]: z[zo + c] = mean of row c.
 * @param {Float32Array} x @param {Float32Array} z @param {number} zo @param {number} off
 * @param {number} C @param {number} S
 */
export function sumPass(x, z, zo, off, C, S) {
  const inv = 1 / S;
  for (let c = 0; c < C; c++) {
    const p = off + c * S;
    const e = p + S;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    let i = p;
    for (; i + 7 < e; i += 8) {
      a0 += x[i] + x[i + 4];
      a1 += x[i + 1] + x[i + 5];
      a2 += x[i + 2] + x[i + 6];
      a3 += x[i + 3] + x[i + 7];
    }
    for (; i < e; i++) a0 += x[i];
    z[zo + c] = (a0 + a1 + a2 + a3) * inv;
  }
}

/**
 * Scale pass over one sample: y[row c] = k[ko + c] * x[row c].
 * @param {Float32Array} x @param {Float32Array} y @param {Float32Array} k
 * @param {number} ko @param {number} off @param {number} C @param {number} S
 */
export function scalePass(x, y, k, ko, off, C, S) {
  for (let c = 0; c < C; c++) {
    const m = k[ko + c];
    const p = off + c * S;
    const e = p + S;
    let i = p;
    for (; i + 7 < e; i += 8) {
      y[i] = m * x[i];
      y[i + 1] = m * x[i + 1];
      y[i + 2] = m * x[i + 2];
      y[i + 3] = m * x[i + 3];
      y[i + 4] = m * x[i + 4];
      y[i + 5] = m * x[i + 5];
      y[i + 6] = m * x[i + 6];
      y[i + 7] = m * x[i + 7];
    }
    for (; i < e; i++) y[i] = m * x[i];
  }
}

/**
 * Axpy pass over one sample: y[row c] = k[ko + c] * x[row c] + b[ko + c].
 * @param {Float32Array} x @param {Float32Array} y @param {Float32Array} k @param {Float32Array} b
 * @param {number} ko @param {number} off @param {number} C @param {number} S
 */
export function axpyPass(x, y, k, b, ko, off, C, S) {
  for (let c = 0; c < C; c++) {
    const m = k[ko + c];
    const a = b[ko + c];
    const p = off + c * S;
    const e = p + S;
    let i = p;
    for (; i + 7 < e; i += 8) {
      y[i] = m * x[i] + a;
      y[i + 1] = m * x[i + 1] + a;
      y[i + 2] = m * x[i + 2] + a;
      y[i + 3] = m * x[i + 3] + a;
      y[i + 4] = m * x[i + 4] + a;
      y[i + 5] = m * x[i + 5] + a;
      y[i + 6] = m * x[i + 6] + a;
      y[i + 7] = m * x[i + 7] + a;
    }
    for (; i < e; i++) y[i] = m * x[i] + a;
  }
}

/**
 * Dot pass over one sample: d[dO + c] = sum over row c of u * v.
 * @param {Float32Array} u @param {Float32Array} v @param {Float32Array} d @param {number} dO
 * @param {number} off @param {number} C @param {number} S
 */
export function dotPass(u, v, d, dO, off, C, S) {
  for (let c = 0; c < C; c++) {
    const p = off + c * S;
    const e = p + S;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    let i = p;
    for (; i + 7 < e; i += 8) {
      a0 += u[i] * v[i] + u[i + 4] * v[i + 4];
      a1 += u[i + 1] * v[i + 1] + u[i + 5] * v[i + 5];
      a2 += u[i + 2] * v[i + 2] + u[i + 6] * v[i + 6];
      a3 += u[i + 3] * v[i + 3] + u[i + 7] * v[i + 7];
    }
    for (; i < e; i++) a0 += u[i] * v[i];
    d[dO + c] = a0 + a1 + a2 + a3;
  }
}

/**
 * Forward passes, per sample: sum (z = mean, kept but unused), then y = s * x.
 * @param {Float32Array} x @param {Float32Array} y @param {Float32Array} z @param {Float32Array} s
 * @param {number} N @param {number} C @param {number} S
 */
export function floorForward(x, y, z, s, N, C, S) {
  for (let n = 0; n < N; n++) {
    sumPass(x, z, n * C, n * C * S, C, S);
    scalePass(x, y, s, n * C, n * C * S, C, S);
  }
}

/**
 * Backward passes, per sample: ds = sum dy * x, then dx = s * dy + shift.
 * @param {Float32Array} x @param {Float32Array} dy @param {Float32Array} dx @param {Float32Array} ds
 * @param {Float32Array} s @param {Float32Array} shift
 * @param {number} N @param {number} C @param {number} S
 */
export function floorBackward(x, dy, dx, ds, s, shift, N, C, S) {
  for (let n = 0; n < N; n++) {
    dotPass(dy, x, ds, n * C, n * C * S, C, S);
    axpyPass(dy, dx, s, shift, n * C, n * C * S, C, S);
  }
}

/** Keeps results reachable. */
export let sink = /** @type {unknown} */ (null);

/**
 * @param {import('./types.mjs').Pass} pass
 * @param {boolean} alloc allocate the outputs per call
 * @returns {import('./types.mjs').System}
 */
function floorSystem(pass, alloc) {
  return {
    id: `${alloc ? 'floor+alloc' : 'floor'}/${pass}`,
    family: alloc ? 'floor+alloc' : 'JS floor',
    pass,
    tol: 1e-5,
    diagnostic: alloc,
    setup(c, ref) {
      const { N, C, S, x, dy } = c;
      const s = Float32Array.from(ref.s);
      const shift = Float32Array.from(ref.shift);
      const z = new Float32Array(N * C);
      const ds = new Float32Array(N * C);
      const yBuf = new Float32Array(N * C * S);
      const dxBuf = new Float32Array(N * C * S);
      const once = () => {
        const y = alloc ? new Float32Array(N * C * S) : yBuf;
        floorForward(x, y, z, s, N, C, S);
        if (pass === 'fwd') return { y };
        const dx = alloc ? new Float32Array(N * C * S) : dxBuf;
        floorBackward(x, dy, dx, ds, s, shift, N, C, S);
        return { y, dx };
      };
      return {
        run: () => {
          sink = once();
        },
        outputs: () => {
          const o = once();
          // z and ds too: they are what the sum and dot passes produce.
          return o.dx
            ? { y: o.y.slice(), z: z.slice(), dx: o.dx.slice(), ds: ds.slice() }
            : { y: o.y.slice(), z: z.slice() };
        },
      };
    },
  };
}

/** @type {import('./types.mjs').System[]} */
export const systems = [floorSystem('fwd', false), floorSystem('fb', false), floorSystem('fwd', true), floorSystem('fb', true)];
