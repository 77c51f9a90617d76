/**
 * The code blocks of docs/*.md (and the README's non-TypeScript ones) against what runs: the browser
 * page is scripts/browser/example.html (which `npm run test:browser` runs in Chromium), every line
 * of a ```js example is run by the threads fixture, the cost table's printed counts are what
 * demo/cost-table.ts prints, every line of a ```ts example in docs/ is in a test file, and no
 * docs page holds an example in a language this suite does not check.
 * (The README's ```ts examples: test/readme.test.ts; its ```python recipe: test/interop.recipe.test.ts.)
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { format } from 'node:util';

const ROOT = resolve(__dirname, '..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const DOCS = readdirSync(join(ROOT, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => ({ name: `docs/${f}`, text: read(`docs/${f}`) }));
const ALL = [{ name: 'README.md', text: read('README.md') }, ...DOCS];

/** The ```<lang> blocks of a markdown text. */
function blocks(text: string, lang: string): string[] {
  return [...text.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
}

test('the browser page in docs/browsers.md is scripts/browser/example.html (npm run test:browser runs it)', () => {
  const page = read('scripts/browser/example.html');
  expect(blocks(read('docs/browsers.md'), 'html')).toContain(page);
});

test('every code line of a js example (README or docs) is run by the threads fixture', () => {
  const fixture = read('test/fixtures/threads-check.mjs');
  // docs/threads.md's server is a whole file that test:browser serves pages with (test/docs.threads.test.ts checks it verbatim).
  const server = read('scripts/browser/threads-serve.mjs');
  const missing = ALL.flatMap((d) =>
    blocks(d.text, 'js').filter((b) => b !== server).flatMap((b) => b.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('import ') && !fixture.includes(l))),
  );
  expect(missing).toEqual([]);
});

test("docs/cost-table.md's exact counts are what demo/cost-table.ts prints, and its command runs that script", () => {
  const printed: string[] = [];
  const spy = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    printed.push(format(...args));
  });
  try {
    jest.isolateModules(() => {
      require('../demo/cost-table.ts');
    });
  } finally {
    spy.mockRestore();
  }
  const doc = read('docs/cost-table.md');
  const plain = blocks(doc, '');
  expect(plain).toHaveLength(2);
  expect(printed.join('\n').endsWith(plain[0].trimEnd())).toBe(true);
  expect(plain[1]).toBe('npm run build:scripts && node build/js/demo/cost-table.js\n');
  expect(read('demo/cost-table.ts')).toContain('Run: `npm run build:scripts && node build/js/demo/cost-table.js`');
});

test('every code line of a ts example in docs/ is run by a test file (README: test/readme.test.ts, line for line)', () => {
  const tests = readdirSync(join(ROOT, 'test'))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => read(`test/${f}`))
    .join('\n');
  const missing = DOCS.flatMap((d) =>
    blocks(d.text, 'ts').flatMap((b) => b.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('import ') && !tests.includes(l)).map((l) => `${d.name}: ${l}`)),
  );
  expect(missing).toEqual([]);
});

test('no docs page holds an example in a language this suite does not check', () => {
  const langs = DOCS.flatMap((d) => [...d.text.matchAll(/^```(\w*)$/gm)].map((m) => `${d.name}: ${m[1] || '(plain)'}`));
  // docs/checkpoints.md's python block: test/docs.checkpoints.test.ts checks each line is in make-fixtures.py, which runs it.
  const unchecked = langs.filter((l) => !/: (html|js|ts|\(plain\))$/.test(l) && l !== 'docs/checkpoints.md: python');
  expect(unchecked).toEqual([]);
});
