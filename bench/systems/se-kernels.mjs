// @ts-check
/**
 * se-kernels through its public API, from the built entries, as users call it. On a workload one
 * call runs every block in order (forward), or every forward in order and then every backward in
 * reverse order (forward + backward), each block with its own parameters.
 *
 *   'se-kernels':    seForward(x, params, options) and seBackward(dy, cache), outputs allocated per
 *                    call (the SPEC calls);
 *   'se-kernels ws': the same calls with `{ workspace }`, one reused SEWorkspace per block
 *                    (allocation-free in steady state), when the build has SEWorkspace;
 *   'SEThreads':     `new SEThreads()` from `se-kernels/threads` with its default options (one thread
 *                    per CPU, inputs under 2^20 elements on the calling thread), x and dy in ordinary
 *                    memory (the pool copies them into shared memory), as users call it;
 *   'SEThreads shared': the same with x and dy on SharedArrayBuffers (used in place).
 *
 * SEThreads: one pool for the whole network. A build whose pool calls take `{ workspace }` gets one
 * workspace per block (as users run a network: each block's cache stays valid until its
 * backward); an older build, whose pool holds one forward's state, gets one pool per block for
 * forward + backward instead (see `poolsFor`).
 */
import { se, threads } from '../lib/library.mjs';

/** Keeps results reachable so that no call can be optimised away. */
export let sink = /** @type {unknown} */ (null);

/** Whether this build has the reusable workspace. */
export const hasWorkspace = typeof se.SEWorkspace === 'function';

/**
 * One SEWorkspace per block, shared by the forward and the forward + backward instances of a case
 * (they never run at the same time), so a workload holds one set of buffers.
 * @type {WeakMap<import('../lib/cases.mjs').Block, any>}
 */
const workspaces = new WeakMap();
/** @param {import('../lib/cases.mjs').Block} b */
function workspaceOf(b) {
  let ws = workspaces.get(b);
  if (!ws) {
    ws = new se.SEWorkspace();
    workspaces.set(b, ws);
  }
  return ws;
}

/** @param {any} g the gradients of a seBackward call @param {Float32Array} y */
const copyGrads = (g, y) => ({ y, dx: g.dx.data.slice(), dw1: g.dw1.data.slice(), db1: g.db1.data.slice(), dw2: g.dw2.data.slice(), db2: g.db2.data.slice() });

/**
 * @param {import('./types.mjs').Pass} pass
 * @param {boolean} ws use a workspace per block
 * @returns {import('./types.mjs').System}
 */
function seSystem(pass, ws) {
  return {
    id: `se-kernels${ws ? '+ws' : ''}/${pass}`,
    family: ws ? 'se-kernels ws' : 'se-kernels',
    pass,
    tol: 1e-5,
    setup(c) {
      const opts = c.options;
      const blocks = c.blocks.map((b) => ({
        x: { data: b.x, shape: b.shape },
        dy: { data: b.dy, shape: b.shape },
        params: b.params,
        bufs: ws ? { workspace: workspaceOf(b) } : undefined,
      }));
      const last = blocks.length - 1;
      /** @type {any[]} */
      const caches = new Array(blocks.length).fill(null);
      /** @type {any[]} */
      const outs = new Array(blocks.length).fill(null);
      const run = ws
        ? () => {
            for (let i = 0; i <= last; i++) {
              const b = blocks[i];
              const f = se.seForward(b.x, b.params, opts, b.bufs);
              caches[i] = f.cache;
              outs[i] = f.y;
            }
            if (pass === 'fb') for (let i = last; i >= 0; i--) outs[i] = se.seBackward(blocks[i].dy, caches[i], blocks[i].bufs);
          }
        : () => {
            for (let i = 0; i <= last; i++) {
              const b = blocks[i];
              const f = se.seForward(b.x, b.params, opts);
              caches[i] = f.cache;
              outs[i] = f.y;
            }
            if (pass === 'fb') for (let i = last; i >= 0; i--) outs[i] = se.seBackward(blocks[i].dy, caches[i]);
          };
      return {
        run: () => {
          run();
          sink = outs;
        },
        outputs: () => {
          // Block by block, copying each result before the next call: a workspace's results are
          // overwritten by its next call (each block has its own, but the check reads them all).
          const ys = blocks.map((b) => se.seForward(b.x, b.params, opts, b.bufs));
          const yCopies = ys.map((f) => f.y.data.slice());
          if (pass === 'fwd') return yCopies.map((y) => ({ y }));
          /** @type {any[]} */
          const res = [];
          for (let i = last; i >= 0; i--) res[i] = copyGrads(se.seBackward(blocks[i].dy, ys[i].cache, blocks[i].bufs), yCopies[i]);
          return res;
        },
      };
    },
  };
}

/**
 * Copies of the cases' arrays on SharedArrayBuffers, made once per array.
 * @type {WeakMap<Float32Array, Float32Array>}
 */
const sharedCopies = new WeakMap();
/** @param {Float32Array} a @returns {Float32Array} a copy on a SharedArrayBuffer */
function onShared(a) {
  let b = sharedCopies.get(a);
  if (!b) {
    b = new Float32Array(new SharedArrayBuffer(a.length * 4));
    b.set(a);
    sharedCopies.set(a, b);
  }
  return b;
}

