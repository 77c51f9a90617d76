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
 *
 * `systemsOf(build, config)` makes these systems for any build (lib/library.mjs: the build
 * benchmarked, or SE_KERNELS_DIST_B's for an A/B of two builds), and the variants the paired mode
 * uses (bench/paired.mjs): the workspace call with x and dy on SharedArrayBuffers, pools with an
 * explicit thread count, pool calls through the async API.
 */
import { buildA } from '../lib/library.mjs';

/** Keeps results reachable so that no call can be optimised away. */
export let sink = /** @type {unknown} */ (null);

/** @param {any} g the gradients of a seBackward call @param {Float32Array} y */
const copyGrads = (g, y) => ({ y, dx: g.dx.data.slice(), dw1: g.dw1.data.slice(), db1: g.db1.data.slice(), dw2: g.dw2.data.slice(), db2: g.db2.data.slice() });

/**
 * Copies of the cases' arrays on SharedArrayBuffers, made once per array (shared by every build:
 * they are plain data).
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
 * How a pool is called: 'sync' (`pool.seForward` / `pool.seBackward`), 'async'
 * (`await pool.seForwardAsync` / `await pool.seBackwardAsync`), or 'auto': async when the build
 * has it, else sync.
 * @typedef {'sync' | 'async' | 'auto'} PoolApi
 */

/**
 * What one build offers the benchmark.
 * @typedef {object} BuildInfo
 * @property {boolean} hasWorkspace        the build has the reusable SEWorkspace
 * @property {boolean} poolTakesWorkspace  its pool calls take `{ workspace }` (per-block state in one pool)
 * @property {boolean} poolHasAsync        its pool has seForwardAsync / seBackwardAsync
 * @property {number | null} defaultThreads  the default SEThreads' thread count here (null: no se-kernels/threads)
 */

/**
 * The se-kernels systems of one build. `tag` (the build's, e.g. 'B') is appended to every id
 * (`se-kernels+ws/fwd@B`) and family (`se-kernels ws @B`), so two builds' systems can sit side by side.
 * @param {import('../lib/library.mjs').Build} build
 * @param {{ poolApi?: PoolApi }} [config]
 * @returns {{ info: BuildInfo, systems: import('./types.mjs').System[], pairedSystems: import('./types.mjs').System[] }}
 *   systems: the main bench's list; pairedSystems: those and the paired mode's variants
 */
export function systemsOf(build, config = {}) {
  const { se, threads } = build;
  const idTag = build.tag ? `@${build.tag}` : '';
  const famTag = build.tag ? ` @${build.tag}` : '';
  const hasWorkspace = typeof se.SEWorkspace === 'function';
  const poolTakesWorkspace = threads !== null && typeof threads.SEThreads.prototype.ready === 'function';
  const poolHasAsync = threads !== null && typeof threads.SEThreads.prototype.seForwardAsync === 'function' && typeof threads.SEThreads.prototype.seBackwardAsync === 'function';
  const useAsync = config.poolApi === 'async' || (config.poolApi === 'auto' && poolHasAsync);
  if (config.poolApi === 'async' && !poolHasAsync && threads !== null) throw new Error(`the build in ${build.distUrl.pathname} has no pool.seForwardAsync: use --pool-api=sync or auto`);

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

  /**
   * @param {import('./types.mjs').Pass} pass
   * @param {boolean} ws use a workspace per block
   * @param {boolean} shared x and dy on SharedArrayBuffers (the paired mode's scaling baseline on the pool's inputs)
   * @returns {import('./types.mjs').System}
   */
  function seSystem(pass, ws, shared = false) {
    return {
      id: `se-kernels${ws ? '+ws' : ''}${shared ? '+shared' : ''}/${pass}${idTag}`,
      family: `se-kernels${ws ? ' ws' : ''}${shared ? ' shared' : ''}${famTag}`,
      pass,
      tol: 1e-5,
      setup(c) {
        const opts = c.options;
        const blocks = c.blocks.map((b) => ({
          x: { data: shared ? onShared(b.x) : b.x, shape: b.shape },
          dy: { data: shared ? onShared(b.dy) : b.dy, shape: b.shape },
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
   * The pools of a case (closed when its last instance is disposed): `net`, one pool for the whole
   * network (forward), and `perBlock`, one pool per block for forward + backward (the first is
   * `net`; made at the first forward + backward set-up). The ordinary-memory and shared-memory
   * systems, and each thread count, have pools of their own.
   * @type {Map<string, { net: any, perBlock: any[] | null, users: number }>}
   */
  const pools = new Map();

  /**
   * One SEWorkspace per pool and block (their buffers move to shared memory, so not the 'se-kernels ws' ones).
   * @type {WeakMap<any, WeakMap<import('../lib/cases.mjs').Block, any>>}
   */
  const poolWorkspaces = new WeakMap();
  /** @param {any} pool @param {import('../lib/cases.mjs').Block} b */
  function poolWorkspaceOf(pool, b) {
    let m = poolWorkspaces.get(pool);
    if (!m) {
      m = new WeakMap();
      poolWorkspaces.set(pool, m);
    }
    let ws = m.get(b);
    if (!ws) {
      ws = new se.SEWorkspace();
      m.set(b, ws);
    }
    return ws;
  }

  /** @param {number | undefined} n */
  const newPool = (n) => new threads.SEThreads(n === undefined ? undefined : { threads: n });

  /** @param {import('../lib/cases.mjs').Case} c @param {boolean} shared @param {boolean} perBlock @param {number | undefined} n */
  function poolsFor(c, shared, perBlock, n) {
    const key = `${c.id}/${shared}/${n}`;
    let p = pools.get(key);
    if (!p) {
      p = { net: newPool(n), perBlock: null, users: 0 };
      pools.set(key, p);
    }
    if (perBlock && p.perBlock === null && !poolTakesWorkspace) {
      const net = p.net;
      p.perBlock = c.blocks.map((_, i) => (i === 0 ? net : newPool(n)));
    }
    p.users++;
    return { net: p.net, perBlock: p.perBlock ?? [] };
  }
  /** @param {import('../lib/cases.mjs').Case} c @param {boolean} shared @param {number | undefined} n */
  function releasePools(c, shared, n) {
    const key = `${c.id}/${shared}/${n}`;
    const p = pools.get(key);
    if (p && --p.users === 0) {
      p.net.close();
      for (const q of p.perBlock ?? []) q.close();
      pools.delete(key);
    }
  }

  /** The default SEThreads' thread count on this machine (null when the build has no se-kernels/threads). */
  const defaultThreads = threads === null ? null : (() => {
    const p = new threads.SEThreads();
    const t = p.threads;
    p.close();
    return t;
  })();

  /**
   * @param {import('./types.mjs').Pass} pass
   * @param {boolean} shared x and dy on SharedArrayBuffers (else ordinary memory, copied by the pool)
   * @param {number} [n] the pool's thread count (default: the pool's default)
   * @returns {import('./types.mjs').System}
   */
  function threadsSystem(pass, shared, n) {
    return {
      id: `se-threads${n === undefined ? '' : `-${n}t`}${shared ? '+shared' : ''}/${pass}${idTag}`,
      family: `SEThreads${n === undefined ? '' : ` ${n}T`}${shared ? ' shared' : ''}${famTag}`,
      pass,
      tol: 1e-5,
      async setup(c) {
        const opts = c.options;
        const { net, perBlock } = poolsFor(c, shared, pass === 'fb', n);
        for (const p of [net, ...perBlock]) if (typeof p.ready === 'function') await p.ready();
        const blocks = c.blocks.map((b, i) => {
          const pool = pass === 'fwd' || poolTakesWorkspace ? net : perBlock[i];
          return {
            x: { data: shared ? onShared(b.x) : b.x, shape: b.shape },
            dy: { data: shared ? onShared(b.dy) : b.dy, shape: b.shape },
            params: b.params,
            pool,
            bufs: poolTakesWorkspace ? { workspace: poolWorkspaceOf(pool, b) } : undefined,
          };
        });
        const last = blocks.length - 1;
        /** @type {any[]} */
        const caches = new Array(blocks.length).fill(null);
        /** @type {any[]} */
        const outs = new Array(blocks.length).fill(null);
        const dispose = () => releasePools(c, shared, n);
        if (useAsync) {
          return {
            async: true,
            run: async () => {
              for (let i = 0; i <= last; i++) {
                const b = blocks[i];
                const f = await b.pool.seForwardAsync(b.x, b.params, opts, b.bufs);
                caches[i] = f.cache;
                outs[i] = f.y;
              }
              if (pass === 'fb') for (let i = last; i >= 0; i--) outs[i] = await blocks[i].pool.seBackwardAsync(blocks[i].dy, caches[i], blocks[i].bufs);
              sink = outs;
            },
            outputs: async () => {
              /** @type {{ y: Float32Array, cache: any }[]} */
              const fs = [];
              for (const b of blocks) {
                const f = await b.pool.seForwardAsync(b.x, b.params, opts, b.bufs);
                fs.push({ y: f.y.data.slice(), cache: f.cache });
              }
              if (pass === 'fwd') return fs.map((f) => ({ y: f.y }));
              /** @type {any[]} */
              const res = [];
              for (let i = last; i >= 0; i--) res[i] = copyGrads(await blocks[i].pool.seBackwardAsync(blocks[i].dy, fs[i].cache, blocks[i].bufs), fs[i].y);
              return res;
            },
            dispose,
          };
        }
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
          dispose,
        };
      },
    };
  }

  /** @type {import('./types.mjs').System[]} */
  const systems = [
    seSystem('fwd', false),
    seSystem('fb', false),
    ...(hasWorkspace ? [seSystem('fwd', true), seSystem('fb', true)] : []),
    ...(threads !== null ? [threadsSystem('fwd', false), threadsSystem('fb', false), threadsSystem('fwd', true), threadsSystem('fb', true)] : []),
  ];
  /** @type {import('./types.mjs').System[]} */
  const extra = [
    ...(hasWorkspace ? [seSystem('fwd', true, true), seSystem('fb', true, true)] : []),
    ...(threads !== null ? [threadsSystem('fwd', false, 2), threadsSystem('fb', false, 2), threadsSystem('fwd', true, 2), threadsSystem('fb', true, 2)] : []),
  ];
  return { info: { hasWorkspace, poolTakesWorkspace, poolHasAsync, defaultThreads }, systems, pairedSystems: [...systems, ...extra] };
}

// The build benchmarked by bench/main.mjs, its pools called through the synchronous API as before.
const main = systemsOf(buildA, { poolApi: 'sync' });

/** Whether this build has the reusable workspace. */
export const hasWorkspace = main.info.hasWorkspace;

/** Whether this build's pool calls take `{ workspace }` (per-block state in one pool). */
export const poolTakesWorkspace = main.info.poolTakesWorkspace;

/** The default SEThreads' thread count on this machine (null when the build has no se-kernels/threads). */
export const defaultThreads = main.info.defaultThreads;

/** @type {import('./types.mjs').System[]} */
export const systems = main.systems;
