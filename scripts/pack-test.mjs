#!/usr/bin/env node
// Packaging test (`npm run test:pack`): what a user gets from the registry.
//  1. `npm pack` into a temp dir (the `prepack` script builds dist/ first);
//  2. the tarball holds only what users need (dist/esm, dist/cjs, dist/browser, README,
//     package.json, LICENSE) and every entry file, the prebuilt browser bundles and their
//     third-party licenses; its size is listed;
//  3. publint on the tarball: errors fail, warnings and suggestions are printed;
//  4. a fresh temp project installs the tarball (`npm install <tarball>`, which fetches ndarray
//     from the registry; then the optional peer fast-check, which `./testing` needs) and, from
//     there: main and ./core without fast-check, an ESM script importing all three entries, a CommonJS
//     script requiring them, a strict TypeScript project (NodeNext; an ESM .ts and a CommonJS .cts
//     file, fixtures in scripts/pack-fixture/) type-checked with the repo's tsc and run, an
//     esbuild browser bundle of `se-kernels` and `se-kernels/core` by package name, and the
//     prebuilt browser bundles by their `./browser` subpaths (Node import without fast-check, same
//     export names as the entries they bundle, their types under strict NodeNext);
//  5. the README's jest recipe, as written: a second fresh project ("type": "module") installs the
//     tarball and the README's `npm i -D jest ...` line, writes the README's jest.config.cjs and
//     property-test example (test/se.test.ts) and runs `npx jest`; then the same example as
//     test/se.test.mjs in a folder without a jest config, under NODE_OPTIONS=--experimental-vm-modules.
// Prints `pack: N passed, M failed` and exits non-zero on any failure. Removes its temp dir.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURE = join(ROOT, 'scripts/pack-fixture');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const DEADLINE_MS = 240_000;

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` -- ${detail}` : ''}`);
}
const info = (msg) => console.log(`info ${msg}`);

const tmp = mkdtempSync(join(tmpdir(), 'se-kernels-pack-'));
function finish() {
  rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  console.log(`pack: ${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || passed === 0 ? 1 : 0);
}
// A closed stdout (e.g. `| head`) or a signal must not skip the clean-up.
process.stdout.on('error', () => {});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    failed++;
    finish();
  });
}
const watchdog = setTimeout(() => {
  console.error(`pack-test: still running after ${DEADLINE_MS / 1000} s, giving up`);
  failed++;
  finish();
}, DEADLINE_MS);
watchdog.unref();

/** Runs a command (no shell), returns { status, out } with stdout+stderr; never throws. */
function run(cmd, args, cwd, timeout = 60_000) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, NO_COLOR: '1', npm_config_update_notifier: 'false' } });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.replace(/^npm warn Unknown user config "nodedir".*\n/gm, '');
  return { status: r.error ? -1 : r.status, out: r.error ? `${r.error.message}\n${out}` : out };
}
const tail = (s, n = 15) => s.trim().split('\n').slice(-n).join('\n       ');

