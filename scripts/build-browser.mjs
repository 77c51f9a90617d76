#!/usr/bin/env node
// Prebuilt browser bundles (`npm run build` runs this last, after tsc has written dist/esm):
//
//   dist/browser/se-kernels.js          the main entry, scijs ndarray (and its two tiny
//                                       dependencies) bundled in
//   dist/browser/se-kernels-core.js     `se-kernels/core`: no dependency, no `new Function`/eval,
//                                       so it loads under `Content-Security-Policy: script-src 'self'`
//   dist/browser/se-kernels-testing.js  `se-kernels/testing`, fast-check bundled in
//   dist/browser/se-kernels-chunk-*.js  the library code the entries share (loaded by them)
//   *.min.js                            the same, minified (entries load only .min chunks), each
//                                       with a source map (*.min.js.map) whose sources are the
//                                       dist/esm files shipped next to dist/browser
//   THIRD_PARTY_LICENSES.txt            the licenses of the bundled third-party packages
//
// ES modules for a `<script type="module">` page or an import map, no bundler needed. One esbuild
// build of the three entries with code splitting, from the same dist/esm files Node runs: the
// entries share one copy of the library, so a page loading two of them (main + testing, main +
// core) gets one Tape, Variable, SECache... class, which `instanceof` and the library's identity
// checks need. `se-kernels/threads` (worker_threads) stays Node-only.
//
// Fails (exit 1) when the core entry's files would hold any dependency or `new Function`/eval.
// Usage: node scripts/build-browser.mjs [--outdir DIR]   (default dist/browser)
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const at = args.indexOf('--outdir');
const OUT = at >= 0 && args[at + 1] ? resolve(args[at + 1]) : join(ROOT, 'dist/browser');

/** The entries: output name -> the tsc output it bundles. */
const ENTRIES = {
  'se-kernels': 'dist/esm/index.js',
  'se-kernels-core': 'dist/esm/core.js',
  'se-kernels-testing': 'dist/esm/testing/index.js',
};

function fail(message) {
  console.error(`build-browser: ${message}`);
  process.exit(1);
}

for (const f of Object.values(ENTRIES)) {
  if (!existsSync(join(ROOT, f))) fail(`${f} is missing: run tsc first (npm run build does)`);
}
let esbuild;
try {
  esbuild = await import('esbuild');
} catch (e) {
  fail(`esbuild (a devDependency) cannot be loaded: run \`npm ci\`. ${e.message}`);
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const BANNER =
  `/*! ${pkg.name} ${pkg.version} | ${pkg.license} | prebuilt ES module for browsers; ` +
  'third-party code bundled in dist/browser and its licenses: THIRD_PARTY_LICENSES.txt */';

rmSync(OUT, { recursive: true, force: true });

/** Output file names (relative to OUT) an entry loads, itself included, following static imports. */
function closureOf(meta, entryFile) {
  const outRel = (p) => relative(OUT, resolve(ROOT, p));
  const byName = new Map(Object.entries(meta.outputs).map(([p, o]) => [outRel(p), o]));
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name) || !byName.has(name)) return;
    seen.add(name);
    for (const imp of byName.get(name).imports) {
      if (imp.kind === 'import-statement' && !imp.external) visit(outRel(imp.path));
    }
  };
  visit(entryFile);
  const files = [...seen];
  const inputs = files.flatMap((f) => Object.keys(byName.get(f).inputs));
  return { files, inputs };
}

