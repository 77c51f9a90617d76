/**
 * The suites that run the built package (dist/, made by `npm run build`, which `npm test` runs
 * first) call {@link requireBuild}: without a build they fail with a message saying how to make
 * one, instead of being skipped (a skipped suite would let a broken build pass unnoticed).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const ENTRIES = ['dist/esm/index.js', 'dist/esm/core.js', 'dist/esm/threads/index.js', 'dist/esm/testing/index.js', 'dist/cjs/index.js', 'dist/cjs/core.js'];

/** Throws unless every built entry exists. */
export function requireBuild(): void {
  const missing = ENTRIES.filter((f) => !existsSync(join(ROOT, f)));
  if (missing.length > 0) throw new Error(`the built package is missing ${missing.join(', ')}: run \`npm run build\` (npm test does)`);
}
