/**
 * `se-kernels/threads` on the built package, in a separate Node process (the entry is ESM-only and
 * starts its workers from its own file): the batch split gives bit-identical y and, through the
 * ordinary seBackward, bit-identical gradients, for shared and copied inputs, every layout and
 * squeeze; typed errors; unref'd workers never keep the process alive.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { requireBuild } from './build.js';
import { LIBRARY_VERSION } from '../src/registry.js';

const ROOT = resolve(__dirname, '..');

interface ThreadsCheck {
  cases: { shape: number[]; threaded: boolean; shared: boolean; copied: boolean; view: boolean; sharedBackward: boolean; copiedBackward: boolean; async: boolean; asyncMessages: boolean }[];
  pool: { threads: number; fallbackReason: string | null; oneThread: { threads: number; fallbackReason: string | null; blocking: boolean } };
  crossCopy: Record<'distinctCopies' | 'cjsWorkspaceInPool' | 'poolCacheInCjsBackward' | 'esmWorkspaceInCjs', boolean> & { otherVersion: string };
  errors: Record<string, string>;
  readmeExample?: boolean;
}

function run(...args: string[]): ThreadsCheck {
  const out = execFileSync(process.execPath, [join(ROOT, 'test/fixtures/threads-check.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60000 });
  return JSON.parse(out) as ThreadsCheck;
}

describe('se-kernels/threads', () => {
  let result: ThreadsCheck;
  beforeAll(() => {
    requireBuild();
    result = run();
  });

  test('split over two threads, forward and backward are bit-identical to seForward and seBackward', () => {
    expect(result.cases.length).toBe(4);
    for (const c of result.cases) {
      const { shape, threaded, shared, copied, view, sharedBackward, copiedBackward } = c;
      expect({ shape, threaded, shared, copied, view, sharedBackward, copiedBackward }).toEqual({
        shape,
        threaded: true,
        shared: true,
        copied: true,
        view: true,
        sharedBackward: true,
        copiedBackward: true,
      });
    }
  });

  test('seForwardAsync / seBackwardAsync give the same bits as seForward / seBackward (x and dy in ordinary and in shared memory)', () => {
    expect(result.cases.map((c) => c.async)).toEqual([true, true, true, true]);
  });

  test('async calls woken by the workers\' messages (engines without Atomics.waitAsync) give the same bits', () => {
    expect(result.cases.map((c) => c.asyncMessages)).toEqual([true, true, true, true]);
  });

  test('threads and fallbackReason: 2 and null with worker threads; threads: 1 is no fallback', () => {
    expect(result.pool).toEqual({ threads: 2, fallbackReason: null, oneThread: { threads: 1, fallbackReason: null, blocking: true } });
  });

  test("workspaces and caches cross the package's ESM and CommonJS copies (one registry on globalThis); another version's are refused, naming both", () => {
    const { otherVersion, ...rest } = result.crossCopy;
    expect(rest).toEqual({ distinctCopies: true, cjsWorkspaceInPool: true, poolCacheInCjsBackward: true, esmWorkspaceInCjs: true });
    expect(otherVersion).toMatch(/^SETypeError: SEThreads\.seForward: buffers\.workspace must be an SEWorkspace .* but got a SEWorkspace made by se-kernels 9\.9\.9, while this is se-kernels 0\.1\.0/);
  });

  test("docs/threads.md's Node example runs (sync and async calls, bit-identical)", () => {
    expect(result.readmeExample).toBe(true);
  });

  test('typed errors: bad options, a channel mismatch, a closed pool', () => {
    expect(result.errors.badThreads).toMatch(/^SEOptionError: SEThreads: options\.threads must be an integer from 1 to 64 but is 0/);
    expect(result.errors.channels).toMatch(/^SEShapeError: SEThreads\.seForward: x\.shape\[1\] is 9 but params\.channels is 8/);
    expect(result.errors.closed).toMatch(/^SEStateError: SEThreads\.seForward: this pool is closed: it was closed by close\(\)/);
  });

  test('an open pool does not keep the process alive (workers are unref\'d)', () => {
    const r = run('--no-close'); // execFileSync would time out if the process hung
    expect(r.cases.every((c) => c.shared)).toBe(true);
  });
});

test("the instance registry's library version is package.json's (another version's objects are refused by it)", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  expect(LIBRARY_VERSION).toBe(pkg.version);
});
