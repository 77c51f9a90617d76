// @ts-check
/**
 * Loads the built se-kernels package (dist/esm) and its `se-kernels/testing` entry.
 *
 * Files under bench/ belong to the bench's own package scope (bench/package.json), so Node's
 * self-reference `import('se-kernels')` does not reach the library from here; the built ESM
 * entries are imported by path instead (the same files `import 'se-kernels'` resolves to).
 *
 * SE_KERNELS_DIST=/path/to/dist/esm benchmarks another build instead (e.g. a baseline commit
 * built elsewhere). SE_KERNELS_DIST_B=/path/to/other/dist/esm loads a second build beside it, for
 * the paired A/B of two builds in one process (bench/paired.mjs --preset=ab): the two builds are
 * different files, so each has its own module instances (its own classes, workers, state).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * One build of the library: its main entry, `se-kernels/testing` and `se-kernels/threads`.
 * @typedef {object} Build
 * @property {string} tag       '' for the build benchmarked (A), 'B' for the second one
 * @property {URL} distUrl      directory URL of its ESM build
 * @property {any} se           the main entry, `se-kernels`
 * @property {any} testing      `se-kernels/testing`
 * @property {any} threads      `se-kernels/threads`, or null when that build has none
 */

/**
 * @param {string} dir a dist/esm directory
 * @returns {URL}
 */
function dirUrl(dir) {
  const abs = resolve(dir);
  return pathToFileURL(abs.endsWith('/') ? abs : `${abs}/`);
}

/**
 * Imports one build's entries.
 * @param {URL} url directory URL of a dist/esm build
 * @param {string} tag
 * @returns {Promise<Build>}
 */
export async function loadBuild(url, tag) {
  return {
    tag,
    distUrl: url,
    se: await import(new URL('index.js', url).href),
    testing: await import(new URL('testing/index.js', url).href),
    threads: await import(new URL('threads/index.js', url).href).catch(() => null),
  };
}

const override = process.env.SE_KERNELS_DIST;
/** Directory URL of the ESM build that is benchmarked. */
export const distUrl = override ? dirUrl(override) : new URL('../../dist/esm/', import.meta.url);

/** The build benchmarked (A). */
export const buildA = await loadBuild(distUrl, '');

/** The main entry, `se-kernels` (seForward/seBackward return scijs ndarrays). */
export const se = buildA.se;

/** `se-kernels/testing`: the float64 reference SE block and the error measure. */
export const testing = buildA.testing;

/** `se-kernels/threads` (the batch split over worker threads), or null when this build has none. */
export const threads = buildA.threads;

const overrideB = process.env.SE_KERNELS_DIST_B;
/** The second build (SE_KERNELS_DIST_B), or null. */
export const buildB = overrideB ? await loadBuild(dirUrl(overrideB), 'B') : null;
if (buildB !== null && buildB.distUrl.href === distUrl.href) {
  throw new Error(`SE_KERNELS_DIST_B names the same build as A (${distUrl.pathname}): copy one of them elsewhere first (an A/A run needs two copies)`);
}
