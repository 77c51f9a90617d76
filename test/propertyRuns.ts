/**
 * Seeds and run counts of every property test (jest `setupFilesAfterEnv`, so it runs in each test
 * file's module registry before the file itself and sees the same `fast-check` module).
 *
 * CI mode (default, `npm test`): every property runs with one fixed seed, CI_SEED, or SE_FC_SEED
 * when set, so two runs on the same code draw the same cases. A failure's message ends with the
 * command that reruns just that property with that seed (and fast-check's path, which replays the
 * shrunk counterexample first).
 *
 * Fuzz mode (SE_FC_MODE=fuzz, `npm run test:fuzz`): every fc.assert (the ones test.prop of
 * @fast-check/jest makes, and direct calls) runs once per fresh seed, SE_FC_FUZZ_SEEDS of them
 * (default 200), each with a smaller numRuns (SE_FC_FUZZ_RUNS, or half the property's own numRuns, at
 * least 5: 100 times the cases of a CI run in all). The seeds derive from SE_FC_FUZZ_MASTER and the test name, so a fuzz run is fresh
 * each time yet every seed it used can be listed (SE_FC_FUZZ_LOG gets one line per property).
 *
 * Environment: SE_FC_SEED (CI seed), SE_FC_PATH (replay path), SE_FC_NUM_RUNS (override numRuns in
 * CI mode, e.g. to replay a fuzz failure with its per-seed numRuns), SE_FC_MODE, SE_FC_FUZZ_SEEDS,
 * SE_FC_FUZZ_RUNS, SE_FC_FUZZ_MASTER, SE_FC_FUZZ_LOG.
 */
import { appendFileSync } from 'node:fs';
import { relative } from 'node:path';
import type * as FastCheck from 'fast-check';
import { CI_SEED } from './propertyBanner.js';

// The very module object the test files and @fast-check/jest get from require('fast-check') in this
// registry (an `import * as` copy would not carry the replaced assert to them).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fc: typeof FastCheck = require('fast-check');

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isSafeInteger(v)) throw new Error(`propertyRuns: ${name} must be an integer but is '${raw}'`);
  return v;
}

const fuzz = process.env.SE_FC_MODE === 'fuzz';
const ciSeed = envInt('SE_FC_SEED', CI_SEED);
const ciNumRuns = process.env.SE_FC_NUM_RUNS ? envInt('SE_FC_NUM_RUNS', 100) : undefined;
const replayPath = process.env.SE_FC_PATH || undefined;
const fuzzSeeds = envInt('SE_FC_FUZZ_SEEDS', 200);
const fuzzRuns = process.env.SE_FC_FUZZ_RUNS ? envInt('SE_FC_FUZZ_RUNS', 10) : undefined;
const fuzzMaster = envInt('SE_FC_FUZZ_MASTER', 1);
const fuzzLog = process.env.SE_FC_FUZZ_LOG || undefined;

// test.prop reads the global seed when the test is declared (and puts it in the test's name).
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: ciSeed, ...(replayPath ? { path: replayPath } : {}) });

/** The current test's file (relative) and name without @fast-check/jest's "(with seed=...)". */
function currentTest(): { file: string; name: string } {
  const state = expect.getState();
  const file = state.testPath ? relative(process.cwd(), state.testPath) : '<test file>';
  const name = (state.currentTestName ?? '').replace(/ \(with seed=-?\d+\)$/, '');
  return { file, name };
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The one command that reruns this property alone with this seed (and path, numRuns). */
function reproduceCommand(seed: number, path: string | undefined, numRuns: number | undefined): string {
  const { file, name } = currentTest();
  const pattern = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const env = [`SE_FC_SEED=${seed}`];
  if (path !== undefined && path !== '') env.push(`SE_FC_PATH=${path}`);
  if (numRuns !== undefined) env.push(`SE_FC_NUM_RUNS=${numRuns}`);
  return `${env.join(' ')} npx jest ${file} -t ${shellQuote(pattern)}`;
}

/** The replay path of a fast-check failure, from its message (`{ seed: 1, path: "0:1" }`). */
function pathOf(e: unknown): string | undefined {
  const m = e instanceof Error ? /path: "([^"]*)"/.exec(e.message) : null;
  return m ? m[1] : undefined;
}

