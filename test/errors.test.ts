/**
 * Bad input at the public boundary: a typed error (exported class) whose message names the
 * function, the argument, expected vs received; thrown before any output is produced.
 */
import * as main from '../src/index.js';
import * as core from '../src/core.js';
import {
  SEError,
  SEOptionError,
  SEShapeError,
  SEStateError,
  SETypeError,
  createSEParams,
  seBackward,
  seForward,
  type FloatTensor,
  type SEParams,
} from '../src/core.js';

const params = (): SEParams => createSEParams({ channels: 4, hidden: 2, seed: 1 });
const x = (shape = [2, 4, 3], n = shape.reduce((a, b) => a * b, 1)): FloatTensor => ({ data: new Float32Array(n), shape });

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('error classes', () => {
  test('all derive from SEError and are exported from both entries', () => {
    for (const C of [SEShapeError, SETypeError, SEOptionError, SEStateError]) {
      expect(new C('m')).toBeInstanceOf(SEError);
      expect(new C('m')).toBeInstanceOf(Error);
    }
    expect(main.SEShapeError).toBe(core.SEShapeError);
    expect(new SEShapeError('m').name).toBe('SEShapeError');
  });
});

describe('seForward', () => {
  test.each<[string, () => unknown, typeof SEError, RegExp]>([
    ['channel mismatch', () => seForward(x([2, 63, 3]), createSEParams({ channels: 64 })), SEShapeError, /^seForward: x\.shape\[1\] is 63 but params\.channels is 64/],
    ['channels-last channel mismatch', () => seForward(x([2, 3, 5]), params(), { layout: 'channels-last' }), SEShapeError, /x\.shape\[2\] is 5 but params\.channels is 4/],
    ['rank 2', () => seForward(x([2, 4]), params()), SEShapeError, /seForward: x must have rank 3 to 5 but has shape \[2, 4\]/],
    ['rank 6', () => seForward(x([1, 4, 1, 1, 1, 2]), params()), SEShapeError, /rank 3 to 5/],
    ['zero dim', () => seForward(x([2, 4, 0], 0), params()), SEShapeError, /x\.shape\[2\] must be a positive integer but is 0/],
    ['negative dim', () => seForward(x([2, 4, -3], 8), params()), SEShapeError, /x\.shape\[2\] must be a positive integer but is -3/],
    ['non-integer dim', () => seForward(x([2, 4, 1.5], 12), params()), SEShapeError, /x\.shape\[2\] must be a positive integer but is 1\.5/],
    ['NaN dim', () => seForward(x([2, 4, NaN], 8), params()), SEShapeError, /x\.shape\[2\] must be a positive integer but is NaN/],
    ['data too short', () => seForward(x([2, 4, 3], 23), params()), SEShapeError, /addresses data\[0\.\.23\] but x\.data has length 23/],
    ['stride reaching outside', () => seForward({ data: new Float32Array(24), shape: [2, 4, 3], stride: [12, 3, 2] }, params()), SEShapeError, /addresses data\[0\.\.25\]/],
    ['negative stride before the start', () => seForward({ data: new Float32Array(24), shape: [2, 4, 3], stride: [12, 3, -1] }, params()), SEShapeError, /addresses data\[-2\.\.21\]/],
    ['offset too large', () => seForward({ data: new Float32Array(24), shape: [2, 4, 3], offset: 1 }, params()), SEShapeError, /offset 1 addresses data\[1\.\.24\]/],
    ['stride of the wrong rank', () => seForward({ data: new Float32Array(24), shape: [2, 4, 3], stride: [12, 3] }, params()), SEShapeError, /x\.stride must be an array of 3 integers/],
    ['Float64Array', () => seForward({ data: new Float64Array(24) as unknown as Float32Array, shape: [2, 4, 3] }, params()), SETypeError, /x\.data must be a Float32Array but got a Float64Array\(24\)/],
    ['plain array', () => seForward({ data: [1, 2] as unknown as Float32Array, shape: [2, 4, 3] }, params()), SETypeError, /x\.data must be a Float32Array but got \[1, 2\]/],
    ['missing x', () => seForward(undefined as unknown as FloatTensor, params()), SETypeError, /seForward: x must be a tensor/],
    ['unknown squeeze', () => seForward(x(), params(), { squeeze: 'mean' as 'avg' }), SEOptionError, /options\.squeeze must be one of 'avg', 'max', 'avgmax' but is "mean"/],
    ['unknown gate', () => seForward(x(), params(), { gate: 'softmax' as 'sigmoid' }), SEOptionError, /options\.gate must be one of/],
    ['unknown option key', () => seForward(x(), params(), { sqeeze: 'max' } as unknown as main.SEOptions), SEOptionError, /unknown option 'sqeeze'/],
    ['w1 wrong size', () => seForward(x(), { ...params(), w1: new Float32Array(7) }), SEShapeError, /params\.w1 has length 7 but \[hidden, channels\] = \[2, 4\] needs 8/],
    ['b2 wrong size', () => seForward(x(), { ...params(), b2: new Float32Array(3) }), SEShapeError, /params\.b2 has length 3 but \[channels\] = \[4\] needs 4/],
    ['w2 Float64Array', () => seForward(x(), { ...params(), w2: new Float64Array(8) as unknown as Float32Array }), SETypeError, /params\.w2 must be a Float32Array but got a Float64Array\(8\)/],
    ['hidden not an integer', () => seForward(x(), { ...params(), hidden: 2.5 }), SEShapeError, /params\.hidden must be a positive integer but is 2\.5/],
    ['missing params', () => seForward(x(), undefined as unknown as SEParams), SETypeError, /seForward: params must be SEParams/],
  ])('%s', (_name, call, cls, message) => {
    const e = thrown(call);
    expect(e).toBeInstanceOf(cls);
    expect(e.message).toMatch(message);
  });
});