/**
 * The pools of a case (closed when its last instance is disposed): `net`, one pool for the whole
 * network (forward), and `perBlock`, one pool per block for forward + backward (the first is
 * `net`; made at the first forward + backward set-up). The ordinary-memory and shared-memory
 * systems have pools of their own.
 * @type {Map<string, { net: any, perBlock: any[] | null, users: number }>}
 */
const pools = new Map();
/** Whether this build's pool calls take `{ workspace }` (per-block state in one pool). */
export const poolTakesWorkspace = threads !== null && typeof threads.SEThreads.prototype.ready === 'function';

/**
 * One SEWorkspace per block for the pools (their buffers move to shared memory, so not the 'se-kernels ws' ones).
 * @type {WeakMap<import('../lib/cases.mjs').Block, any>}
 */
const poolWorkspaces = new WeakMap();
/** @param {import('../lib/cases.mjs').Block} b */
function poolWorkspaceOf(b) {
  let ws = poolWorkspaces.get(b);
  if (!ws) {
    ws = new se.SEWorkspace();
    poolWorkspaces.set(b, ws);
  }
  return ws;
}

/** @param {import('../lib/cases.mjs').Case} c @param {boolean} shared @param {boolean} perBlock */
function poolsFor(c, shared, perBlock) {
  const key = `${c.id}/${shared}`;
  let p = pools.get(key);
  if (!p) {
    p = { net: new threads.SEThreads(), perBlock: null, users: 0 };
    pools.set(key, p);
  }
  if (perBlock && p.perBlock === null && !poolTakesWorkspace) {
    const net = p.net;
    p.perBlock = c.blocks.map((_, i) => (i === 0 ? net : new threads.SEThreads()));
  }
  p.users++;
  return { net: p.net, perBlock: p.perBlock ?? [] };
}
/** @param {import('../lib/cases.mjs').Case} c @param {boolean} shared */
function releasePools(c, shared) {
  const key = `${c.id}/${shared}`;
  const p = pools.get(key);
  if (p && --p.users === 0) {
    p.net.close();
    for (const q of p.perBlock ?? []) q.close();
    pools.delete(key);
  }
}

/** The default SEThreads' thread count on this machine (null when the build has no se-kernels/threads). */
export const defaultThreads = threads === null ? null : (() => {
  const p = new threads.SEThreads();
  const t = p.threads;
  p.close();
  return t;
})();

/**
 * @param {import('./types.mjs').Pass} pass
 * @param {boolean} shared x and dy on SharedArrayBuffers (else ordinary memory, copied by the pool)
 * @returns {import('./types.mjs').System}
 */
function threadsSystem(pass, shared) {
  return {
    id: `se-threads${shared ? '+shared' : ''}/${pass}`,
    family: shared ? 'SEThreads shared' : 'SEThreads',
    pass,
    tol: 1e-5,
    setup(c) {
      const opts = c.options;
      const { net, perBlock } = poolsFor(c, shared, pass === 'fb');
      const blocks = c.blocks.map((b, i) => ({
        x: { data: shared ? onShared(b.x) : b.x, shape: b.shape },
        dy: { data: shared ? onShared(b.dy) : b.dy, shape: b.shape },
        params: b.params,
        pool: pass === 'fwd' || poolTakesWorkspace ? net : perBlock[i],
        bufs: poolTakesWorkspace ? { workspace: poolWorkspaceOf(b) } : undefined,
      }));
      const last = blocks.length - 1;
      /** @type {any[]} */
      const caches = new Array(blocks.length).fill(null);
      /** @type {any[]} */
      const outs = new Array(blocks.length).fill(null);
      return {
        run: () => {
          for (let i = 0; i <= last; i++) {
            const b = blocks[i];
            const f = b.pool.seForward(b.x, b.params, opts, b.bufs);
            caches[i] = f.cache;
            outs[i] = f.y;
          }
          if (pass === 'fb') for (let i = last; i >= 0; i--) outs[i] = blocks[i].pool.seBackward(blocks[i].dy, caches[i], blocks[i].bufs);
          sink = outs;
        },
        outputs: () => {
          // y is copied right after each forward: the network's pool overwrites it with the next block's.
          const fs = blocks.map((b) => {
            const f = b.pool.seForward(b.x, b.params, opts, b.bufs);
            return { y: f.y.data.slice(), cache: f.cache };
          });
          if (pass === 'fwd') return fs.map((f) => ({ y: f.y }));
          /** @type {any[]} */
          const res = [];
          for (let i = last; i >= 0; i--) res[i] = copyGrads(blocks[i].pool.seBackward(blocks[i].dy, fs[i].cache, blocks[i].bufs), fs[i].y);
          return res;
        },
        dispose: () => releasePools(c, shared),
      };
    },
  };
}

/** @type {import('./types.mjs').System[]} */
export const systems = [
  seSystem('fwd', false),
  seSystem('fb', false),
  ...(hasWorkspace ? [seSystem('fwd', true), seSystem('fb', true)] : []),
  ...(threads !== null ? [threadsSystem('fwd', false), threadsSystem('fb', false), threadsSystem('fwd', true), threadsSystem('fb', true)] : []),
];
