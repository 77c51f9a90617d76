#!/usr/bin/env node
// Prebuilt browser bundles (`npm run build` runs this last, after tsc has written dist/esm):
//
//   dist/browser/se-kernels.js          the main entry, scijs ndarray (and its two tiny
//                                       dependencies) bundled in
//   dist/browser/se-kernels-core.js     `se-kernels/core`: no dependency, no `new Function`/eval,
//                                       so it loads under `Content-Security-Policy: script-src 'self'`
//   dist/browser/se-kernels-testing.js  `se-kernels/testing`, fast-check bundled in
//   *.min.js                            the same, minified (about 27% less gzipped)
//   THIRD_PARTY_LICENSES.txt            the licenses of the bundled third-party packages
//
// ES modules for a `<script type="module">` page or an import map, no bundler needed, built by
// esbuild from the same dist/esm files Node runs. Each file is self-contained (no import at all):
// it can be copied alone, and a CDN's short "default file" URL, which serves the file at a URL
// other than its own path, works (relative imports would resolve elsewhere there). Two files on
// one page are two copies of the library; its classes recognise each other's instances (the
// Symbol.for brand), so the testing bundle's gradCheck drives either entry's tape ops.
//   dist/browser/se-kernels-threads.js  `se-kernels/threads` on Web Workers; it starts
//                                       se-kernels-threads-supervisor.js, which starts
//                                       se-kernels-threads-worker.js, each found next to it through
//                                       `new URL('./file.js', import.meta.url)` (keep the three
//                                       files together). It holds its own copy of the core; caches
//                                       and workspaces of the other files are accepted (the
//                                       instance registry on globalThis, src/registry.ts).
//
// Fails (exit 1) when a file would import anything, or the core files would hold any dependency
// or `new Function`/eval.
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
  'se-kernels-threads': 'dist/esm/threads/browser.js',
  'se-kernels-threads-supervisor': 'dist/esm/threads/supervisor-web.js',
  'se-kernels-threads-worker': 'dist/esm/threads/worker-web.js',
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
      bundle: true, // one self-contained file per entry (no code splitting)
      format: 'esm',
      platform: 'browser',
      target: 'es2020', // what tsc emits (tsconfig.json): nothing is lowered
      minify,
      // Classes and functions keep their names (`SEBlock.name`, `new Tape().constructor.name`, and
      // the class names error messages print), also minified and where esbuild renames to dedupe.
      keepNames: true,
      // No source maps: maps of the .min files (without sources) measured 460 KiB, 130 KiB
      // gzipped, a third of the tarball; the plain files read as they are, so debug with those.
      sourcemap: false,
      banner: { js: BANNER },
      legalComments: 'eof',
      metafile: true,
      logLevel: 'warning',
    });
  } catch (e) {
    fail(`esbuild failed: ${(e.errors ?? []).map((x) => x.text).join('; ') || e.message}`);
  }
  for (const [path, output] of Object.entries(result.metafile.outputs)) {
    const file = relative(OUT, resolve(ROOT, path));
    const name = file.replace(/(\.min)?\.js$/, '');
    const inputs = Object.keys(output.inputs);
    if (output.imports.length) fail(`${file} would import ${output.imports.map((i) => i.path).join(', ')}`);
    const text = readFileSync(join(OUT, file), 'utf8');
    if (name === 'se-kernels-core' || name.startsWith('se-kernels-threads')) {
      const deps = inputs.filter((p) => p.includes('node_modules/'));
      if (deps.length) fail(`${file} would hold third-party code: ${deps.join(', ')}`);
      if (/\bnode:|worker_threads/.test(inputs.join(' '))) fail(`${file} would hold Node-only code: ${inputs.filter((p) => /node\.js|worker\.js|supervisor\.js/.test(p)).join(', ')}`);
      if (/\bnew Function\b|\beval\s*\(/.test(text)) fail(`${file} would hold new Function / eval`);
    }
    if (name === 'se-kernels' && !inputs.some((p) => p.includes('node_modules/ndarray/'))) fail(`${file} does not hold ndarray`);
    for (const input of inputs) {
      const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (m) thirdParty.set(m[1], (thirdParty.get(m[1]) ?? new Set()).add(file));
    }
    const gz = gzipSync(text, { level: 9 }).length;
    report.push(`${file}: ${(Buffer.byteLength(text) / 1024).toFixed(1)} KiB (${(gz / 1024).toFixed(1)} KiB gzipped)`);
  }
}

// Third-party licenses: every package whose code went into a bundle, with its own license text.
const sections = [];
for (const [name, entries] of [...thirdParty].sort(([a], [b]) => (a < b ? -1 : 1))) {
  const dir = join(ROOT, 'node_modules', name);
  const p = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const licenseFile = readdirSync(dir).find((f) => /^(LICEN[CS]E|COPYING)(\.(md|txt))?$/i.test(f));
  if (licenseFile === undefined) fail(`node_modules/${name} has no LICENSE file to reproduce`);
  sections.push(`${p.name} ${p.version} (${p.license}), bundled into ${[...entries].sort().join(', ')}\n\n${readFileSync(join(dir, licenseFile), 'utf8').trim()}\n`);
}
writeFileSync(
  join(OUT, 'THIRD_PARTY_LICENSES.txt'),
  `Third-party code bundled into the prebuilt browser files of ${pkg.name} ${pkg.version}.\n` +
    `(${pkg.name} itself: ${pkg.license}; se-kernels-core.js holds no third-party code.)\n\n` +
    sections.join(`\n${'-'.repeat(72)}\n\n`),
);

const total = readdirSync(OUT).reduce((s, f) => s + statSync(join(OUT, f)).size, 0);
console.log(`build-browser: ${relative(ROOT, OUT).startsWith('..') ? OUT : relative(ROOT, OUT)}: ${readdirSync(OUT).length} files, ${(total / 1024).toFixed(0)} KiB`);
for (const line of report) console.log(`  ${line}`);
