// Run from a fresh project that installed the packed tarball: all three entries through `require`.
// Prints `ok NAME` / `FAIL NAME -- detail` lines (counted by scripts/pack-test.mjs).
'use strict';
let bad = 0;
const check = (name, ok, detail = '') => {
  if (!ok) bad++;
  console.log(`${ok ? 'ok' : 'FAIL'} cjs: ${name}${ok || !detail ? '' : ` -- ${detail}`}`);
};
const loadedNdarray = () => Object.keys(require.cache).some((p) => /[\\/]node_modules[\\/]ndarray[\\/]/.test(p));

const core = require('se-kernels/core');
check('se-kernels/core loads the CommonJS build', require.resolve('se-kernels/core').includes('/dist/cjs/'));
check('se-kernels/core does not load scijs ndarray', !loadedNdarray());
const testing = require('se-kernels/testing');
const main = require('se-kernels');
check('se-kernels loads scijs ndarray', loadedNdarray());
check('se-kernels/package.json is exported', require('se-kernels/package.json').name === 'se-kernels');

const shape = [3, 5, 7];
const x = new Float32Array(105).map((_, i) => Math.sin(i * 1.3) * 1.5);
const dy = new Float32Array(105).map((_, i) => Math.cos(i * 0.9));
const params = main.createSEParams({ channels: 7, hidden: 2, seed: 9 });
const options = { layout: 'channels-last', squeeze: 'max', gate: 'hardSigmoid' };
const m = main.seForward({ data: x, shape }, params, options);
const g = main.seBackward({ data: dy, shape }, m.cache);
check('main entry: y is a scijs ndarray', typeof m.y.get === 'function' && m.y.shape.join() === shape.join());
const c = core.seForward({ data: x, shape }, params, options);
check('core entry: y is a plain tensor equal to main', typeof c.y.get !== 'function' && c.y.data.every((v, i) => Object.is(v, m.y.data[i])));
const o = testing.refOptions(options);
const ref = testing.seReference(x, shape, testing.params64(params), o);
const num = testing.seReferenceGradients(x, shape, params, o, Float64Array.from(dy));
const errs = {
  y: testing.relativeError(m.y.data, ref.y),
  dx: testing.relativeError(g.dx.data, num.dx),
  dw1: testing.relativeError(g.dw1.data, num.dw1),
  dw2: testing.relativeError(g.dw2.data, num.dw2),
};
check('testing entry: results match the float64 reference and central differences (<= 2e-5)', Math.max(...Object.values(errs)) <= 2e-5, JSON.stringify(errs));
const gc = testing.gradCheck(([v]) => main.squeezeExcitation(v, main.seParamVariables(v.tape, params), options), [{ data: x, shape }], {
  reference: ([xv]) => testing.seReference(xv, shape, testing.params64(params), o).y,
});
check('testing entry: gradCheck of the tape SE block passes', gc.ok, gc.message);
check('typed errors exported', typeof main.SEShapeError === 'function' && main.SEError === core.SEError);
process.exitCode = bad === 0 ? 0 : 1;
