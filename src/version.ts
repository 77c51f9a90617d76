/**
 * Version counts of the arrays the library itself writes in place (an optimizer step, a block's
 * `loadStateDict`), as PyTorch counts a tensor's in-place ops: a backward compares the count with
 * the one its forward saw and names the writer. Users' own writes (`p.data[i] = v` on a plain
 * Float32Array) change no count; the tape and SEBlock catch those by comparing the values with a
 * private copy (see `Tape.parameter`).
 */

/** Writes counted per array (by identity; arrays never written by the library are absent, count 0). */
const VERSIONS = new WeakMap<Float32Array, { count: number; writer: string }>();

/**
 * Counts one in-place write of `a` by `writer` (e.g. `'Adam.step'`).
 * @internal
 */
export function bumpVersion(a: Float32Array, writer: string): void {
  const v = VERSIONS.get(a);
  if (v === undefined) VERSIONS.set(a, { count: 1, writer });
  else {
    v.count++;
    v.writer = writer;
  }
}

/**
 * The number of in-place writes of `a` the library has made.
 * @internal
 */
export function versionOf(a: Float32Array): number {
  const v = VERSIONS.get(a);
  return v === undefined ? 0 : v.count;
}

/**
 * The library function that last wrote `a` in place, or undefined.
 * @internal
 */
export function lastWriter(a: Float32Array): string | undefined {
  return VERSIONS.get(a)?.writer;
}
