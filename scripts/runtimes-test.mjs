#!/usr/bin/env node
// `npm run test:runtimes` (after `npm run build`): the built package under Bun and Deno.
//  1. installs their Linux x64 binaries from the npm registry (pinned below) into build/runtimes/,
//     outside the package (skipped when the pinned versions are there already);
//  2. under each: scripts/runtimes-smoke.mjs (the core's seForward/seBackward and SEThreads' sync
//     and async calls: the same bytes as Node's one thread; threads 2, fallbackReason null), then
//     the threads test fixtures test/fixtures/threads-check.mjs (splits bit-identical, async, the
//     ESM/CommonJS copies, the README example) and threads-faults.mjs (worker faults, timeouts,
//     close() and nested calls, sync and async), each under a time limit.
// Prints `runtimes: N passed, M failed` and exits non-zero on any failure.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = join(ROOT, 'build/runtimes');
const PINNED = { '@oven/bun-linux-x64': '1.4.5', '@deno/linux-x64-glibc': '2.9.6' };
const RUNTIMES = [
  { name: 'bun', pkg: '@oven/bun-linux-x64', bin: 'bin/bun', args: [] },
  { name: 'deno', pkg: '@deno/linux-x64-glibc', bin: 'deno', args: ['run', '-A'] },
];
const LIMIT_MS = 150_000;

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail && !ok ? ` -- ${detail}` : ''}`);
}
function finish() {
  console.log(`runtimes: ${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || passed === 0 ? 1 : 0);
}

if (!existsSync(join(ROOT, 'dist/esm/threads/index.js'))) {
  console.error('runtimes-test: dist/ is missing: run `npm run build` first (npm run test:runtimes does).');
  failed++;
  finish();
}

