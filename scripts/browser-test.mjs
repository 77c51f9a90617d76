#!/usr/bin/env node
// Browser test (`npm run test:browser`, after `npm run build`):
//  1. esbuild bundles the built package (dist/esm) for the browser, ESM: the main entry, `./core`
//     and `./testing` in one build with shared chunks (`./core` and its chunks must hold no
//     dependency and no `new Function`), as an application's bundler would;
//  2. the prebuilt bundles of dist/browser/ (scripts/build-browser.mjs) are checked statically:
//     each file imports nothing (ndarray, fast-check bundled in), the core files hold no
//     `new Function`/eval;
//  3. a tiny HTTP server on 127.0.0.1 (random free port) serves the esbuild bundles with the pages
//     in scripts/browser/ at /, and dist/browser/ at /app/node_modules/se-kernels/dist/browser/
//     next to the prebuilt-* pages and example.html at /app/ (ES modules are blocked over file://);
//  4. headless Debian Chromium (/usr/bin/chromium, driven by playwright-core, fresh profile) runs
//     every case of scripts/browser/cases.mjs (seForward/seBackward, SEBlock forward/backward, a
//     float64 gradient check, a tape gradCheck) on these pages:
//       main.html, csp.html       the esbuild bundles: main entry; `./core` under
//                                 `Content-Security-Policy: script-src 'self'` (no eval)
//       prebuilt-script.html      dist/browser/se-kernels.js from a plain <script type="module">,
//                                 relative imports
//       prebuilt-importmap.html   the bundles by bare specifier ('se-kernels', 'se-kernels/core',
//                                 'se-kernels/testing') under an import map; the copies recognise
//                                 each other's classes; the README's property test with the page's
//                                 own fast-check; served again as prebuilt-importmap-min.html
//                                 mapping the .min files
//       prebuilt-csp(-min).html   dist/browser/se-kernels-core(.min).js under the strict CSP
//     and each page's results are compared with Node's (dist/esm, same inputs) bit for bit (base64
//     of the Float32Array bytes), its entries' export names with dist/esm's, and the prebuilt
//     files' classes must keep their names (SEBlock.name === 'SEBlock', also minified);
//  5. example.html, the page of docs/browsers.md (import map, inline module script, verbatim), runs in
//     Chromium and its inline script runs in Node against dist/esm: the printed text must match.
//  6. se-kernels/threads (dist/browser/se-kernels-threads.js and its worker files), pages served
//     with `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy:
//     require-corp` (the worker files too): crossOriginIsolated, async pool calls bit-identical
//     to Node's one thread (inputs in ordinary and in shared memory), a workspace and cache of
//     se-kernels-core.js accepted by the pool, sync calls refused on the main thread
//     (SEBlockingError) and run in a Web Worker; faults (a worker's error event, a worker
//     terminated, a share slower than timeoutMs, close() while a call awaits, a second call while
//     one is pending) through a test bundle with the library's fault hooks; a page closed mid-call;
//     the fallback without the headers and with a CSP refusing workers (threads 1,
//     fallbackReason); and it prints the pool's speed against one thread on (8, 64, 56, 56).
// Prints `browser: N passed, M failed` and exits non-zero on any failure. Installs nothing.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PAGES = join(ROOT, 'scripts/browser');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CSP = "script-src 'self'";
/** The two headers that make a page cross-origin isolated (SharedArrayBuffer, worker threads). */
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
const CSP_NO_WORKERS = "script-src 'self'; worker-src 'none'";
const DEADLINE_MS = 240_000; // the whole run, including Chromium start-up
const PAGE_TIMEOUT_MS = 30_000;

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` -- ${detail}` : ''}`);
}
function finish(code) {
  console.log(`browser: ${passed} passed, ${failed} failed`);
  process.exit(code ?? (failed > 0 || passed === 0 ? 1 : 0));
}

// ---- preconditions ------------------------------------------------------------------------
if (!existsSync(CHROMIUM)) {
  console.error(
    `browser-test: Chromium not found at ${CHROMIUM}. Install Debian's package first:\n` +
      '  apt-get update && apt-get install -y chromium\n' +
      '(or set CHROMIUM_PATH to a Chromium binary).',
  );
  failed++;
  finish(1);
}
const PREBUILT = join(ROOT, 'dist/browser');
const PREBUILT_ENTRIES = ['se-kernels', 'se-kernels-core', 'se-kernels-testing'].flatMap((n) => [`${n}.js`, `${n}.min.js`]);
for (const f of ['dist/esm/index.js', 'dist/esm/core.js', 'dist/esm/testing/index.js', ...PREBUILT_ENTRIES.map((n) => `dist/browser/${n}`)]) {
  if (!existsSync(join(ROOT, f))) {
    console.error(`browser-test: ${f} is missing: run \`npm run build\` first (npm run test:browser does).`);
    failed++;
    finish(1);
  }
}

