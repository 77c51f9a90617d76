// @ts-check
/**
 * Runs the browser bench page in headless Chromium (playwright-core, /usr/bin/chromium or
 * CHROMIUM=/path) from the COOP/COEP server, prints the page's markdown report, and writes it to
 * bench/results/browser.md (the page's JSON beside it).
 *
 *   node bench/browser/run.mjs [--quick] [--shapes=8x64x56x56,1x64x32x32] [--timeout-s=900]
 *   bench/run --browser [--quick] ...   (the same, after installing and building)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from './server.mjs';

const USAGE = 'usage: bench/run --browser [--quick] [--shapes=8x64x56x56,1x64x32x32] [--timeout-s=900]';
const args = process.argv.slice(2).filter((a) => a !== '--browser');
if (args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
for (const a of args) {
  if (!/^--(quick|shapes=[0-9x,]+|timeout-s=\d+)$/.test(a)) {
    console.error(`bench browser: unknown argument ${a}\n${USAGE}`);
    process.exit(2);
  }
}
/** @param {string} name */
const opt = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = args.includes('--quick');
const timeoutMs = Number(opt('timeout-s') ?? (quick ? 300 : 1200)) * 1000;
const query = new URLSearchParams();
if (quick) query.set('quick', '');
const shapes = opt('shapes');
if (shapes) query.set('shapes', shapes);

const server = await startServer(0);
const profile = mkdtempSync(join(tmpdir(), 'se-bench-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--js-flags=--expose-gc',
  ],
});
let code = 0;
try {
  const page = await context.newPage();
  page.on('pageerror', (e) => process.stderr.write(`  page error: ${e.message}\n`));
  page.on('console', (m) => process.stderr.write(`  page: ${m.text().split('\n')[0]}\n`));
  const url = `${server.url}?${query.toString()}`;
  process.stderr.write(`  bench page ${url}\n`);
  await page.goto(url);
  await page.waitForFunction(() => '__benchResult' in globalThis || '__benchError' in globalThis, null, { timeout: timeoutMs, polling: 500 });
  const error = await page.evaluate(() => /** @type {any} */ (globalThis).__benchError ?? null);
  if (error !== null) {
    console.error(`bench browser: the page failed: ${error}`);
    code = 1;
  } else {
    const result = await page.evaluate(() => /** @type {any} */ (globalThis).__benchResult);
    console.log(result.markdown);
    const dir = fileURLToPath(new URL('../results/', import.meta.url));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'browser.md'), `${result.markdown}\n`);
    writeFileSync(join(dir, 'browser.json'), `${JSON.stringify(result.json, null, 1)}\n`);
    process.stderr.write(`  wrote ${join(dir, 'browser.md')} and browser.json\n`);
  }
} finally {
  await context.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(code);
