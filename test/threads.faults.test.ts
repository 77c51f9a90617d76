/**
 * se-kernels/threads under faults and misuse (issue 9), on the built package in child processes
 * (test/fixtures/threads-faults.mjs): stacked blocks and outputs fed back on one pool, workers that
 * exit, throw, run out of memory or are terminated, a slow worker, close() and nested calls from
 * getters, bad constructor options, a dropped pool. Each child runs under a time limit, so a hang
 * fails the test instead of CI; a fault must be reported well before the pool's own timeout.
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { requireBuild } from './build.js';

const ROOT = resolve(__dirname, '..');

interface FaultRun {
  right: number;
  last: { result: string; ms: number };
  maxMs: number;
  after: string;
  closedReason: string | null;
}
interface Faults {
  stacked: { forward: boolean; backward: boolean; staleA: string };
  network: { y: boolean; a: boolean; b: boolean };
  workerShares: number;
  fedBack: boolean;
  ordinaryBackward: boolean;
  faults: Record<'exitIdle' | 'exitInShare' | 'throwUncaught' | 'outOfMemory' | 'terminate', FaultRun>;
  slow: { error: string; ms: number; after: string; freshRight: boolean };
  throwInShare: { error: string; next: boolean };
  closeDuringCall: string;
  nested: { inner: string; outerRight: boolean };
  options: Record<'nullOptions' | 'misspelt' | 'zero' | 'timeout', string>;
  hangAtStart: { ms: number; threads: number; fallbackReason: string | null; right: boolean };
  async: Record<'throwUncaught' | 'terminate' | 'exitInShare' | 'throwUncaughtMessages', { result: string; maxMs: number; after: string }> & {
    slow: { error: string; ticksDuring: number; freshRight: boolean };
    closeDuringCall: string;
    nested: { second: string; sync: string; firstRight: boolean; after: boolean };
  };
}

function run<T>(...args: string[]): T {
  requireBuild();
  const out = execFileSync(process.execPath, [...args], { cwd: ROOT, encoding: 'utf8', timeout: 90000 });
  return JSON.parse(out) as T;
}

describe('se-kernels/threads under faults and misuse', () => {
  let r: Faults;
  beforeAll(() => {
    r = run<Faults>(join(ROOT, 'test/fixtures/threads-faults.mjs'));
  });

  test("two blocks stacked on one pool (the second's input the first's y): backward is right; the first block's cache is stale, and says so", () => {
    expect(r.stacked.forward).toBe(true);
    expect(r.stacked.backward).toBe(true);
    expect(r.stacked.staleA).toMatch(/^SEStateError: SEThreads\.seBackward: this cache is stale/);
  });

  test('a network with one workspace per block: forward and backward through both blocks bit-identical to seForward/seBackward', () => {
    expect(r.network).toEqual({ y: true, a: true, b: true });
  });

  test('the workers take part: over 80 split calls they run shares (the calling thread must not take them all)', () => {
    expect(r.workerShares).toBeGreaterThan(10);
  });

  test("a pool's output fed back to the same pool, four times, is right; its caches work with the ordinary seBackward", () => {
    expect(r.fedBack).toBe(true);
    expect(r.ordinaryBackward).toBe(true);
  });

  const faults: [keyof Faults['faults'], RegExp][] = [
    ['exitIdle', /worker 1 exited with code 7/],
    ['exitInShare', /worker 1 exited with code 7/],
    ['throwUncaught', /worker 1 threw: injected uncaught error/],
    ['outOfMemory', /worker 1 ran out of memory/],
    ['terminate', /worker 1 exited with code 1/],
  ];
  test.each(faults)('a worker fault (%s): every call is right until one throws SEStateError naming it, long before the 20 s timeout; the pool is then closed', (name, what) => {
    const f = r.faults[name];
    expect(f.last.result).toMatch(/^SEStateError: SEThreads\.seForward: /);
    expect(f.last.result).toMatch(what);
    expect(f.maxMs).toBeLessThan(10000);
    expect(f.after).toMatch(/^SEStateError: SEThreads\.seForward: this pool is closed: /);
    expect(f.closedReason).toMatch(what);
  });

  test('a worker slower than timeoutMs fails the call and closes the pool; the workspace it used then gives right results with a new pool', () => {
    expect(r.slow.error).toMatch(/^SEStateError: SEThreads\.seForward: a worker did not finish its share within 200 ms; the pool is closed/);
    expect(r.slow.ms).toBeLessThan(10000);
    expect(r.slow.after).toMatch(/this pool is closed: a worker did not finish its share within 200 ms/);
    expect(r.slow.freshRight).toBe(true);
  });

  test("a share that throws fails the call with the worker's message; the next call is right", () => {
    expect(r.throwInShare.error).toBe('SEStateError: SEThreads.seForward: worker 1 failed on its share: injected failure inside a share');
    expect(r.throwInShare.next).toBe(true);
  });

  test('close() from a getter during a call ends the call with SEStateError; a nested call on the same pool is refused and the outer call is right', () => {
    expect(r.closeDuringCall).toMatch(/^SEStateError: SEThreads\.seForward: this pool is closed: it was closed by close\(\)/);
    expect(r.nested.inner).toMatch(/^SEStateError: SEThreads\.seForward: the pool is in use by a SEThreads\.seForward that has not returned/);
    expect(r.nested.outerRight).toBe(true);
  });

  const asyncFaults: [keyof Faults['async'] & ('throwUncaught' | 'terminate' | 'exitInShare' | 'throwUncaughtMessages'), RegExp][] = [
    ['throwUncaught', /worker 1 threw: injected uncaught error/],
    ['throwUncaughtMessages', /worker 1 threw: injected uncaught error/],
    ['terminate', /worker 1 exited with code 1/],
    ['exitInShare', /worker 1 exited with code 7/],
  ];
  test.each(asyncFaults)('async calls: a worker fault (%s) rejects a call with SEStateError naming it, well before the timeout; the pool is then closed', (name, what) => {
    const f = r.async[name];
    expect(f.result).toMatch(/^SEStateError: SEThreads\.seForwardAsync: /);
    expect(f.result).toMatch(what);
    expect(f.maxMs).toBeLessThan(10000);
    expect(f.after).toMatch(/^SEStateError: SEThreads\.seForwardAsync: this pool is closed: /);
  });

  test('async calls: a worker slower than timeoutMs rejects the call (timers keep firing meanwhile: the event loop is free); the workspace is right with a new pool', () => {
    expect(r.async.slow.error).toMatch(/^SEStateError: SEThreads\.seForwardAsync: a worker did not finish its share within 300 ms; the pool is closed/);
    expect(r.async.slow.ticksDuring).toBeGreaterThan(0);
    expect(r.async.slow.freshRight).toBe(true);
  });

  test('async calls: close() while a call awaits its workers rejects it; a second call (async or sync) while one is pending is refused; the first is right', () => {
    expect(r.async.closeDuringCall).toMatch(/^SEStateError: SEThreads\.seForwardAsync: this pool is closed: it was closed by close\(\) \(during the call\)/);
    expect(r.async.nested.second).toMatch(/^SEStateError: SEThreads\.seForwardAsync: the pool is in use by a SEThreads\.seForwardAsync that has not returned/);
    expect(r.async.nested.sync).toMatch(/^SEStateError: SEThreads\.seForward: the pool is in use by a SEThreads\.seForwardAsync/);
    expect(r.async.nested.firstRight).toBe(true);
    expect(r.async.nested.after).toBe(true);
  });

  test('workers that never come up: ready() resolves after a bounded wait, the pool falls back to the calling thread and says why; calls are right', () => {
    expect(r.hangAtStart.threads).toBe(1);
    expect(r.hangAtStart.fallbackReason).toMatch(/^worker threads could not start \(they were not up within 10000 ms\); the pool computes on the calling thread/);
    expect(r.hangAtStart.ms).toBeLessThan(30000);
    expect(r.hangAtStart.right).toBe(true);
  });

  test('constructor options are checked like every other entry', () => {
    expect(r.options.nullOptions).toMatch(/^SETypeError: SEThreads: options must be an object/);
    expect(r.options.misspelt).toMatch(/^SEOptionError: SEThreads: unknown options key 'thread'/);
    expect(r.options.zero).toMatch(/^SEOptionError: SEThreads: options\.threads must be an integer from 1 to 64 but is 0/);
    expect(r.options.timeout).toMatch(/^SEOptionError: SEThreads: options\.timeoutMs must be a finite number > 0 but is -1/);
  });

  test('a pool dropped without close() ends its threads once it is garbage-collected', () => {
    const d = run<{ before: number; during: number; after: number }>('--expose-gc', join(ROOT, 'test/fixtures/threads-faults.mjs'), 'dropped');
    expect(d.during).toBe(d.before + 2); // the supervisor and one worker
    expect(d.after).toBe(d.before);
  });
});
