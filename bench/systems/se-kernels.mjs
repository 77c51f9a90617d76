// @ts-check
/**
 * se-kernels through its public API, from the built main entry, as users call it:
 *   'se-kernels':    seForward(x, params) and seBackward(dy, cache), outputs allocated per call
 *                    (the SPEC calls);
 *   'se-kernels ws': the same calls with a reusable SEWorkspace, `{ workspace }` as the buffers
 *                    argument (allocation-free in steady state), when the build has SEWorkspace.
 *   'se-kernels 2T': `SEThreads.seForward` / `.seBackward` from `se-kernels/threads` (two threads,
 *                    the batch split between the calling thread and one worker) with x and dy on
 *                    SharedArrayBuffers;
 *   'se-kernels 2T copy': the same with x and dy on ordinary ArrayBuffers (copied into shared memory).
 */
import { se, threads } from '../lib/library.mjs';

/** Keeps results reachable so that no call can be optimised away. */
export let sink = /** @type {unknown} */ (null);

/** Whether this build has the reusable workspace. */
export const hasWorkspace = typeof se.SEWorkspace === 'function';

/**
 * @param {import('./types.mjs').Pass} pass
 * @param {boolean} ws use a workspace
 * @returns {import('./types.mjs').System}
 */
function seSystem(pass, ws) {
  return {
    id: `se-kernels${ws ? '+ws' : ''}/${pass}`,
    family: ws ? 'se-kernels ws' : 'se-kernels',
    pass,
    tol: 1e-5,
    setup(c) {
      const x = { data: c.x, shape: c.shape };
      const dy = { data: c.dy, shape: c.shape };
      const bufs = ws ? { workspace: new se.SEWorkspace() } : undefined;
      const fwd = () => (bufs ? se.seForward(x, c.params, undefined, bufs) : se.seForward(x, c.params));
      const bwd = (/** @type {any} */ cache) => (bufs ? se.seBackward(dy, cache, bufs) : se.seBackward(dy, cache));
      return {
        run:
          pass === 'fwd'
            ? () => {
                sink = fwd().y;
              }
            : () => {
                sink = bwd(fwd().cache);
              },
        outputs: () => {
          // Copies: a workspace's results are overwritten by its next call.
          const f = fwd();
          const y = f.y.data.slice();
          if (pass === 'fwd') return { y };
          const g = bwd(f.cache);
          return { y, dx: g.dx.data.slice(), dw1: g.dw1.data.slice(), db1: g.db1.data.slice(), dw2: g.dw2.data.slice(), db2: g.db2.data.slice() };
        },
      };
    },
  };
}

/** One pool for the whole run (its worker is unref'd and idle between calls). */
let pool = /** @type {any} */ (null);

/**
 * @param {import('./types.mjs').Pass} pass
 * @param {boolean} shared x on a SharedArrayBuffer (else copied by the pool)
 * @returns {import('./types.mjs').System}
 */
function threadsSystem(pass, shared) {
  return {
    id: `se-kernels+2T${shared ? '' : '+copy'}/${pass}`,
    family: shared ? 'se-kernels 2T' : 'se-kernels 2T copy',
    pass,
    tol: 1e-5,
    setup(c) {
      pool ??= new threads.SEThreads({ threads: 2 });
      const onShared = (/** @type {Float32Array} */ a) => {
        if (!shared) return a;
        const b = new Float32Array(new SharedArrayBuffer(a.length * 4));
        b.set(a);
        return b;
      };
      const x = { data: onShared(c.x), shape: c.shape };
      const dy = { data: onShared(c.dy), shape: c.shape };
      const fwd = () => pool.seForward(x, c.params);
      return {
        run:
          pass === 'fwd'
            ? () => {
                sink = fwd().y;
              }
            : () => {
                sink = pool.seBackward(dy, fwd().cache);
              },
        outputs: () => {
          const f = fwd();
          const y = f.y.data.slice();
          if (pass === 'fwd') return { y };
          const g = pool.seBackward(dy, f.cache);
          return { y, dx: g.dx.data.slice(), dw1: g.dw1.data.slice(), db1: g.db1.data.slice(), dw2: g.dw2.data.slice(), db2: g.db2.data.slice() };
        },
      };
    },
  };
}

/** @type {import('./types.mjs').System[]} */
export const systems = [
  seSystem('fwd', false),
  seSystem('fb', false),
  ...(hasWorkspace ? [seSystem('fwd', true), seSystem('fb', true)] : []),
  ...(threads !== null ? [threadsSystem('fwd', true), threadsSystem('fb', true), threadsSystem('fwd', false), threadsSystem('fb', false)] : []),
];
