#!/usr/bin/env node
/**
 * `npm run test:fuzz`: every property test file under test/ in fuzz mode (see test/propertyRuns.ts):
 * each property once per fresh seed, SE_FC_FUZZ_SEEDS of them (default 200), in one jest worker.
 * Prints the master seed the per-property seeds derive from, writes every seed used to
 * SE_FC_FUZZ_LOG (default fuzz-seeds.log in the OS temp directory), and stops jest after
 * SE_FC_FUZZ_MAX_MINUTES (default 60) so an unattended run has a bound.
 * Extra arguments go to jest (e.g. a file list or -t pattern to fuzz only some properties).
 */
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const master = process.env.SE_FC_FUZZ_MASTER || String(randomInt(1, 2 ** 31 - 1));
const log = process.env.SE_FC_FUZZ_LOG || join(tmpdir(), `fuzz-seeds-${master}.log`);
const maxMinutes = Number(process.env.SE_FC_FUZZ_MAX_MINUTES || 60);
writeFileSync(log, '');

const args = process.argv.slice(2);
const files = args.some((a) => !a.startsWith('-'))
  ? []
  : readdirSync('test')
      .filter((f) => f.endsWith('.test.ts'))
      .filter((f) => /fc\.assert\(|\.prop\(/.test(readFileSync(join('test', f), 'utf8')))
      .map((f) => join('test', f));

console.log(`fuzz: master seed ${master} (rerun these exact seeds with SE_FC_FUZZ_MASTER=${master}); seeds per property: ${process.env.SE_FC_FUZZ_SEEDS || 200}; seed list: ${log}`);
const started = Date.now();
// One worker (jest.config.cjs restarts it between files in fuzz mode once it holds over 2 GB).
const child = spawn('npx', ['jest', '-w', '1', '--testTimeout', String(maxMinutes * 60000), ...files, ...args], {
  stdio: 'inherit',
  env: { ...process.env, SE_FC_MODE: 'fuzz', SE_FC_FUZZ_MASTER: master, SE_FC_FUZZ_LOG: log },
});
const timer = setTimeout(() => {
  console.error(`fuzz: stopping jest after ${maxMinutes} minutes (SE_FC_FUZZ_MAX_MINUTES)`);
  child.kill('SIGTERM');
}, maxMinutes * 60000);
child.on('exit', (code, signal) => {
  clearTimeout(timer);
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const seeds = lines.reduce((n, l) => n + JSON.parse(l).seeds.length, 0);
  console.log(`fuzz: ${lines.length} property runs, ${seeds} seeds in ${((Date.now() - started) / 60000).toFixed(1)} min (master seed ${master}); seed list: ${log}`);
  process.exit(code ?? (signal ? 1 : 0));
});