let esbuild;
let chromium;
try {
  esbuild = await import('esbuild');
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  console.error(`browser-test: devDependencies missing (esbuild, playwright-core): run \`npm ci\`. ${e.message}`);
  failed++;
  finish(1);
}

// Resources to release on every exit path.
let server = null;
let context = null;
let profileDir = null;
async function cleanup() {
  if (context !== null) await context.close().catch(() => {});
  context = null;
  if (server !== null) {
    server.closeAllConnections?.();
    await new Promise((r) => server.close(() => r()));
  }
  server = null;
  if (profileDir !== null) rmSync(profileDir, { recursive: true, force: true, maxRetries: 3 });
  profileDir = null;
}
/**
 * Runs a page's inline module script in Node: written into a temp folder whose
 * node_modules/se-kernels links to this repo (so 'se-kernels' is dist/esm, by the package's
 * exports), with a stand-in `document` whose `#out` element collects the text the page shows.
 */
async function runInNode(script) {
  const dir = mkdtempSync(join(tmpdir(), 'se-kernels-example-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules/se-kernels'), 'dir');
    writeFileSync(join(dir, 'example.mjs'), script);
    const out = { textContent: 'running...' };
    globalThis.document = { querySelector: (sel) => (sel === '#out' ? out : null) };
    await import(pathToFileURL(join(dir, 'example.mjs')).href);
    return out.textContent;
  } finally {
    delete globalThis.document;
    rmSync(dir, { recursive: true, force: true });
  }
}

// A closed stdout (e.g. `| head`) or a signal must not skip the clean-up.
process.stdout.on('error', () => {});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    failed++;
    cleanup().finally(() => finish(1));
  });
}
const watchdog = setTimeout(() => {
  console.error(`browser-test: still running after ${DEADLINE_MS / 1000} s, giving up`);
  failed++;
  cleanup().finally(() => finish(1));
}, DEADLINE_MS);
watchdog.unref();

