// @ts-check
/**
 * The machine description and the markdown tables (the README's performance section).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = new URL('../../', import.meta.url);

/** @param {string[]} args */
function git(args) {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/**
 * CPU, Node, date, library version and commit.
 * @param {URL} distUrl the ESM build benchmarked (its package.json is two folders up)
 */
export function machine(distUrl) {
  const cpus = os.cpus();
  const pkgRoot = new URL('../../', distUrl);
  const pkg = JSON.parse(readFileSync(new URL('package.json', pkgRoot), 'utf8'));
  const own = pkgRoot.href === root.href;
  const sha = own ? git(['rev-parse', '--short', 'HEAD']) : null;
  const dirty = own ? git(['status', '--porcelain', '--', 'src']) : null;
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    logicalCores: cpus.length,
    platform: `${os.platform()} ${os.arch()}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    v8: process.versions.v8,
    date: new Date().toISOString(),
    library: { version: pkg.version, dist: distUrl.pathname, commit: sha, srcModified: dirty === null ? null : dirty.length > 0 },
    loadAverageAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

/** @param {number} ms */
export function fmtMs(ms) {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 1) return ms.toFixed(3);
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

/** @param {import('./measure.mjs').Stats | undefined} s the median of the round medians (their range) */
export function fmtCell(s) {
  return s ? `${fmtMs(s.median)} (${fmtMs(s.lo)}–${fmtMs(s.hi)})` : '–';
}

/** @param {number | null} r @param {number | null} target */
export function fmtRatio(r, target) {
  if (r === null || !Number.isFinite(r)) return '–';
  if (target === null && r < 0.01) return r.toFixed(4);
  const v = r < 10 ? r.toFixed(3) : r.toFixed(1); // 3 decimals: 1.149 and 1.152 differ against a 1.15 target
  return target === null ? v : `${v} ${r <= target ? '✓' : '✗'}`;
}

/**
 * @param {string[]} header
 * @param {string[][]} rows
 * @param {number} [textColumns] leading columns aligned left (the rest are numbers, aligned right)
 */
export function mdTable(header, rows, textColumns = 1) {
  const line = (/** @type {string[]} */ cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((h, i) => (i < textColumns ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

/** Busy and total CPU seconds of the whole machine so far, from /proc/stat (Linux), or null. */
function machineCpuSeconds() {
  if (!existsSync('/proc/stat')) return null;
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user + nice + system + irq + softirq + (steal || 0)) / 100; // USER_HZ is 100 on Linux
}

/**
 * Measures how much CPU other processes used while the benchmark ran: the machine's busy CPU time
 * minus this process's (all its threads, ORT's and the GC's included), divided by the wall time.
 * @returns {() => number | null} call at the end: the average number of cores others kept busy
 */
export function otherLoadMeter() {
  const m0 = machineCpuSeconds();
  const p0 = process.cpuUsage();
  const w0 = performance.now();
  return () => {
    const m1 = machineCpuSeconds();
    if (m0 === null || m1 === null) return null;
    const p = process.cpuUsage(p0);
    const mine = (p.user + p.system) / 1e6;
    const wall = (performance.now() - w0) / 1000;
    return Math.max(0, (m1 - m0 - mine) / wall);
  };
}

/**
 * One line naming a build: its package version, its checkout's commit when the build sits in a git
 * checkout (and whether src/ had uncommitted changes there), and its path.
 * @param {URL} distUrl a dist/esm directory
 */
export function buildLine(distUrl) {
  const pkgRoot = new URL('../../', distUrl);
  let version = 'unknown version';
  try {
    version = JSON.parse(readFileSync(new URL('package.json', pkgRoot), 'utf8')).version;
  } catch {
    // a copied dist/ without its package.json: the path says which build it is
  }
  const dir = fileURLToPath(pkgRoot);
  /** @param {string[]} a */
  const gitIn = (a) => {
    try {
      return execFileSync('git', ['-C', dir, ...a], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  const top = gitIn(['rev-parse', '--show-toplevel']);
  const own = top !== null && resolve(top) === resolve(dir);
  const sha = own ? gitIn(['rev-parse', '--short', 'HEAD']) : null;
  const dirty = own ? gitIn(['status', '--porcelain', '--', 'src']) : null;
  return `se-kernels ${version}${sha ? ` @ ${sha}${dirty ? ' (src/ has uncommitted changes)' : ''}` : ''} from ${fileURLToPath(distUrl)}`;
}

/**
 * Writes a run's results: the JSON to `outJson` and the markdown lines beside it (same name, .md).
 * @param {string} outJson
 * @param {unknown} json
 * @param {string[]} md
 * @returns {string} the markdown file's path
 */
export function writeResults(outJson, json, md) {
  mkdirSync(dirname(outJson), { recursive: true });
  writeFileSync(outJson, `${JSON.stringify(json, null, 1)}\n`);
  const outMd = outJson.replace(/\.json$/, '') + '.md';
  writeFileSync(outMd, `${md.join('\n')}\n`);
  return outMd;
}
