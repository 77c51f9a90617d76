/**
 * docs/threads.md's code, kept in step with code that runs: every code line of its Node example is
 * run by test/fixtures/threads-check.mjs (test/threads.test.ts runs that, and
 * `npm run test:runtimes` under Bun and Deno); its page and its server are, verbatim,
 * scripts/browser/threads-example.html and scripts/browser/threads-serve.mjs, which
 * `npm run test:browser` serves and runs in Chromium.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const doc = readFileSync(join(ROOT, 'docs/threads.md'), 'utf8');
const blocks = (lang: string): string[] => [...doc.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);

test("every code line of docs/threads.md's Node example is run by the threads fixture", () => {
  const js = blocks('js');
  expect(js.length).toBe(2);
  const fixture = readFileSync(join(ROOT, 'test/fixtures/threads-check.mjs'), 'utf8');
  const missing = js[0].split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('import ') && !fixture.includes(l));
  expect(missing).toEqual([]);
});

test("docs/threads.md's browser page is scripts/browser/threads-example.html (npm run test:browser runs it)", () => {
  expect(blocks('html')).toEqual([readFileSync(join(ROOT, 'scripts/browser/threads-example.html'), 'utf8')]);
});

test("docs/threads.md's server is scripts/browser/threads-serve.mjs (npm run test:browser serves the page with it)", () => {
  expect(blocks('js')[1]).toBe(readFileSync(join(ROOT, 'scripts/browser/threads-serve.mjs'), 'utf8'));
});

test('docs/threads.md names the exact response headers', () => {
  expect(doc).toContain('Cross-Origin-Opener-Policy: same-origin\nCross-Origin-Embedder-Policy: require-corp');
});