/** Entries of a .tgz: [{ name, size }] (ustar headers; regular files only). */
function listTarball(file) {
  const buf = gunzipSync(readFileSync(file));
  const entries = [];
  let pos = 0;
  const str = (a, b) => buf.toString('utf8', pos + a, pos + b).replace(/\0.*$/s, '');
  while (pos + 512 <= buf.length) {
    if (buf[pos] === 0) break; // end-of-archive block
    const name = str(0, 100);
    const size = parseInt(str(124, 136).trim() || '0', 8);
    const type = String.fromCharCode(buf[pos + 156] || 48);
    const prefix = str(345, 500);
    if (type === '0' || type === '\0') entries.push({ name: prefix ? `${prefix}/${name}` : name, size });
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

try {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

  // ---- 1. npm pack --------------------------------------------------------------------------
  const packDir = join(tmp, 'tarball');
  mkdirSync(packDir);
  const t0 = Date.now();
  const packed = run('npm', ['pack', '--pack-destination', packDir], ROOT, 90_000);
  const tgzName = readdirSync(packDir).find((f) => f.endsWith('.tgz'));
  check('npm pack', packed.status === 0 && tgzName !== undefined, packed.status === 0 ? `${tgzName} in ${Date.now() - t0} ms` : tail(packed.out));
  if (tgzName === undefined) throw new Error('no tarball, cannot go on');
  if (!pkg.scripts?.prepack && !pkg.scripts?.prepare) info('package.json has no prepack/prepare script: `npm pack`/`npm publish` ship whatever dist/ holds');
  const tgz = join(packDir, tgzName);
  const tgzBytes = readFileSync(tgz);

  // ---- 2. contents ----------------------------------------------------------------------------
  const entries = listTarball(tgz);
  const names = entries.map((e) => e.name.replace(/^package\//, ''));
  const allowed = (n) => n === 'package.json' || /^README(\.md)?$/i.test(n) || /^LICEN[CS]E(\.md|\.txt)?$/i.test(n) || /^dist\/(esm|cjs|browser)\//.test(n);
  const extra = names.filter((n) => !allowed(n));
  check('tarball holds only package.json, README, LICENSE, dist/esm, dist/cjs, dist/browser', extra.length === 0, extra.length ? `unexpected: ${extra.slice(0, 10).join(', ')}${extra.length > 10 ? ` (+${extra.length - 10})` : ''}` : '');
  const required = ['package.json', 'README.md', 'dist/cjs/package.json', 'dist/browser/THIRD_PARTY_LICENSES.txt'];
  for (const n of ['se-kernels', 'se-kernels-core', 'se-kernels-testing']) required.push(`dist/browser/${n}.js`, `dist/browser/${n}.min.js`);
  const targets = (v) => (typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(targets) : []);
  for (const t of [pkg.main, pkg.module, pkg.types, pkg.unpkg, pkg.jsdelivr, ...targets(pkg.exports)]) if (t) required.push(t.replace(/^\.\//, ''));
  const missing = [...new Set(required)].filter((r) => !names.includes(r));
  check('tarball holds every main/module/types/unpkg/jsdelivr/exports target, dist/cjs/package.json, the browser bundles and their licenses', missing.length === 0, missing.length ? `missing: ${missing.join(', ')}` : '');
  const cjsPkg = entries.find((e) => e.name === 'package/dist/cjs/package.json');
  check('dist/cjs/package.json marks the CommonJS build', cjsPkg !== undefined);
  if (!names.some((n) => /^LICEN[CS]E/i.test(n))) info(`no LICENSE file in the tarball (package.json says "license": "${pkg.license}")`);
  const unpacked = entries.reduce((s, e) => s + e.size, 0);
  const under = (dir) => names.filter((n) => n.startsWith(dir));
  const dtsIn = (dir) => under(dir).filter((n) => n.endsWith('.d.ts')).length;
  info(`tarball ${tgzName}: ${(tgzBytes.length / 1024).toFixed(1)} KiB packed, ${(unpacked / 1024).toFixed(1)} KiB unpacked, ${names.length} files (dist/esm ${under('dist/esm/').length} incl. ${dtsIn('dist/esm/')} .d.ts, dist/cjs ${under('dist/cjs/').length} incl. ${dtsIn('dist/cjs/')} .d.ts, dist/browser ${under('dist/browser/').length} = ${(entries.filter((e) => e.name.startsWith('package/dist/browser/')).reduce((s, e) => s + e.size, 0) / 1024).toFixed(1)} KiB)`);

  // ---- 3. publint -----------------------------------------------------------------------------
  try {
    const { publint } = await import('publint');
    const { formatMessage } = await import('publint/utils');
    const ab = tgzBytes.buffer.slice(tgzBytes.byteOffset, tgzBytes.byteOffset + tgzBytes.byteLength);
    const { messages, pkg: linted } = await publint({ pack: { tarball: ab }, level: 'suggestion' });
    const byType = (t) => messages.filter((m) => m.type === t);
    for (const m of messages) console.log(`     publint ${m.type}: ${formatMessage(m, linted, { color: false })}`);
    check('publint: no errors', byType('error').length === 0, `${byType('error').length} errors, ${byType('warning').length} warnings, ${byType('suggestion').length} suggestions`);
  } catch (e) {
    check('publint runs', false, e.message);
  }

  // ---- 4. a fresh project installs the tarball -------------------------------------------------
  const proj = join(tmp, 'project');
  mkdirSync(proj);
  writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'se-kernels-pack-fixture', version: '0.0.0', private: true, type: 'module' }, null, 2));
  const t1 = Date.now();
  const inst = run('npm', ['install', '--no-audit', '--no-fund', tgz], proj, 90_000);
  const installedPkg = join(proj, 'node_modules/se-kernels/package.json');
  check('npm install <tarball> in a fresh project', inst.status === 0 && existsSync(installedPkg), inst.status === 0 ? `${Date.now() - t1} ms` : tail(inst.out));
  if (!existsSync(installedPkg)) throw new Error('install failed, cannot go on');
  const installed = readdirSync(join(proj, 'node_modules'))
    .filter((n) => !n.startsWith('.'))
    .flatMap((n) => (n.startsWith('@') ? readdirSync(join(proj, 'node_modules', n)).map((m) => `${n}/${m}`) : [n]));
  info(`installed packages: ${installed.join(', ')}`);
  const deps = Object.keys(pkg.dependencies ?? {});
  const strangers = installed.filter((n) => n !== 'se-kernels' && !deps.includes(n) && !['iota-array', 'is-buffer'].includes(n));
  check('installing pulls in only the runtime dependencies', strangers.length === 0, strangers.length ? `also: ${strangers.join(', ')}` : '');

  // Without the optional peer fast-check: the main entry and ./core must load, both ways.
  const bare = run('node', ['--input-type=module', '-e', "const m = await import('se-kernels'); const c = await import('se-kernels/core'); if (typeof m.seForward !== 'function' || typeof c.seForward !== 'function') process.exit(1);"], proj);
  check('without fast-check: import of se-kernels and se-kernels/core works', bare.status === 0, tail(bare.out, 4));
  const bareCjs = run('node', ['-e', "const m = require('se-kernels'); const c = require('se-kernels/core'); if (typeof m.seForward !== 'function' || typeof c.seForward !== 'function') process.exit(1);"], proj);
  check('without fast-check: require of se-kernels and se-kernels/core works', bareCjs.status === 0, tail(bareCjs.out, 4));
  const bareTesting = run('node', ['--input-type=module', '-e', "await import('se-kernels/testing');"], proj);
  const missingFc = /Cannot find (package|module) 'fast-check'/.exec(bareTesting.out);
  // The prebuilt browser bundles by their subpaths: plain ES modules, so Node loads them too. The
  // testing bundle carries its own fast-check, so it loads without the peer.
  const browserNames = run('node', ['--input-type=module', '-e', [
    "const names = (m) => Object.keys(m).sort().join();",
    "const pairs = [['se-kernels', 'se-kernels/browser'], ['se-kernels/core', 'se-kernels/browser/core']];",
    "for (const [a, b] of pairs) if (names(await import(a)) !== names(await import(b))) { console.log(`${b} exports other names than ${a}`); process.exit(1); }",
    "const t = await import('se-kernels/browser/testing');",
    "if (typeof t.seCaseArbitrary().generate !== 'function' || typeof t.gradCheck !== 'function') process.exit(1);",
  ].join('\n')], proj);
  check('without fast-check: se-kernels/browser, /browser/core and /browser/testing import in Node (same names as se-kernels, se-kernels/core; fast-check bundled into testing)', browserNames.status === 0, tail(browserNames.out, 4));
  info(`without fast-check, import('se-kernels/testing') ${bareTesting.status === 0 ? 'works' : missingFc ? `fails: ${missingFc[0]} (fast-check is an optional peer the testing entry needs)` : `fails: ${tail(bareTesting.out, 2)}`}`);

  // The testing entry needs the optional peer fast-check: install it as its users would.
  const peers = Object.keys(pkg.peerDependencies ?? {});
  if (peers.length > 0) {
    const specs = peers.map((n) => `${n}@${pkg.devDependencies?.[n] ?? pkg.peerDependencies[n]}`);
    const peerInst = run('npm', ['install', '--no-audit', '--no-fund', ...specs], proj, 90_000);
    check(`npm install of the peer dependencies (${specs.join(', ')})`, peerInst.status === 0, peerInst.status === 0 ? '' : tail(peerInst.out));
  }

  for (const f of readdirSync(FIXTURE)) copyFileSync(join(FIXTURE, f), join(proj, f));

  /** Runs a fixture script and counts its `ok` / `FAIL` lines. */
  function fixture(label, args) {
    const r = run('node', args, proj);
    const lines = r.out.split('\n');
    let seen = 0;
    for (const line of lines) {
      const m = /^(ok|FAIL) (.*)$/.exec(line);
      if (m) {
        seen++;
        check(m[2], m[1] === 'ok');
      }
    }
    if (r.status !== 0 || seen === 0) check(`${label} exits 0`, false, `exit ${r.status}\n       ${tail(r.out)}`);
  }
  fixture('ESM script', ['esm.mjs']);
  fixture('CommonJS script', ['cjs.cjs']);

  // Strict TypeScript, NodeNext.
  if (!existsSync(TSC)) {
    check('typescript available', false, `${TSC} missing: run npm ci in the repo`);
  } else {
    const tsc = run('node', [TSC, '-p', 'tsconfig.json'], proj);
    const ver = run('node', [TSC, '--version'], proj).out.trim();
    check(`tsc (${ver}) type-checks a strict NodeNext project using all three entries (ESM .ts + CommonJS .cts)`, tsc.status === 0, tsc.status === 0 ? '' : `\n       ${tail(tsc.out, 30)}`);
    if (tsc.status === 0) {
      const cjsOut = readFileSync(join(proj, 'out/cjs-main.cjs'), 'utf8');
      check('the .cts compiles to require() calls', /require\("se-kernels"\)/.test(cjsOut) && /require\("se-kernels\/core"\)/.test(cjsOut));
      fixture('compiled TypeScript (ESM)', ['out/main.js']);
      fixture('compiled TypeScript (CommonJS)', ['out/cjs-main.cjs']);
    }
    // The same project with "module": "node16" (TS < 5.8 users, or anyone pinning node16/node18),
    // where a CommonJS file may not import ESM-format types: the "require" condition needs
    // CommonJS-format .d.ts of its own. Hard check once the exports map gives `require` its own
    // "types"; until then a warning (publint's EXPORTS_TYPES_INVALID_FORMAT is the same problem).
    const node16 = run('node', [TSC, '-p', 'tsconfig.json', '--module', 'node16', '--moduleResolution', 'node16', '--noEmit'], proj);
    const requireTypes = Object.values(pkg.exports ?? {}).every((v) => typeof v === 'string' || typeof v?.require?.types === 'string');
    const label = 'tsc with "module": "node16" type-checks the CommonJS .cts consumer';
    if (node16.status === 0 || requireTypes) check(label, node16.status === 0, node16.status === 0 ? '' : `\n       ${tail(node16.out, 10)}`);
    else console.log(`warn ${label}: no (known: the "require" condition resolves ESM-format types)\n       ${tail(node16.out, 3)}`);

    // The ./browser subpaths carry the types of the entries they bundle.
    writeFileSync(
      join(proj, 'browser-types.ts'),
      [
        "import { SEBlock, seForward, type NdArray } from 'se-kernels/browser';",
        "import { seForward as coreForward, type PlainTensor } from 'se-kernels/browser/core';",
        "import { gradCheck } from 'se-kernels/browser/testing';",
        'const block = new SEBlock({ channels: 4, reduction: 2, seed: 1 });',
        'const x = { data: new Float32Array(2 * 4 * 3), shape: [2, 4, 3] };',
        'const y: NdArray<Float32Array> = block.forward(x);',
        'const z: NdArray<Float32Array> = seForward(x, block.params).y;',
        'const p: PlainTensor = coreForward(x, block.params).y;',
        'export const used = [y, z, p, gradCheck];',
        '',
      ].join('\n'),
    );
    writeFileSync(join(proj, 'tsconfig.browser.json'), JSON.stringify({ extends: './tsconfig.json', compilerOptions: { noEmit: true }, files: ['browser-types.ts'] }));
    const browserTsc = run('node', [TSC, '-p', 'tsconfig.browser.json'], proj);
    check('tsc type-checks imports of se-kernels/browser, /browser/core and /browser/testing (strict NodeNext)', browserTsc.status === 0, browserTsc.status === 0 ? '' : `\n       ${tail(browserTsc.out, 10)}`);
  }

  // se-kernels/threads from CommonJS: require() of the ESM entry (Node 20.19+ and 22.12+ load ES
  // modules with require; older versions say ERR_REQUIRE_ESM: use await import()), with a
  // workspace of the CommonJS core in the pool.
  {
    const [major, minor] = process.versions.node.split('.').map(Number);
    const script = [
      "const { SEThreads } = require('se-kernels/threads');",
      "const core = require('se-kernels/core');",
      'const pool = new SEThreads({ threads: 2, minElements: 0 });',
      'pool.ready().then(() => {',
      '  const x = { data: new Float32Array(4 * 8 * 16).map((_, i) => Math.sin(i)), shape: [4, 8, 16] };',
      '  const p = core.createSEParams({ channels: 8, hidden: 2, seed: 1 });',
      '  const y = pool.seForward(x, p, undefined, { workspace: new core.SEWorkspace() }).y.data;',
      '  const r = core.seForward(x, p).y.data;',
      "  console.log(JSON.stringify({ threads: pool.threads, same: y.every((v, i) => Object.is(v, r[i])) }));",
      '  pool.close();',
      '});',
    ].join('\n');
    const r = run('node', ['-e', script], proj);
    if (major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19)) {
      check(`require('se-kernels/threads') from CommonJS (Node ${process.versions.node}): the pool works with a CommonJS workspace, same bits`, r.status === 0 && r.out.trim() === '{"threads":2,"same":true}', tail(r.out));
    } else {
      check(`require('se-kernels/threads') on Node ${process.versions.node} (before require of ES modules) fails with ERR_REQUIRE_ESM`, /ERR_REQUIRE_ESM/.test(r.out), tail(r.out));
    }
  }

  // A browser bundle from the installed package, by package name.
  try {
    const esbuild = await import('esbuild');
    for (const [entry, mustNotEval] of [['se-kernels', false], ['se-kernels/core', true]]) {
      const b = await esbuild.build({
        stdin: { contents: `export * from '${entry}';`, resolveDir: proj, loader: 'js' },
        bundle: true,
        format: 'esm',
        platform: 'browser',
        write: false,
        logLevel: 'silent',
      });
      const text = b.outputFiles[0].text;
      const evalFree = !/\bnew Function\b/.test(text);
      check(`esbuild bundles '${entry}' from the installed package for the browser${mustNotEval ? ' without new Function' : ''}`, b.errors.length === 0 && (!mustNotEval || evalFree), `${(text.length / 1024).toFixed(1)} KiB`);
    }
    // se-kernels/threads through the `browser` condition: the prebuilt pool, its worker files
    // referenced with new URL('./file.js', import.meta.url); the worker files are in the tarball.
    const t = await esbuild.build({
      stdin: { contents: "export { SEThreads } from 'se-kernels/threads';", resolveDir: proj, loader: 'js' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(t.metafile.inputs);
    const tText = t.outputFiles[0].text;
    const workersShipped = ['se-kernels-threads-supervisor.js', 'se-kernels-threads-worker.js'].every((f) => existsSync(join(proj, 'node_modules/se-kernels/dist/browser', f)));
    check(
      "esbuild (platform browser) resolves 'se-kernels/threads' to dist/browser/se-kernels-threads.js, which finds its worker files by new URL(..., import.meta.url); they are in the tarball",
      inputs.some((i) => i.endsWith('dist/browser/se-kernels-threads.js')) && !inputs.some((i) => i.includes('dist/esm/threads')) && tText.includes('new URL("./se-kernels-threads-supervisor.js", import.meta.url)') && workersShipped,
      inputs.join(', '),
    );
  } catch (e) {
    check('esbuild bundles the installed package', false, (e.errors ?? []).map((x) => x.text).join('; ') || e.message);
  }

  // ---- 5. the README's jest recipe in a fresh project ----------------------------------------
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const installLine = /^npm i -D jest[^\n]*$/m.exec(readme)?.[0];
  const config = /`jest\.config\.cjs`[\s\S]*?```javascript\n([\s\S]*?)```/.exec(readme)?.[1];
  const example = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes('fc.assert('));
  const vmLine = readme.includes('`NODE_OPTIONS=--experimental-vm-modules npx jest`');
  check("the README's jest recipe is there (npm i -D line, jest.config.cjs, the property-test example, the .mjs alternative)", !!installLine && !!config && !!example && vmLine);
  if (installLine && config && example) {
    const jestProj = join(tmp, 'jest-project');
    mkdirSync(join(jestProj, 'test'), { recursive: true });
    writeFileSync(join(jestProj, 'package.json'), JSON.stringify({ name: 'jest-recipe', version: '1.0.0', private: true, type: 'module' }, null, 2));
    const t2 = Date.now();
    const own = run('npm', ['install', '--no-audit', '--no-fund', tgz], jestProj, 90_000);
    const [cmd, ...args] = installLine.split(/\s+/);
    const dev = run(cmd, [...args, '--no-audit', '--no-fund'], jestProj, 120_000);
    check(`a fresh ESM project: npm install <tarball>, then \`${installLine}\``, own.status === 0 && dev.status === 0, own.status === 0 && dev.status === 0 ? `${Date.now() - t2} ms` : tail(own.out + dev.out));
    const scriptWarnings = dev.out.split('\n').filter((l) => /^npm warn install-scripts +\S+@/.test(l)).map((l) => l.replace(/^npm warn install-scripts +/, '').replace(/ .*/, ''));
    info(`npm's install-scripts notice in that project names: ${scriptWarnings.join(', ') || 'nothing'}`);
    // The README names the packages of that notice and the command that settles it: check both.
    const deny = /`(npm install-scripts deny [^`]+)`/.exec(readme)?.[1];
    const named = deny?.split(/\s+/).slice(3) ?? [];
    const unnamed = scriptWarnings.map((n) => n.replace(/@[^@]*$/, '')).filter((n) => !named.includes(n));
    check("the README's `npm install-scripts deny ...` names every package of npm's notice", deny !== undefined && unnamed.length === 0, unnamed.length ? `not named: ${unnamed.join(', ')}` : deny ?? 'no deny command in the README');
    if (deny !== undefined) {
      const [c, ...a] = deny.split(/\s+/);
      run(c, a, jestProj, 60_000);
      const left = run('npm', ['install-scripts', 'ls'], jestProj, 60_000);
      check('after it, `npm install-scripts ls` lists nothing left to review', left.status === 0 && !/not yet covered/.test(left.out), tail(left.out, 5));
    }
    writeFileSync(join(jestProj, 'jest.config.cjs'), config);
    writeFileSync(join(jestProj, 'test/se.test.ts'), example);
    const jestBin = join(jestProj, 'node_modules/jest/bin/jest.js');
    const ts = run('npx', ['jest'], jestProj, 90_000);
    check("npx jest runs the README's property-test example as test/se.test.ts (@swc/jest transform)", ts.status === 0 && /Tests: +2 passed, 2 total/.test(ts.out), tail(ts.out, ts.status === 0 ? 3 : 20));
    // The other way: native ES modules, no transform and no config (its own package.json stops
    // jest's search for the parent's config; jest and the packages resolve from the parent).
    const mjsDir = join(jestProj, 'mjs');
    mkdirSync(join(mjsDir, 'test'), { recursive: true });
    writeFileSync(join(mjsDir, 'package.json'), JSON.stringify({ name: 'jest-recipe-mjs', private: true, type: 'module' }, null, 2));
    writeFileSync(join(mjsDir, 'test/se.test.mjs'), example);
    const r = spawnSync('node', [jestBin], { cwd: mjsDir, encoding: 'utf8', timeout: 90_000, env: { ...process.env, NO_COLOR: '1', NODE_OPTIONS: '--experimental-vm-modules' } });
    const mjsOut = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    check('NODE_OPTIONS=--experimental-vm-modules npx jest runs the same example as test/se.test.mjs, no transform', r.status === 0 && /Tests: +2 passed, 2 total/.test(mjsOut), tail(mjsOut, r.status === 0 ? 3 : 20));
  }
} catch (e) {
  check('pack test ran to the end', false, e.stack || String(e));
}
clearTimeout(watchdog);
finish();