/** fast-check's error with the reproduce command appended (the original stays as `cause`). */
function withReproduce(e: unknown, seed: number, numRuns: number | undefined): Error {
  const command = reproduceCommand(seed, pathOf(e), numRuns);
  const message = `${e instanceof Error ? e.message : String(e)}\n\nReproduce this property's failure (seed ${seed}):\n  ${command}\n`;
  const out = new Error(message);
  Object.defineProperty(out, 'cause', { value: e }); // lib is ES2020: no ErrorOptions
  // The original's frames under the new message (its stack starts with its own, multi-line message).
  if (e instanceof Error && e.stack) out.stack = [`Error: ${message}`, ...e.stack.split('\n').filter((l) => /^\s+at /.test(l))].join('\n');
  return out;
}

/** 32-bit FNV-1a mix of a string into a number, for per-property fuzz seeds. */
function hash32(s: string, h = 0x811c9dc5): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The fresh seeds one property gets in this fuzz run: distinct per property and per master seed. */
function fuzzSeedList(name: string): number[] {
  const base = hash32(name, hash32(String(fuzzMaster)));
  const seeds: number[] = [];
  for (let i = 0; i < fuzzSeeds; i++) seeds.push(mix32((base + Math.imul(i + 1, 0x9e3779b9)) >>> 0) | 0);
  return seeds;
}

/** murmur3's 32-bit finalizer: neighbouring inputs give unrelated-looking seeds. */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

type Params = FastCheck.Parameters<unknown>;
type AnyProperty = FastCheck.IRawProperty<unknown, boolean>;

const originalAssert = fc.assert.bind(fc) as (property: AnyProperty, params?: Params) => Promise<void> | void;

function ciAssert(property: AnyProperty, params: Params = {}): Promise<void> | void {
  const seed = params.seed ?? ciSeed;
  const runParams: Params = { ...params, seed, ...(ciNumRuns !== undefined ? { numRuns: ciNumRuns } : {}) };
  if (property.isAsync()) {
    return Promise.resolve(originalAssert(property, runParams)).catch((e: unknown) => {
      throw withReproduce(e, seed, ciNumRuns);
    });
  }
  try {
    return originalAssert(property, runParams);
  } catch (e) {
    throw withReproduce(e, seed, ciNumRuns);
  }
}

function fuzzAssert(property: AnyProperty, params: Params = {}): Promise<void> | void {
  const { file, name } = currentTest();
  const seeds = fuzzSeedList(`${file} ${name}`);
  const numRuns = fuzzRuns ?? Math.max(5, Math.ceil((params.numRuns ?? 100) / 2));
  // Each seed replays from the start; the explicit path of a replay has no meaning across seeds.
  const base: Params = { ...params, numRuns, path: undefined };
  if (fuzzLog) appendFileSync(fuzzLog, `${JSON.stringify({ file, name, numRuns, seeds })}\n`);
  if (property.isAsync()) {
    return (async () => {
      for (const seed of seeds) {
        try {
          await originalAssert(property, { ...base, seed });
        } catch (e) {
          throw withReproduce(e, seed, numRuns);
        }
      }
    })();
  }
  for (const seed of seeds) {
    try {
      originalAssert(property, { ...base, seed });
    } catch (e) {
      throw withReproduce(e, seed, numRuns);
    }
  }
}

// fast-check's CommonJS build assigns its exports plainly, so the property is writable; the check
// keeps a future build with getter-only exports from silently running the unseeded original.
Object.assign(fc, { assert: fuzz ? fuzzAssert : ciAssert });
if (fc.assert !== (fuzz ? fuzzAssert : ciAssert)) throw new Error('propertyRuns: could not install the seeded fc.assert');
