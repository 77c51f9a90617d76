/**
 * Zero allocation in steady state: with an SEWorkspace (with or without caller-owned output
 * buffers), repeated seForward + seBackward calls on the same shapes trigger no garbage collection.
 * Counted in a plain Node process on the built package (test/fixtures/count-gcs.mjs) with a
 * PerformanceObserver on 'gc' entries, the young generation held to 1 MB
 * (`--max-semi-space-size=1`): 500,000 calls that allocated even 8 bytes each (4 MB) would collect
 * several times; at most two collections (one-offs, seen independently of the number of calls:
 * 0 or 1 here) are allowed. The same count without a workspace shows thousands.
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import * as core from '../src/core.js';
import type { FloatTensor, SEOptions, SEParams } from '../src/core.js';
import { requireBuild } from './build.js';

const ROOT = resolve(__dirname, '..');

function countGcs(scenario: string, calls: number): number {
  const args = ['--max-semi-space-size=1', join(ROOT, 'test/fixtures/count-gcs.mjs'), scenario, String(calls)];
  const out = execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  return (JSON.parse(out) as { gcs: number }).gcs;
}

function setup(shape: number[], options: SEOptions, bias: boolean) {
  const C = options.layout === 'channels-last' ? shape[shape.length - 1] : shape[1];
  const params: SEParams = core.createSEParams({ channels: C, hidden: 4, bias, seed: 2 });
  const size = shape.reduce((a, b) => a * b, 1);
  const x: FloatTensor = { data: new Float32Array(size).map((_, i) => Math.sin(i * 0.3 + 0.1)), shape };
  const dy: FloatTensor = { data: new Float32Array(size).map((_, i) => Math.cos(i * 0.7)), shape };
  return { params, x, dy, size };
}

describe('steady state allocates nothing with a workspace (built package, 500,000 calls)', () => {
  beforeAll(() => requireBuild());
  test.each([
    ['default', 'the default block, core entry'],
    ['variants', 'channels-last, max squeeze, silu, hardSigmoid, no bias'],
    ['avgmax', 'avgmax squeeze, tanh gate, rank-3 spatial'],
    ['strided', 'transposed x and dy, copied into the workspace'],
    ['main-with-outputs', 'main entry (scijs ndarray results reused) with caller-owned y, dx, dw1, dw2'],
  ])('%s: %s', (scenario) => {
    expect(countGcs(scenario, 500000)).toBeLessThanOrEqual(2);
  });

  test('without a workspace each call allocates its outputs, and the count shows it', () => {
    expect(countGcs('no-workspace', 100000)).toBeGreaterThan(100);
  });
});

describe('workspace results', () => {
  test('equal the allocating call, bit for bit, and are overwritten by the next call', () => {
    const { params, x, dy } = setup([3, 16, 4, 4], {}, true);
    const ref = core.seForward(x, params);
    const refG = core.seBackward(dy, ref.cache);
    const buffers = { workspace: new core.SEWorkspace() };
    const f = core.seForward(x, params, undefined, buffers);
    expect(f.y.data).toEqual(ref.y.data);
    const g = core.seBackward(dy, f.cache, buffers);
    expect(g.dx.data).toEqual(refG.dx.data);
    expect(g.dw1.data).toEqual(refG.dw1.data);
    expect(g.db2!.data).toEqual(refG.db2!.data);
    const y0 = f.y.data[5];
    const x2 = { data: x.data.map((v) => 2 * v), shape: x.shape };
    const f2 = core.seForward(x2, params, undefined, buffers);
    expect(f2).toBe(f); // the workspace's result object, updated in place
    expect(f.y.data[5]).not.toBe(y0);
  });

  test('the workspace follows shape changes', () => {
    const buffers = { workspace: new core.SEWorkspace() };
    for (const shape of [[2, 16, 3, 3], [1, 16, 7], [4, 16, 2, 2, 2]]) {
      const { params, x, dy } = setup(shape, {}, true);
      const ref = core.seBackward(dy, core.seForward(x, params).cache);
      const g = core.seBackward(dy, core.seForward(x, params, undefined, buffers).cache, buffers);
      expect(g.dx.shape).toEqual(shape);
      expect(g.dx.data).toEqual(ref.dx.data);
    }
  });

  test("the workspace's own y fed back as x goes to a fresh buffer, with the right results", () => {
    const { params, x, dy } = setup([2, 16, 3, 3], {}, true);
    const buffers = { workspace: new core.SEWorkspace() };
    const y1 = core.seForward(x, params, undefined, buffers).y.data;
    const y1Copy = y1.slice();
    const expected = core.seForward({ data: y1Copy, shape: x.shape }, params);
    const second = core.seForward({ data: y1, shape: x.shape }, params, undefined, buffers);
    expect(second.y.data).not.toBe(y1); // not written over its own input
    expect(y1).toEqual(y1Copy); // the input is intact
    expect(second.y.data).toEqual(expected.y.data);
    expect(core.seBackward(dy, second.cache, buffers).dx.data).toEqual(core.seBackward(dy, expected.cache).dx.data);
  });

  test('dx may be computed in place over dy', () => {
    const { params, x, dy } = setup([2, 16, 3, 3], {}, true);
    const ref = core.seBackward(dy, core.seForward(x, params).cache);
    const dyCopy = { data: dy.data.slice(), shape: dy.shape };
    const g = core.seBackward(dyCopy, core.seForward(x, params).cache, { dx: dyCopy.data });
    expect(g.dx.data).toBe(dyCopy.data);
    expect(g.dx.data).toEqual(ref.dx.data);
  });

  test('output buffers that overlap inputs or each other are refused before anything is written', () => {
    const { params, x, dy, size } = setup([2, 16, 3, 3], {}, true);
    const { cache } = core.seForward(x, params);
    const snapshot = x.data.slice();
    expect(() => core.seForward(x, params, undefined, { y: x.data })).toThrow(/^seForward: buffers\.y overlaps x\.data/);
    expect(() => core.seBackward(dy, cache, { dx: x.data })).toThrow(core.SEStateError);
    const shared = new Float32Array(4 * 16 * 2);
    expect(() => core.seBackward(dy, cache, { dw1: shared.subarray(0, 64), dw2: shared.subarray(32, 96) })).toThrow(/buffers\.dw2 overlaps buffers\.dw1/);
    expect(() => core.seBackward(dy, cache, { dx: new Float32Array(size - 1) })).toThrow(/buffers\.dx has length/);
    expect(() => core.seBackward(dy, cache, { dw1: params.w1 })).toThrow(/overlaps params\.w1/);
    expect(() => core.seForward(x, params, undefined, { workspace: {} as core.SEWorkspace })).toThrow(/must be an SEWorkspace/);
    const typo = { workspce: new core.SEWorkspace() } as unknown as core.SEForwardBuffers;
    expect(() => core.seForward(x, params, undefined, typo)).toThrow(/^seForward: unknown buffers key 'workspce'; expected y, workspace/);
    expect(() => core.seBackward(dy, cache, { dX: new Float32Array(size) } as unknown as core.SEBackwardBuffers)).toThrow(core.SEOptionError);
    expect(x.data).toEqual(snapshot);
  });
});
