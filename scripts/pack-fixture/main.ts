// A strict TypeScript (NodeNext, ESM) consumer of the packed tarball: imports all three entries,
// uses their types, and runs. `// @ts-expect-error` lines prove the types are not `any`.
import { createSEParams, seBackward, seForward, SEError, Tape, type NdArray, type SEBackwardNdResult, type SEForwardNdResult, type SEOptions, type SEParams } from 'se-kernels';
import * as core from 'se-kernels/core';
import type { FloatTensor, PlainTensor, SEBackwardResult, SEForwardResult } from 'se-kernels/core';
import { seParamVariables, squeezeExcitation, type Variable } from 'se-kernels';
import { gradCheck, params64, refOptions, relativeError, seCaseArbitrary, seReference, seReferenceGradients, type GradCheckResult, type SECaseSample } from 'se-kernels/testing';
import * as fc from 'fast-check';

let bad = 0;
function check(name: string, ok: boolean, detail = ''): void {
  if (!ok) bad++;
  console.log(`${ok ? 'ok' : 'FAIL'} ts-esm: ${name}${ok || !detail ? '' : ` -- ${detail}`}`);
}

const shape = [2, 4, 5];
const x: FloatTensor = { data: new Float32Array(40).map((_, i) => Math.sin(i)), shape };
const dy: FloatTensor = { data: new Float32Array(40).map((_, i) => Math.cos(i)), shape };
const params: SEParams = createSEParams({ channels: 4, hidden: 2, seed: 1 });
const options: SEOptions = { squeeze: 'max', activation: 'gelu', gate: 'tanh' };

const r: SEForwardNdResult = seForward(x, params, options);
const y: NdArray<Float32Array> = r.y;
const g: SEBackwardNdResult = seBackward(dy, r.cache);
const db1: NdArray<Float32Array> | null = g.db1;
const first: number = y.get(0, 0, 0);
check('main entry types: NdArray results', y.shape.length === 3 && Number.isFinite(first) && db1 !== null);

const rc: SEForwardResult = core.seForward(x, params, options);
const yc: PlainTensor = rc.y;
const gc: SEBackwardResult = core.seBackward(dy, rc.cache);
check('core entry types: PlainTensor results', yc.stride.length === 3 && gc.dw1.shape.join() === '2,4');

// @ts-expect-error unknown squeeze mode
const badOptions: SEOptions = { squeeze: 'mean' };
void badOptions;
// @ts-expect-error core results are plain tensors, not scijs ndarrays
const notNd: NdArray<Float32Array> = rc.y;
void notNd;

const o = refOptions(options);
const ref = seReference(x.data, shape, params64(params), o);
const num = seReferenceGradients(x.data, shape, params, o, Float64Array.from(dy.data));
const err = Math.max(relativeError(yc.data, ref.y), relativeError(gc.dx.data, num.dx), relativeError(gc.dw2.data, num.dw2));
check('testing entry types: reference and central differences agree (<= 2e-5)', err <= 2e-5, String(err));

const p64 = params64(params);
const gcr: GradCheckResult = gradCheck(
  ([v]: Variable[]) => squeezeExcitation(v!, seParamVariables(v!.tape, params), options),
  [x],
  { reference: ([xv]) => seReference(xv!, shape, p64, o).y },
);
check('gradCheck types and result', gcr.ok && gcr.inputs.length === 1, gcr.message);
const samples: SECaseSample[] = fc.sample(seCaseArbitrary({ maxChannels: 3 }), { numRuns: 2, seed: 7 });
check('seCaseArbitrary types', samples.length === 2 && samples.every((c) => seForward(c.x, c.params, c.options).y.size === c.x.data.length));

const tape = new Tape();
check('classes exported with types', tape instanceof Tape && new SEError('m') instanceof Error);
if (bad > 0) throw new Error(`${bad} check(s) failed`);
