// A strict TypeScript (NodeNext) consumer compiled as CommonJS (.cts -> .cjs, `require` at run
// time): the "require" condition's types and code.
import { createSEParams, seBackward, seForward, type NdArray, type SEForwardNdResult } from 'se-kernels';
import { seForward as coreForward, type PlainTensor } from 'se-kernels/core';
import { relativeError } from 'se-kernels/testing';

const shape = [1, 3, 2, 2];
const x = { data: new Float32Array(12).map((_, i) => i / 6 - 1), shape };
const params = createSEParams({ channels: 3, hidden: 1, seed: 2 });
const r: SEForwardNdResult = seForward(x, params);
const y: NdArray<Float32Array> = r.y;
const dx = seBackward(x, r.cache).dx;
const yc: PlainTensor = coreForward(x, params).y;
const ok = relativeError(y.data, yc.data) === 0 && dx.shape.length === 4;
console.log(`${ok ? 'ok' : 'FAIL'} ts-cjs: require() of se-kernels, se-kernels/core, se-kernels/testing with types`);
if (!ok) throw new Error('ts-cjs check failed');
