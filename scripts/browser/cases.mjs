// Shared by the browser pages and by Node (scripts/browser-test.mjs): the SE cases, their
// deterministic inputs, and one run of seForward/seBackward, SEBlock forward/backward, a float64
// gradient check and a tape gradCheck.
// Plain JavaScript with no imports: the pages load it as-is next to the library bundles, Node
// imports it directly, so both sides build bit-identical inputs from the same code.

/** The variants run in the page and in Node. `view` makes x and dy strided (transposed) views. */
export const CASES = [
  { name: 'default (channels-first, avg, relu, sigmoid)', shape: [2, 8, 4, 5], hidden: 2, bias: true, options: {} },
  {
    name: 'channels-last, max, silu, hardSigmoid',
    shape: [2, 3, 4, 6],
    hidden: 3,
    bias: true,
    options: { layout: 'channels-last', squeeze: 'max', activation: 'silu', gate: 'hardSigmoid' },
  },
  {
    name: 'avgmax, gelu, tanh, rank-1 spatial, no bias, transposed view',
    shape: [3, 5, 7],
    hidden: 4,
    bias: false,
    options: { squeeze: 'avgmax', activation: 'gelu', gate: 'tanh' },
    view: true,
  },
  {
    name: 'channels-last, avg, silu, sigmoid, rank-3 spatial',
    shape: [1, 2, 3, 2, 6],
    hidden: 2,
    bias: true,
    options: { layout: 'channels-last', activation: 'silu' },
  },
];

/** Gradient-check tolerance: max abs error / max abs value against float64 central differences. */
export const GRAD_TOL = 2e-5;

/** A 32-bit LCG (exact integer arithmetic, so identical on every engine) giving uniforms in [lo, hi). */
function lcg(seed) {
  let state = seed >>> 0;
  return (lo, hi) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return lo + (hi - lo) * (state / 4294967296);
  };
}

function fill(n, rand, lo, hi) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rand(lo, hi);
  return a;
}

function size(shape) {
  return shape.reduce((p, d) => p * d, 1);
}

/** Row-major strides of a shape. */
function rowMajor(shape) {
  const stride = new Array(shape.length);
  let s = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    stride[k] = s;
    s *= shape[k];
  }
  return stride;
}

/**
 * A view of `dense` (row-major `shape`) stored transposed: the buffer holds the axes in reverse
 * order, so the view's strides are the reversed row-major strides of the reversed shape.
 */
function transposedView(dense, shape) {
  const rev = [...shape].reverse();
  const revStride = rowMajor(rev);
  const stride = [...revStride].reverse();
  const data = new Float32Array(dense.length);
  const rm = rowMajor(shape);
  for (let i = 0; i < dense.length; i++) {
    let at = 0;
    let r = i;
    for (let k = 0; k < shape.length; k++) {
      const idx = Math.floor(r / rm[k]);
      r -= idx * rm[k];
      at += idx * stride[k];
    }
    data[at] = dense[i];
  }
  return { data, shape: [...shape], stride, offset: 0 };
}

/** Copies any {data, shape, stride, offset} (scijs ndarray or plain tensor) to a dense row-major Float32Array. */
export function dense(t) {
  const shape = t.shape;
  const stride = t.stride ?? rowMajor(shape);
  const out = new Float32Array(size(shape));
  let i = 0;
  const walk = (k, base) => {
    if (k === shape.length) {
      out[i++] = t.data[base];
      return;
    }
    for (let j = 0; j < shape[k]; j++) walk(k + 1, base + j * stride[k]);
  };
  walk(0, t.offset ?? 0);
  return out;
}

/** Base64 of a Float32Array's bytes (btoa exists in browsers and in Node >= 16). */
export function f32ToBase64(a) {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s);
}

