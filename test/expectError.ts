/** Shared assertion for the library's typed errors. */
import type { SEError } from '../src/core.js';

/** Asserts that `f` throws an instance of `cls` whose message starts with `fn:` and matches every pattern. */
export function expectError(f: () => unknown, cls: new (m: string) => SEError, fn: string, ...patterns: RegExp[]): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(cls);
  const message = (caught as Error).message;
  expect(message.startsWith(`${fn}: `)).toBe(true);
  for (const p of patterns) expect(message).toMatch(p);
}