const report = [];
/** Third-party package name -> the entry files that load its code. */
const thirdParty = new Map();
for (const { minify, suffix } of [
  { minify: false, suffix: '' },
  { minify: true, suffix: '.min' },
]) {
  let result;
  try {
    result = await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([k, v]) => [k, join(ROOT, v)])),
      outdir: OUT,
      entryNames: `[name]${suffix}`,
      chunkNames: `se-kernels-chunk-[hash]${suffix}`,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2020', // what tsc emits (tsconfig.json): nothing is lowered
      minify,
      // Maps only for the minified files (the others read as they are); no sources embedded: the
      // library's sources are ../esm/*.js, shipped in the package and served with it.
      sourcemap: minify ? 'linked' : false,
      sourcesContent: false,
      banner: { js: BANNER },
      legalComments: 'eof',
      metafile: true,
      logLevel: 'warning',
    });
  } catch (e) {
    fail(`esbuild failed: ${(e.errors ?? []).map((x) => x.text).join('; ') || e.message}`);
  }
  const meta = result.metafile;
  for (const name of Object.keys(ENTRIES)) {
    for (const input of closureOf(meta, `${name}${suffix}.js`).inputs) {
      const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (m) thirdParty.set(m[1], (thirdParty.get(m[1]) ?? new Set()).add(`${name}${suffix}.js`));
    }
  }

  // The CSP-safe entry: no dependency and no eval in any file it loads.
  const core = closureOf(meta, `se-kernels-core${suffix}.js`);
  const deps = core.inputs.filter((p) => p.includes('node_modules/'));
  if (deps.length) fail(`se-kernels-core${suffix}.js would load third-party code: ${deps.join(', ')}`);
  const evalIn = core.files.filter((f) => /\bnew Function\b|\beval\s*\(/.test(readFileSync(join(OUT, f), 'utf8')));
  if (evalIn.length) fail(`se-kernels-core${suffix}.js would load new Function / eval (in ${evalIn.join(', ')})`);
  const main = closureOf(meta, `se-kernels${suffix}.js`);
  if (!main.inputs.some((p) => p.includes('node_modules/ndarray/'))) fail(`se-kernels${suffix}.js does not hold ndarray`);

  for (const name of Object.keys(ENTRIES)) {
    const { files } = closureOf(meta, `${name}${suffix}.js`);
    let raw = 0;
    let gz = 0;
    for (const f of files) {
      const bytes = readFileSync(join(OUT, f));
      raw += bytes.length;
      gz += gzipSync(bytes, { level: 9 }).length;
    }
    report.push(`${name}${suffix}.js: ${(raw / 1024).toFixed(1)} KiB (${(gz / 1024).toFixed(1)} KiB gzipped) in ${files.length} file${files.length > 1 ? 's' : ''}`);
  }
}

// Third-party licenses: every package whose code went into a bundle, with its own license text.
const sections = [];
for (const [name, entries] of [...thirdParty].sort(([a], [b]) => (a < b ? -1 : 1))) {
  const dir = join(ROOT, 'node_modules', name);
  const p = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const licenseFile = readdirSync(dir).find((f) => /^(LICEN[CS]E|COPYING)(\.(md|txt))?$/i.test(f));
  if (licenseFile === undefined) fail(`node_modules/${name} has no LICENSE file to reproduce`);
  sections.push(`${p.name} ${p.version} (${p.license}), loaded by ${[...entries].sort().join(', ')}\n\n${readFileSync(join(dir, licenseFile), 'utf8').trim()}\n`);
}
writeFileSync(
  join(OUT, 'THIRD_PARTY_LICENSES.txt'),
  `Third-party code bundled into the prebuilt browser files of ${pkg.name} ${pkg.version}.\n` +
    `(${pkg.name} itself: ${pkg.license}; se-kernels-core.js holds no third-party code.)\n\n` +
    sections.join(`\n${'-'.repeat(72)}\n\n`),
);

const total = readdirSync(OUT).reduce((s, f) => s + statSync(join(OUT, f)).size, 0);
console.log(`build-browser: ${relative(ROOT, OUT).startsWith('..') ? OUT : relative(ROOT, OUT)}: ${readdirSync(OUT).length} files, ${(total / 1024).toFixed(0)} KiB with the source maps`);
for (const line of report) console.log(`  ${line}`);