try {
  // ---- 1. bundles -------------------------------------------------------------------------
  const t0 = Date.now();
  const built = await esbuild.build({
    entryPoints: {
      'se-kernels': join(ROOT, 'dist/esm/index.js'),
      'se-kernels-core': join(ROOT, 'dist/esm/core.js'),
      'se-kernels-testing': join(ROOT, 'dist/esm/testing/index.js'),
    },
    bundle: true,
    // One build of the three entries with shared chunks, as an application bundler would do: the
    // entries then share one copy of the library's modules. (The prebuilt files of dist/browser
    // are separate copies instead, which work together through the classes' Symbol.for brand.)
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    outdir: join(ROOT, '.browser-bundles'), // not written (write: false); names the outputs
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const bundles = {};
  for (const f of built.outputFiles) bundles[f.path.slice(f.path.lastIndexOf('/') + 1)] = f.text;
  /** The output files an entry loads (itself and its chunks, transitively) and their inputs. */
  const closure = (name) => {
    const seen = new Set();
    const visit = (out) => {
      if (seen.has(out)) return;
      seen.add(out);
      for (const imp of built.metafile.outputs[out]?.imports ?? []) if (imp.kind === 'import-statement') visit(imp.path);
    };
    visit(join('.browser-bundles', name));
    const outs = [...seen];
    return { files: outs.map((o) => o.slice(o.lastIndexOf('/') + 1)), inputs: outs.flatMap((o) => Object.keys(built.metafile.outputs[o]?.inputs ?? {})) };
  };
  const sizeOf = (name) => closure(name).files.reduce((s, f) => s + (bundles[f]?.length ?? 0), 0);
  const sizes = ['se-kernels.js', 'se-kernels-core.js', 'se-kernels-testing.js'].map((k) => `${k} ${(sizeOf(k) / 1024).toFixed(1)} KiB with its chunks`);
  check('esbuild bundles the main entry, ./core and ./testing (esm, platform browser, shared chunks)', built.errors.length === 0 && ['se-kernels.js', 'se-kernels-core.js', 'se-kernels-testing.js'].every((k) => k in bundles), `${sizes.join(', ')}; ${Object.keys(bundles).length} files in ${Date.now() - t0} ms`);
  check('main bundle includes scijs ndarray', closure('se-kernels.js').inputs.some((p) => p.includes('node_modules/ndarray/')));
  const core = closure('se-kernels-core.js');
  const coreDeps = core.inputs.filter((p) => p.includes('node_modules/'));
  const coreEval = core.files.filter((f) => /\bnew Function\b|\beval\(/.test(bundles[f]));
  check('core bundle (with its chunks) has no dependency and no eval / new Function', coreDeps.length === 0 && coreEval.length === 0, coreDeps.length ? `inputs: ${coreDeps.join(', ')}` : coreEval.length ? `new Function / eval( in ${coreEval.join(', ')}` : '');

  // ---- 2. the prebuilt bundles, statically -----------------------------------------------
  // esbuild reads each prebuilt file with every bare import left external: a self-contained file
  // is its one input and imports nothing (so it can be copied alone, or served from any URL).
  for (const name of PREBUILT_ENTRIES) {
    const b = await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: [join(PREBUILT, name)],
      bundle: true,
      packages: 'external',
      format: 'esm',
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.entries(b.metafile.inputs);
    const imports = inputs.flatMap(([, i]) => i.imports.map((imp) => imp.original ?? imp.path));
    const text = readFileSync(join(PREBUILT, name), 'utf8');
    check(`prebuilt ${name}: self-contained (imports nothing)`, inputs.length === 1 && imports.length === 0, imports.length ? `imports ${imports.join(', ')}` : `${(Buffer.byteLength(text) / 1024).toFixed(1)} KiB`);
    if (name.startsWith('se-kernels-core')) check(`prebuilt ${name}: no new Function / eval`, !/\bnew Function\b|\beval\s*\(/.test(text));
    if (name === 'se-kernels.js') check('prebuilt se-kernels.js: holds scijs ndarray', text.includes('// node_modules/ndarray/ndarray.js'));
  }
  // The page's own fast-check for the import-map page (one ESM file, as a CDN would serve it).
  const vendorFastCheck = (await esbuild.build({ entryPoints: [join(ROOT, 'node_modules/fast-check/lib/fast-check.js')], bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent' })).outputFiles[0].text;

  // ---- 3. server --------------------------------------------------------------------------
  const files = {};
  for (const [name, text] of Object.entries(bundles)) files[`/${name}`] = { body: text, type: 'text/javascript' };
  for (const name of ['cases.mjs', 'main-page.mjs', 'core-page.mjs', 'csp-main-page.mjs', 'csp-probe.js']) {
    files[`/${name}`] = { body: readFileSync(join(PAGES, name), 'utf8'), type: 'text/javascript' };
  }
  for (const name of ['main.html', 'csp.html', 'csp-main.html']) {
    files[`/${name}`] = { body: readFileSync(join(PAGES, name), 'utf8'), type: 'text/html; charset=utf-8', csp: name.startsWith('csp') };
  }
  // /app/: a project folder with se-kernels "installed" (dist/browser as built) and its pages.
  const INSTALLED = '/app/node_modules/se-kernels/dist/browser/';
  for (const name of readdirSync(PREBUILT)) {
    const type = name.endsWith('.js') ? 'text/javascript' : name.endsWith('.map') ? 'application/json' : 'text/plain; charset=utf-8';
    files[`${INSTALLED}${name}`] = { body: readFileSync(join(PREBUILT, name)), type };
  }
  for (const name of ['cases.mjs', 'prebuilt-run.mjs', 'prebuilt-csp-page.mjs', 'prebuilt-csp-min-page.mjs', 'csp-probe.js']) {
    files[`/app/${name}`] = { body: readFileSync(join(PAGES, name), 'utf8'), type: 'text/javascript' };
  }
  for (const name of ['prebuilt-script.html', 'prebuilt-importmap.html', 'prebuilt-csp.html', 'prebuilt-csp-min.html', 'example.html']) {
    files[`/app/${name}`] = { body: readFileSync(join(PAGES, name), 'utf8'), type: 'text/html; charset=utf-8', csp: name.startsWith('prebuilt-csp') };
  }
  files['/app/vendor/fast-check.js'] = { body: vendorFastCheck, type: 'text/javascript' };
  // se-kernels/threads: isolated pages (and every script they start, workers included, served
  // with the same headers), the fallback page without them, and a page whose CSP refuses workers.
  for (const name of readdirSync(PREBUILT)) if (name.startsWith('se-kernels-threads')) files[`${INSTALLED}${name}`].iso = true;
  const faultsBundle = await esbuild.build({ entryPoints: [join(PAGES, 'threads-faults-entry.mjs')], bundle: true, format: 'esm', platform: 'browser', target: 'es2020', write: false, logLevel: 'silent' });
  files[`${INSTALLED}se-kernels-threads-faults.js`] = { body: faultsBundle.outputFiles[0].text, type: 'text/javascript', iso: true };
  for (const name of ['threads-cases.mjs', 'threads-page.mjs', 'threads-worker-user.mjs', 'threads-fallback-page.mjs', 'threads-faults-page.mjs', 'threads-closing-page.mjs']) {
    files[`/app/${name}`] = { body: readFileSync(join(PAGES, name), 'utf8'), type: 'text/javascript', iso: true };
  }
  for (const name of ['threads.html', 'threads-faults.html', 'threads-closing.html']) {
    files[`/app/${name}`] = { body: readFileSync(join(PAGES, name), 'utf8'), type: 'text/html; charset=utf-8', iso: true };
  }
  files['/app/threads-fallback.html'] = { body: readFileSync(join(PAGES, 'threads-fallback.html'), 'utf8'), type: 'text/html; charset=utf-8' };
  files['/app/threads-csp.html'] = { ...files['/app/threads-fallback.html'], iso: true, cspValue: CSP_NO_WORKERS };
  // The import-map page once more, mapping the minified files.
  const importMapPage = files['/app/prebuilt-importmap.html'].body;
  const importMapMin = importMapPage.replace(/(dist\/browser\/se-kernels(?:-core|-testing)?)\.js"/g, '$1.min.js"');
  files['/app/prebuilt-importmap-min.html'] = { ...files['/app/prebuilt-importmap.html'], body: importMapMin };
  server = createServer((req, res) => {
    const path = new URL(req.url, 'http://localhost').pathname;
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const f = req.method === 'GET' ? files[path] : undefined;
    if (f === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const headers = { 'content-type': f.type, 'cache-control': 'no-store' };
    if (f.csp) headers['content-security-policy'] = CSP;
    if (f.cspValue) headers['content-security-policy'] = f.cspValue;
    if (f.iso) Object.assign(headers, ISOLATION);
    res.writeHead(200, headers).end(f.body);
  });
  await new Promise((r, j) => server.once('error', j).listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;

  // ---- Node's results for the same cases --------------------------------------------------
  const nodeMain = await import(pathToFileURL(join(ROOT, 'dist/esm/index.js')).href);
  const nodeCore = await import(pathToFileURL(join(ROOT, 'dist/esm/core.js')).href);
  const nodeTesting = await import(pathToFileURL(join(ROOT, 'dist/esm/testing/index.js')).href);
  const { runAll, GRAD_TOL } = await import(pathToFileURL(join(PAGES, 'cases.mjs')).href);
  const expected = { main: runAll(nodeMain, nodeTesting), core: runAll(nodeCore, nodeTesting) };
  const names = (m) => Object.keys(m).sort();
  const expectedExports = { main: names(nodeMain), core: names(nodeCore), testing: names(nodeTesting) };
  for (const [entry, rs] of Object.entries(expected)) {
    for (const r of rs) if (r.error) check(`node ${entry}: ${r.name}`, false, r.error);
  }

  // ---- 4. Chromium --------------------------------------------------------------------------
  profileDir = mkdtempSync(join(tmpdir(), 'se-kernels-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 30_000,
  });

  /** Opens a page, waits for window.__seResult, returns it (or throws with the page's errors). */
  async function runPage(path) {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    try {
      const resp = await page.goto(`${base}${path}`, { timeout: PAGE_TIMEOUT_MS });
      const headers = resp === null ? {} : await resp.allHeaders();
      await page.waitForFunction(() => window.__seResult !== undefined, null, { timeout: PAGE_TIMEOUT_MS });
      const result = await page.evaluate(() => window.__seResult);
      return { result, errors, headers };
    } catch (e) {
      throw new Error(`${path}: ${e.message.split('\n')[0]}${errors.length ? `; page errors: ${errors.join(' | ')}` : ''}`);
    } finally {
      await page.close().catch(() => {});
    }
  }

  const float64Diffs = [];
  /** Compares one page's results with Node's, case by case. */
  function compare(label, got, want, expectKind) {
    for (let i = 0; i < want.length; i++) {
      const w = want[i];
      const g = got[i];
      const name = `${label}: ${w.name}`;
      if (g === undefined || g.error) {
        check(`${name}: runs in the page`, false, g ? g.error : 'no result');
        continue;
      }
      if (w.error) continue; // reported above
      const diff = Object.keys(w.arrays).filter((k) => g.arrays[k] !== w.arrays[k]);
      check(`${name}: y, dx, dw1, db1, dw2, db2 and SEBlock's y, dx, grads bit-identical to Node`, diff.length === 0, diff.length ? `differ: ${diff.join(', ')}` : '');
      const worst = Math.max(...Object.values(g.gradErrors));
      const errs = Object.entries(g.gradErrors).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(' ');
      check(`${name}: gradient check in the page (max rel err <= ${GRAD_TOL})`, worst <= GRAD_TOL, `${errs}; kink margin ${g.kinkMargin.toExponential(1)}, tie margin ${g.tieMargin === null ? 'inf' : Number(g.tieMargin).toExponential(1)}`);
      check(`${name}: tape gradCheck (squeezeExcitation) in the page`, g.tapeCheck.ok === true, `max error ${g.tapeCheck.maxError.toExponential(1)}${g.tapeCheck.ok ? '' : `: ${g.tapeCheck.message}`}`);
      // Not a check: the float64 reference uses Math.exp/tanh, whose last bits differ between
      // V8 versions (Node 20's and a current Chromium's do), so its errors may differ slightly.
      const bitsDiff = Object.keys(w.errorBits).filter((k) => g.errorBits[k] !== w.errorBits[k]);
      if (bitsDiff.length) float64Diffs.push(`${name} (${bitsDiff.join(', ')})`);
      check(`${name}: y (seForward's and SEBlock's) is a ${expectKind === 'ndarray' ? 'scijs ndarray' : 'plain tensor'}`, g.yKind === expectKind && g.blockYKind === expectKind, `got ${g.yKind}, ${g.blockYKind}`);
    }
  }

  // Main entry, ordinary page.
  try {
    const { result, errors } = await runPage('/main.html');
    console.log(`     (${result.userAgent})`);
    compare('main', result.results, expected.main, 'ndarray');
    check('main page: no page errors', errors.length === 0, errors.join(' | '));
  } catch (e) {
    check('main page loads and reports', false, e.message);
  }

  // ./core under `script-src 'self'`.
  try {
    const { result, errors, headers } = await runPage('/csp.html');
    check(`csp page served with Content-Security-Policy: ${CSP}`, headers['content-security-policy'] === CSP, `header: ${headers['content-security-policy']}`);
    check('csp active: new Function throws in the page', result.evalProbe?.blocked === true, result.evalProbe?.blocked ? result.evalProbe.error : `new Function ran, returned ${result.evalProbe?.value}`);
    const evalViolation = result.violations.find((v) => v.effectiveDirective === 'script-src' && v.blockedURI === 'eval');
    check('csp active: securitypolicyviolation fired for eval', evalViolation !== undefined, JSON.stringify(result.violations));
    check('csp active: the inline script was blocked', result.inlineRan === false);
    compare('core (strict CSP)', result.results, expected.core, 'plain');
    const unexpected = errors.filter((e) => !/Content Security Policy/i.test(e)); // the probe's own violations log CSP errors
    check('csp page: no page errors besides the probed CSP violations', unexpected.length === 0, unexpected.join(' | '));
  } catch (e) {
    check('csp page loads and reports', false, e.message);
  }

  /** The page's classes are called by their own names (error messages print them). */
  function compareClassNames(label, got) {
    const wrong = Object.entries(got).filter(([k, v]) => k !== v).map(([k, v]) => `${k} is called ${v}`);
    check(`${label}: classes keep their names (${Object.keys(got).length} checked)`, wrong.length === 0, wrong.join(', '));
  }

  /** Same export names as Node's dist/esm entry. */
  function compareExports(label, got, want) {
    const missing = want.filter((n) => !got.includes(n));
    const extra = got.filter((n) => !want.includes(n));
    check(`${label}: exports the same ${want.length} names as dist/esm`, missing.length === 0 && extra.length === 0, `${missing.length ? `missing: ${missing.join(', ')} ` : ''}${extra.length ? `extra: ${extra.join(', ')}` : ''}`);
  }

  // Prebuilt main bundle from a plain module script, relative imports.
  try {
    const { result, errors } = await runPage('/app/prebuilt-script.html');
    compareExports('script page: prebuilt se-kernels.js', result.exports.lib, expectedExports.main);
    compareClassNames('script page: prebuilt se-kernels.js', result.classNames);
    compareExports('script page: prebuilt se-kernels-testing.js', result.exports.testing, expectedExports.testing);
    compare('prebuilt script', result.results, expected.main, 'ndarray');
    check('prebuilt script page: no page errors', errors.length === 0, errors.join(' | '));
  } catch (e) {
    check('prebuilt script page loads and reports', false, e.message);
  }

  // The prebuilt bundles by bare specifier under an import map, then the .min ones.
  for (const [path, suffix] of [['/app/prebuilt-importmap.html', ''], ['/app/prebuilt-importmap-min.html', '.min']]) {
    try {
      const { result, errors } = await runPage(path);
      const label = suffix ? 'import map (.min files)' : 'import map';
      const mapped = files[path].body.match(suffix ? /se-kernels(-core|-testing)?\.min\.js"/g : /se-kernels(-core|-testing)?\.js"/g) ?? [];
      check(`${label}: the page maps the three ${suffix ? 'minified' : 'plain'} files`, mapped.length === 3, mapped.join(' '));
      compareExports(`${label}: prebuilt se-kernels${suffix}.js`, result.exports.lib, expectedExports.main);
      compareClassNames(`${label}: prebuilt se-kernels${suffix}.js`, result.classNames);
      compareExports(`${label}: prebuilt se-kernels-core${suffix}.js`, result.coreExports, expectedExports.core);
      compareExports(`${label}: prebuilt se-kernels-testing${suffix}.js`, result.exports.testing, expectedExports.testing);
      const notRecognised = Object.entries(result.crossCopy).filter(([, ok]) => !ok).map(([k]) => k);
      check(`${label}: the se-kernels and se-kernels/core files (two copies) recognise each other's instances`, notRecognised.length === 0, notRecognised.length ? `not: ${notRecognised.join(', ')}` : Object.keys(result.crossCopy).join(', '));
      compare(`prebuilt ${label}`, result.results, expected.main, 'ndarray');
      const p = result.property;
      check(`${label}: the README's property test (bundled seCaseArbitrary, the page's own fast-check)`, p.failed === false && p.numRuns > 0, p.failed ? p.message : `${p.numRuns} runs`);
      check(`${label}: no page errors`, errors.length === 0, errors.join(' | '));
    } catch (e) {
      check(`${path} loads and reports`, false, e.message);
    }
  }

  // Prebuilt core bundle (and its .min) under `script-src 'self'`.
  for (const [path, file] of [['/app/prebuilt-csp.html', 'se-kernels-core.js'], ['/app/prebuilt-csp-min.html', 'se-kernels-core.min.js']]) {
    try {
      const { result, errors, headers } = await runPage(path);
      const label = `prebuilt ${file} (strict CSP)`;
      const evalViolation = result.violations.find((v) => v.effectiveDirective === 'script-src' && v.blockedURI === 'eval');
      const cspOk = headers['content-security-policy'] === CSP && result.evalProbe?.blocked === true && evalViolation !== undefined && result.inlineRan === false;
      check(`${label}: page served with ${CSP}, eval and the inline script blocked`, cspOk, cspOk ? '' : `header ${headers['content-security-policy']}; eval probe ${JSON.stringify(result.evalProbe)}; inline ran ${result.inlineRan}; violations ${JSON.stringify(result.violations)}`);
      compareExports(label, result.exports.lib, expectedExports.core);
      compareClassNames(label, result.classNames);
      compare(label, result.results, expected.core, 'plain');
      const evalViolations = result.violations.filter((v) => v.blockedURI === 'eval').length;
      const unexpected = errors.filter((e) => !/Content Security Policy/i.test(e));
      check(`${label}: no page errors, no eval attempted besides the probe's`, unexpected.length === 0 && evalViolations === 1, `${unexpected.join(' | ')}${evalViolations !== 1 ? ` ${evalViolations} eval violations` : ''}`);
    } catch (e) {
      check(`${path} loads and reports`, false, e.message);
    }
  }

  // docs/browsers.md's page, verbatim; its inline module script also runs in Node against dist/esm.
  try {
    const html = readFileSync(join(PAGES, 'example.html'), 'utf8');
    const script = /<script type="module">([\s\S]*?)<\/script>/.exec(html)?.[1];
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    let shown;
    try {
      await page.goto(`${base}/app/example.html`, { timeout: PAGE_TIMEOUT_MS });
      await page.waitForFunction(() => document.querySelector('#out')?.textContent !== 'running...', null, { timeout: PAGE_TIMEOUT_MS });
      shown = await page.evaluate(() => document.querySelector('#out').textContent);
    } finally {
      await page.close().catch(() => {});
    }
    const inNode = script === undefined ? undefined : await runInNode(script);
    check('docs/browsers.md page (example.html): runs in Chromium without errors', errors.length === 0 && /^step 100: /m.test(shown ?? ''), errors.length ? errors.join(' | ') : (shown ?? '').split('\n').slice(-1)[0]);
    check('docs/browsers.md page: prints what the same script prints in Node (dist/esm)', inNode !== undefined && shown === inNode, shown === inNode ? '' : `page:\n${shown}\nnode:\n${inNode}`);
  } catch (e) {
    check('docs/browsers.md page (example.html) loads and reports', false, e.message);
  }

  // ---- 6. se-kernels/threads -----------------------------------------------------------------
  const { runSingle } = await import(pathToFileURL(join(PAGES, 'threads-cases.mjs')).href);
  const single = runSingle(nodeCore);
  const differing = (got, want) => {
    if (!Array.isArray(got)) return [`no results: ${got}`];
    const bad = [];
    got.forEach((g, i) => {
      const w = want[i % want.length];
      for (const k of Object.keys(w)) if (g[k] !== w[k]) bad.push(`case ${i % want.length}${i >= want.length ? ' (shared inputs)' : ''} ${k}`);
    });
    return got.length === 0 ? ['none'] : bad;
  };

  // A page closed while its pool computes (before the other pages: they must not be affected).
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/app/threads-closing.html`, { timeout: PAGE_TIMEOUT_MS });
    await page.waitForFunction(() => window.__seResult?.started === true, null, { timeout: PAGE_TIMEOUT_MS });
    await new Promise((r) => setTimeout(r, 150));
    const t = Date.now();
    await page.close({ runBeforeUnload: false });
    check('threads: a page closed while its pool computes closes at once (the pages after it run as before)', errors.length === 0, `${Date.now() - t} ms${errors.length ? `; ${errors.join(' | ')}` : ''}`);
  } catch (e) {
    check('threads: closing page loads and closes', false, e.message);
  }

  try {
    const { result, errors, headers } = await runPage('/app/threads.html');
    const served = headers['cross-origin-opener-policy'] === 'same-origin' && headers['cross-origin-embedder-policy'] === 'require-corp';
    check('threads page: served with COOP same-origin and COEP require-corp; crossOriginIsolated is true', served && result.isolated === true, `isolated ${result.isolated}`);
    if (result.error) check('threads page runs', false, result.error);
    check('threads page: the pool computes with 2 threads, fallbackReason null', result.threads === 2 && result.fallbackReason === null, `threads ${result.threads}, fallbackReason ${result.fallbackReason}`);
    const bad = differing(result.async, single);
    check("threads page: seForwardAsync/seBackwardAsync (x, dy in ordinary and in shared memory) bit-identical to Node's one thread", bad.length === 0, bad.join(', '));
    check("threads page: a workspace made by se-kernels-core.js is accepted by the pool, the pool's cache by the core file's seBackward (same bits)", result.crossFile === true);
    check('threads page: sync seForward on the main thread throws SEBlockingError pointing at seForwardAsync', result.syncOnMain?.typed === true && /seForwardAsync/.test(result.syncOnMain.error), result.syncOnMain?.error);
    const w = result.inWorker ?? {};
    const wbad = w.error ? [w.error] : differing(w.sync, single);
    check("threads page: inside a Web Worker the sync seForward/seBackward run (2 threads) bit-identical to Node's", !w.error && w.threads === 2 && w.fallbackReason === null && wbad.length === 0, `threads ${w.threads}; ${wbad.join(', ')}`);
    check('threads page: no page errors', errors.length === 0, errors.join(' | '));
    if (result.speed) {
      const sp = result.speed;
      console.log(
        `info browser pool speed, (8, 64, 56, 56) async forward + backward, x in ordinary memory, 2 threads (hardwareConcurrency ${sp.hardwareConcurrency}): ` +
          `median of 9 paired ratios pool / one thread = ${sp.ratio.toFixed(2)} (medians ${sp.poolMs.toFixed(1)} ms vs ${sp.oneMs.toFixed(1)} ms; speedup ${(1 / sp.ratio).toFixed(2)}x; not asserted, the machine is shared)`,
      );
    }
  } catch (e) {
    check('threads page loads and reports', false, e.message);
  }

  try {
    const { result, errors } = await runPage('/app/threads-faults.html');
    if (result.error) check('threads faults page runs', false, result.error);
    for (const [name, what] of [['throwUncaught', /worker 1 threw: .*injected uncaught error/], ['terminate', /worker 1 was terminated/]]) {
      const f = result[name] ?? {};
      check(`threads faults: ${name} -> the call rejects with SEStateError naming it, in well under the 20 s timeout; the pool is closed`, /^SEStateError: SEThreads\.seForwardAsync: /.test(f.outcome ?? '') && what.test(f.outcome) && f.maxMs < 10000 && what.test(f.closedReason ?? ''), `${f.outcome} (${Math.round(f.maxMs)} ms)`);
    }
    check('threads faults: a share slower than timeoutMs rejects the call with SEStateError', /^SEStateError: SEThreads\.seForwardAsync: a worker did not finish its share within 300 ms/.test(result.slow ?? ''), result.slow);
    check('threads faults: close() while a call awaits its workers rejects it', /^SEStateError: SEThreads\.seForwardAsync: this pool is closed: it was closed by close\(\) \(during the call\)/.test(result.closeDuringCall ?? ''), result.closeDuringCall);
    check('threads faults: a second call while one is pending is refused; the first is right', /^SEStateError: SEThreads\.seForwardAsync: the pool is in use/.test(result.nested?.second ?? '') && result.nested?.firstRight === true, result.nested?.second);
    const unexpected = errors.filter((e) => !/injected uncaught error/.test(e));
    check('threads faults page: no page errors besides the injected one', unexpected.length === 0, unexpected.join(' | '));
  } catch (e) {
    check('threads faults page loads and reports', false, e.message);
  }

  for (const [path, label, reason] of [
    ['/app/threads-fallback.html', 'without COOP/COEP', /Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/],
    ['/app/threads-csp.html', `isolated, CSP ${CSP_NO_WORKERS}`, /worker-src 'self'/],
  ]) {
    try {
      const { result, errors } = await runPage(path);
      if (result.error) check(`threads fallback (${label}) runs`, false, result.error);
      check(`threads fallback (${label}): no throw; threads 1, fallbackReason says why and what to change`, result.threads === 1 && reason.test(result.fallbackReason ?? ''), `isolated ${result.isolated}; threads ${result.threads}; ${result.fallbackReason}`);
      const bad = differing(result.async, single);
      check(`threads fallback (${label}): async results bit-identical to Node's`, bad.length === 0, `${result.async?.length} results; ${bad.join(', ')}`);
      check(`threads fallback (${label}): sync call on the main thread throws SEBlockingError`, /^SEBlockingError: /.test(result.syncOnMain ?? ''), result.syncOnMain);
      const unexpected = errors.filter((e) => !/Content Security Policy|worker/i.test(e));
      check(`threads fallback (${label}): no page errors`, unexpected.length === 0, unexpected.join(' | '));
    } catch (e) {
      check(`threads fallback page (${label}) loads and reports`, false, e.message);
    }
  }

  // docs/threads.md's page, verbatim, served by docs/threads.md's server (a child process) from a
  // folder with se-kernels "installed" next to the page.
  {
    const dir = mkdtempSync(join(tmpdir(), 'se-kernels-serve-'));
    let child = null;
    try {
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(ROOT, join(dir, 'node_modules/se-kernels'), 'dir');
      copyFileSync(join(PAGES, 'threads-example.html'), join(dir, 'index.html'));
      copyFileSync(join(PAGES, 'threads-serve.mjs'), join(dir, 'serve.mjs'));
      const port = await new Promise((r) => {
        const probe = createServer().listen(0, '127.0.0.1', () => {
          const p = probe.address().port;
          probe.close(() => r(p));
        });
      });
      child = spawn(process.execPath, ['serve.mjs'], { cwd: dir, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
      await new Promise((r, j) => {
        child.stdout.once('data', r);
        child.once('exit', (code) => j(new Error(`serve.mjs exited with code ${code}`)));
      });
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      try {
        const resp = await page.goto(`http://localhost:${port}/`, { timeout: PAGE_TIMEOUT_MS });
        const h = resp === null ? {} : await resp.allHeaders();
        await page.waitForFunction(() => document.querySelector('#out')?.textContent !== 'running...', null, { timeout: PAGE_TIMEOUT_MS });
        const shown = await page.evaluate(() => document.querySelector('#out').textContent);
        check("docs/threads.md's server sends COOP same-origin and COEP require-corp", h['cross-origin-opener-policy'] === 'same-origin' && h['cross-origin-embedder-policy'] === 'require-corp', JSON.stringify(h));
        const ok = /^isolated: true, threads: 2$/m.test(shown) && /^fallback: none$/m.test(shown) && /bit-identical to one thread: true/.test(shown) && errors.length === 0;
        check("docs/threads.md's page, served by it: isolated, 2 threads, no fallback, y bit-identical to one thread", ok, `${shown.replace(/\n/g, ' | ')}${errors.length ? `; errors: ${errors.join(' | ')}` : ''}`);
      } finally {
        await page.close().catch(() => {});
      }
    } catch (e) {
      check("docs/threads.md's page and server run", false, e.message);
    } finally {
      child?.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  if (float64Diffs.length) {
    console.log(`info the float64 reference's gradient-check errors differ from Node's in the last bits (engine Math.* differ) for: ${float64Diffs.join('; ')}`);
  }

  // Information only: the main entry under the same policy (README: use ./core there).
  try {
    const { result } = await runPage('/csp-main.html');
    console.log(`info main entry under ${CSP}: ${result.outcome.ran ? 'runs' : `fails: ${result.outcome.error}`}`);
  } catch (e) {
    console.log(`info main entry under ${CSP}: page did not report (${e.message})`);
  }
} catch (e) {
  check('browser test ran to the end', false, e.stack || String(e));
} finally {
  await cleanup();
  clearTimeout(watchdog);
}
finish();