/** Hex of a float64's bits, for comparing float64 scalars exactly. */
function f64Hex(v) {
  const b = new Uint8Array(new Float64Array([v]).buffer);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * Runs one case with `lib` (the main entry or `./core`) and checks the gradients with `testing`
 * (`se-kernels/testing`). Returns the outputs (seForward/seBackward's and an SEBlock's) as base64
 * of their float32 bytes (dense row-major), the gradient-check errors, and what kind of object y was.
 */
export function runCase(lib, testing, c, index) {
  const n = size(c.shape);
  const C = c.options.layout === 'channels-last' ? c.shape[c.shape.length - 1] : c.shape[1];
  const rand = lcg(1000 + 7919 * index);
  const params = lib.createSEParams({ channels: C, hidden: c.hidden, bias: c.bias, seed: 17 + index });
  if (params.b1 !== null) for (let i = 0; i < params.b1.length; i++) params.b1[i] = rand(-0.5, 0.5);
  if (params.b2 !== null) for (let i = 0; i < params.b2.length; i++) params.b2[i] = rand(-0.5, 0.5);
  const xDense = fill(n, rand, -2, 2);
  const dyDense = fill(n, rand, -1, 1);
  const x = c.view ? transposedView(xDense, c.shape) : { data: xDense, shape: c.shape };
  const dy = c.view ? transposedView(dyDense, c.shape) : { data: dyDense, shape: c.shape };

  const { y, cache } = lib.seForward(x, params, c.options);
  const g = lib.seBackward(dy, cache);
  const out = {
    y: dense(y),
    dx: dense(g.dx),
    dw1: dense(g.dw1),
    db1: g.db1 === null ? null : dense(g.db1),
    dw2: dense(g.dw2),
    db2: g.db2 === null ? null : dense(g.db2),
  };

  // The same block as a module: SEBlock.fromParams, then forward + backward twice (backward ADDS
  // the weight gradients into block.grads, so they end up as two backward passes' sum).
  const block = lib.SEBlock.fromParams(params, c.options);
  let yb = null;
  let dxb = null;
  for (let k = 0; k < 2; k++) {
    yb = block.forward(x);
    dxb = block.backward(dy);
  }
  out.blockY = dense(yb);
  out.blockDx = dense(dxb);
  out.blockGradW1 = Float32Array.from(block.grads.w1);
  out.blockGradB1 = block.grads.b1 === null ? null : Float32Array.from(block.grads.b1);
  out.blockGradW2 = Float32Array.from(block.grads.w2);
  out.blockGradB2 = block.grads.b2 === null ? null : Float32Array.from(block.grads.b2);

  // Gradient check: loss = sum(y * dy) in float64; its central differences are the gradients.
  const o = testing.refOptions(c.options);
  const ref = testing.seReference(xDense, c.shape, testing.params64(params), o);
  const num = testing.seReferenceGradients(xDense, c.shape, params, o, Float64Array.from(dyDense));
  const gradErrors = {
    y: testing.relativeError(out.y, ref.y),
    dx: testing.relativeError(out.dx, num.dx),
    dw1: testing.relativeError(out.dw1, num.dw1),
    db1: out.db1 === null ? 0 : testing.relativeError(out.db1, num.db1),
    dw2: testing.relativeError(out.dw2, num.dw2),
    db2: out.db2 === null ? 0 : testing.relativeError(out.db2, num.db2),
  };
  // The same block on the autograd tape, checked by `gradCheck` against the float64 reference
  // (gradients of x, through squeezeExcitation and the tape ops).
  const p64 = testing.params64(params);
  const tapeCheck = testing.gradCheck(
    ([v]) => lib.squeezeExcitation(v, lib.seParamVariables(v.tape, params), c.options),
    [{ data: xDense, shape: c.shape }],
    { reference: ([xv]) => testing.seReference(xv, c.shape, p64, o).y, names: ['x'] },
  );
  const arrays = {};
  for (const [k, v] of Object.entries(out)) arrays[k] = v === null ? null : f32ToBase64(v);
  const errorBits = {};
  for (const [k, v] of Object.entries(gradErrors)) errorBits[k] = f64Hex(v);
  return {
    name: c.name,
    arrays,
    gradErrors,
    errorBits,
    kinkMargin: testing.kinkMargin(ref, o),
    tieMargin: testing.tieMargin(ref, o),
    tapeCheck: { ok: tapeCheck.ok, maxError: tapeCheck.maxError, message: tapeCheck.message },
    yKind: kindOf(y),
    blockYKind: kindOf(yb),
  };
}

/** 'ndarray' for a scijs ndarray, 'plain' otherwise. */
function kindOf(t) {
  return typeof t.get === 'function' && typeof t.pick === 'function' ? 'ndarray' : 'plain';
}

/** Runs every case, catching errors per case so one failure does not hide the others. */
export function runAll(lib, testing) {
  return CASES.map((c, i) => {
    try {
      return runCase(lib, testing, c, i);
    } catch (e) {
      return { name: c.name, error: String((e && e.stack) || e) };
    }
  });
}