// ---- 1. install -------------------------------------------------------------------------------
const installed = (pkg) => {
  try {
    return JSON.parse(readFileSync(join(DIR, 'node_modules', pkg, 'package.json'), 'utf8')).version === PINNED[pkg];
  } catch {
    return false;
  }
};
if (!Object.keys(PINNED).every(installed)) {
  mkdirSync(DIR, { recursive: true });
  const specs = Object.entries(PINNED).map(([p, v]) => `${p}@${v}`);
  const r = spawnSync('npm', ['install', '--prefix', DIR, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', ...specs], { encoding: 'utf8', timeout: 300_000 });
  check(`install ${specs.join(' ')} into build/runtimes`, r.status === 0, (r.stderr || r.stdout || String(r.error)).slice(-500));
  if (r.status !== 0) finish();
}

// ---- Node's reference bytes ---------------------------------------------------------------------
const nodeCore = await import(pathToFileURL(join(ROOT, 'dist/esm/core.js')).href);
const { runSingle } = await import(pathToFileURL(join(ROOT, 'scripts/browser/threads-cases.mjs')).href);
const reference = runSingle(nodeCore);
const differing = (got, want) => {
  if (!Array.isArray(got) || got.length === 0) return ['no results'];
  const bad = [];
  got.forEach((g, i) => {
    const w = want[i % want.length];
    for (const k of Object.keys(w)) if (g[k] !== w[k]) bad.push(`case ${i} ${k}`);
  });
  return bad;
};

function runJson(rt, exe, script) {
  const t = Date.now();
  const r = spawnSync(exe, [...rt.args, join(ROOT, script)], { cwd: ROOT, encoding: 'utf8', timeout: LIMIT_MS, maxBuffer: 64 << 20 });
  const ms = Date.now() - t;
  if (r.error || r.status !== 0) return { error: `${r.error ? r.error.message : `exit ${r.status}`} after ${ms} ms: ${(r.stderr || '').slice(-400)}` };
  try {
    return { value: JSON.parse(r.stdout), ms };
  } catch (e) {
    return { error: `not JSON (${e.message}): ${r.stdout.slice(0, 200)} ${r.stderr.slice(-300)}` };
  }
}

// ---- 2. each runtime ----------------------------------------------------------------------------
for (const rt of RUNTIMES) {
  const exe = join(DIR, 'node_modules', rt.pkg, rt.bin);
  let version = '?';
  try {
    version = execFileSync(exe, ['--version'], { encoding: 'utf8' }).split('\n')[0].trim();
  } catch (e) {
    check(`${rt.name}: the binary runs`, false, e.message);
    continue;
  }
  const label = `${rt.name} ${version.replace(/^deno /, '')}`;

  const smoke = runJson(rt, exe, 'scripts/runtimes-smoke.mjs');
  const s = smoke.value ?? {};
  if (smoke.error || s.error) check(`${label}: smoke script runs`, false, smoke.error ?? s.error);
  else {
    const core = differing(s.single, reference);
    check(`${label}: core seForward/seBackward give Node's bytes (${reference.length} cases)`, core.length === 0, core.join(', '));
    check(`${label}: SEThreads computes with 2 threads, fallbackReason null`, s.threads === 2 && s.fallbackReason === null, `${s.threads} ${s.fallbackReason}`);
    const sync = differing(s.sync, reference);
    check(`${label}: SEThreads sync seForward/seBackward give Node's one-thread bytes`, sync.length === 0, sync.join(', '));
    const asy = differing(s.async, reference);
    check(`${label}: SEThreads seForwardAsync/seBackwardAsync give Node's one-thread bytes (ordinary and shared inputs)`, asy.length === 0 && s.async.length === 2 * reference.length, asy.join(', '));
  }

  const tc = runJson(rt, exe, 'test/fixtures/threads-check.mjs');
  const c = tc.value ?? {};
  if (tc.error) check(`${label}: test/fixtures/threads-check.mjs runs`, false, tc.error);
  else {
    const keys = ['threaded', 'shared', 'copied', 'view', 'sharedBackward', 'copiedBackward', 'async'];
    check(`${label}: threads-check: split forward/backward (shared, copied, strided, async) bit-identical on ${c.cases.length} variants`, c.cases.length === 4 && c.cases.every((k) => keys.every((key) => k[key] === true)));
    const x = c.crossCopy ?? {};
    check(`${label}: threads-check: workspaces and caches cross the ESM/CommonJS copies`, x.distinctCopies && x.cjsWorkspaceInPool && x.poolCacheInCjsBackward && x.esmWorkspaceInCjs, JSON.stringify(x));
    check(`${label}: threads-check: the README example; typed errors`, c.readmeExample === true && /^SEStateError: .*closed by close\(\)/.test(c.errors.closed) && /^SEOptionError/.test(c.errors.badThreads), JSON.stringify(c.errors));
  }

  const tf = runJson(rt, exe, 'test/fixtures/threads-faults.mjs');
  const f = tf.value ?? {};
  if (tf.error) check(`${label}: test/fixtures/threads-faults.mjs runs`, false, tf.error);
  else {
    check(`${label}: threads-faults: stacked blocks, a network, outputs fed back`, f.stacked.forward && f.stacked.backward && f.network.a && f.network.b && f.network.y && f.fedBack && f.ordinaryBackward);
    // Deno wakes a worker from Atomics.wait late (milliseconds rather than Node's and Bun's
    // microseconds; docs/threads.md), so on the fixtures' small inputs the calling thread has taken
    // every share by then: said, not failed (the results are right either way).
    const lateWaker = rt.name === 'deno';
    if (lateWaker && !(f.workerShares > 10)) console.log(`info ${label}: the worker ran ${f.workerShares} of the 80 small calls' shares (slow wake-up); the split still gives the same bits`);
    else check(`${label}: threads-faults: the workers take part (${f.workerShares} shares over 80 calls)`, f.workerShares > 10);
    for (const [name, what] of [['exitIdle', /worker 1 exited/], ['exitInShare', /worker 1 exited/], ['throwUncaught', /worker 1 threw: injected uncaught error/], ['terminate', /worker 1 exited/]]) {
      const r = f.faults[name];
      check(`${label}: threads-faults: ${name}: SEStateError naming it, the pool closed`, /^SEStateError: /.test(r.last.result) && what.test(r.last.result) && /this pool is closed/.test(r.after), r.last.result);
    }
    // Bun does not enforce resourceLimits: the worker then just runs long, and the timeout ends the call.
    const oom = f.faults.outOfMemory;
    check(`${label}: threads-faults: a worker running out of memory: SEStateError (out of memory, or the timeout where limits are not enforced), no hang`, /^SEStateError: .*(ran out of memory|did not finish its share)/.test(oom.last.result), oom.last.result);
    check(`${label}: threads-faults: slow share -> timeout; a share that throws; close() and nested calls from getters`, /did not finish its share within 200 ms/.test(f.slow.error) && f.slow.freshRight && /injected failure inside a share/.test(f.throwInShare.error) && f.throwInShare.next && /closed by close\(\)/.test(f.closeDuringCall) && f.nested.outerRight && /in use/.test(f.nested.inner));
    const a = f.async;
    check(
      `${label}: threads-faults: async calls: worker faults, timeout (timers keep firing), close() while awaiting, a second call refused`,
      ['throwUncaught', 'terminate', 'exitInShare'].every((k) => /^SEStateError: SEThreads\.seForwardAsync: .*worker 1/.test(a[k].result)) &&
        /did not finish its share within 300 ms/.test(a.slow.error) && a.slow.ticksDuring > 0 && a.slow.freshRight &&
        (/closed by close\(\) \(during the call\)/.test(a.closeDuringCall) || (lateWaker && a.closeDuringCall === 'no error')) &&
        /in use/.test(a.nested.second) && a.nested.firstRight && a.nested.after,
      JSON.stringify(a).slice(0, 600),
    );
    if (lateWaker && a.closeDuringCall === 'no error') console.log(`info ${label}: close() while awaiting: the slow worker never claimed a share in 50 tries (slow wake-up), so no call was left waiting to reject`);
  }
}
finish();
