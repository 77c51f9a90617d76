// @ts-check
/**
 * Loads the built se-kernels package (dist/esm) and its `se-kernels/testing` entry.
 *
 * Files under bench/ belong to the bench's own package scope (bench/package.json), so Node's
 * self-reference `import('se-kernels')` does not reach the library from here; the built ESM
 * entries are imported by path instead (the same files `import 'se-kernels'` resolves to).
 *
 * SE_KERNELS_DIST=/path/to/dist/esm benchmarks another build instead (e.g. a baseline commit
 * built elsewhere, to compare against the working tree in a second run).
 */
import { pathToFileURL } from 'node:url';

const override = process.env.SE_KERNELS_DIST;
/** Directory URL of the ESM build that is benchmarked. */
export const distUrl = override
  ? pathToFileURL(override.endsWith('/') ? override : `${override}/`)
  : new URL('../../dist/esm/', import.meta.url);

/** The main entry, `se-kernels` (seForward/seBackward return scijs ndarrays). */
export const se = await import(new URL('index.js', distUrl).href);

/** `se-kernels/testing`: the float64 reference SE block and the error measure. */
export const testing = await import(new URL('testing/index.js', distUrl).href);

/** `se-kernels/threads` (the batch split over worker threads), or null when this build has none. */
export const threads = await import(new URL('threads/index.js', distUrl).href).catch(() => null);