describe('seBackward', () => {
  const { cache } = seForward(x(), params());
  test.each<[string, () => unknown, typeof SEError, RegExp]>([
    ['dy shape differs', () => seBackward(x([2, 4, 4]), cache), SEShapeError, /^seBackward: dy has shape \[2, 4, 4\] but x had shape \[2, 4, 3\]/],
    ['dy Float64Array', () => seBackward({ data: new Float64Array(24) as unknown as Float32Array, shape: [2, 4, 3] }, cache), SETypeError, /dy\.data must be a Float32Array/],
    ['not a cache', () => seBackward(x(), {} as main.SECache), SETypeError, /seBackward: cache must be the cache returned by seForward but got an object/],
  ])('%s', (_name, call, cls, message) => {
    const e = thrown(call);
    expect(e).toBeInstanceOf(cls);
    expect(e.message).toMatch(message);
  });
});

describe('createSEParams and makeDivisible', () => {
  test.each<[string, () => unknown, typeof SEError, RegExp]>([
    ['no channels', () => createSEParams({} as { channels: number }), SEOptionError, /createSEParams: channels must be a positive integer but is undefined/],
    ['zero channels', () => createSEParams({ channels: 0 }), SEOptionError, /channels must be a positive integer but is 0/],
    ['hidden and reduction', () => createSEParams({ channels: 8, hidden: 2, reduction: 4 }), SEOptionError, /either hidden or reduction/],
    ['bad reduction', () => createSEParams({ channels: 8, reduction: -1 }), SEOptionError, /reduction must be a finite positive number but is -1/],
    ['bad init', () => createSEParams({ channels: 8, init: 'xavier' as 'zeros' }), SEOptionError, /init must be one of/],
    ['std without normal', () => createSEParams({ channels: 8, std: 0.1 }), SEOptionError, /std applies only to init 'normal'/],
    ['unknown key', () => createSEParams({ channels: 8, ratio: 4 } as unknown as { channels: number }), SEOptionError, /unknown option 'ratio'/],
    ['not an object', () => createSEParams(64 as unknown as { channels: number }), SETypeError, /createSEParams: options must be an object/],
    ['makeDivisible divisor 0', () => main.makeDivisible(10, 0), SEOptionError, /makeDivisible: divisor must be a positive integer but is 0/],
  ])('%s', (_name, call, cls, message) => {
    const e = thrown(call);
    expect(e).toBeInstanceOf(cls);
    expect(e.message).toMatch(message);
  });
});
