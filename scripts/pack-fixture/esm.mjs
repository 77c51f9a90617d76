// Run from a fresh project that installed the packed tarball: all three entries through `import`.
// Prints `ok NAME` / `FAIL NAME -- detail` lines (counted by scripts/pack-test.mjs).
import * as main from 'se-kernels';
import * as core from 'se-kernels/core';
import * as testing from 'se-kernels/testing';

let bad = 0;
const check = (name, ok, detail = '') => {
  if (!ok) bad++;
  console.log(`${ok ? 'ok' : 'FAIL'} esm: ${name}${ok || !detail ? '' : ` -- ${detail}`}`);
};

const shape = [2, 6, 3, 4];
const x = new Float32Array(144).map((_, i) => Math.sin(i * 0.7) * 2);
const dy = new Float32Array(144).map((_, i) => Math.cos(i * 0.3));
const params = main.createSEParams({ channels: 6, hidden: 3, seed: 5 });
const options = { squeeze: 'avgmax', activation: 'silu' };

const m = main.seForward({ data: x, shape }, params, options);
const mg = main.seBackward({ data: dy, shape }, m.cache);
check('main entry: y is a scijs ndarray', typeof m.y.get === 'function' && typeof m.y.pick === 'function' && m.y.shape.join() === shape.join());
const c = core.seForward({ data: x, shape }, params, options);
const cg = core.seBackward({ data: dy, shape }, c.cache);
check('core entry: y is a plain tensor', typeof c.y.get !== 'function' && c.y.data instanceof Float32Array);
check('main and core give identical y and dx', Buffer.compare(Buffer.from(m.y.data.buffer), Buffer.from(c.y.data.buffer)) === 0 && Buffer.compare(Buffer.from(mg.dx.data.buffer), Buffer.from(cg.dx.data.buffer)) === 0);

const o = testing.refOptions(options);
const ref = testing.seReference(x, shape, testing.params64(params), o);
const num = testing.seReferenceGradients(x, shape, params, o, Float64Array.from(dy));
const errs = {
  y: testing.relativeError(c.y.data, ref.y),
  dx: testing.relativeError(cg.dx.data, num.dx),
  dw1: testing.relativeError(cg.dw1.data, num.dw1),
  dw2: testing.relativeError(cg.dw2.data, num.dw2),
  db1: testing.relativeError(cg.db1.data, num.db1),
  db2: testing.relativeError(cg.db2.data, num.db2),
};
const worst = Math.max(...Object.values(errs));
check('testing entry: results match the float64 reference and central differences (<= 2e-5)', worst <= 2e-5, JSON.stringify(errs));

let caught;
try {
  main.seForward({ data: x, shape: [2, 5, 3, 4] }, params);
} catch (e) {
  caught = e;
}
check('typed errors: SEShapeError is an SEError', caught instanceof main.SEShapeError && caught instanceof main.SEError && main.SEError === core.SEError, String(caught));
const gc = testing.gradCheck(
  ([v]) => main.squeezeExcitation(v, main.seParamVariables(v.tape, params), options),
  [{ data: x, shape }],
  { reference: ([xv]) => testing.seReference(xv, shape, testing.params64(params), o).y },
);
check('testing entry: gradCheck of the tape SE block passes', gc.ok, gc.message);
const fc = await import('fast-check');
const [sample] = fc.sample(testing.seCaseArbitrary({ maxChannels: 4 }), { numRuns: 1, seed: 3 });
const sy = core.seForward(sample.x, sample.params, sample.options).y;
check('testing entry: seCaseArbitrary draws a case seForward accepts', sy.shape.join() === sample.x.shape.join());
const tape = new main.Tape();
check('tape and kernels exported', typeof tape.variable === 'function' && typeof main.kernels.matmul === 'function' && typeof core.squeezeExcitation === 'function');
process.exitCode = bad === 0 ? 0 : 1;
