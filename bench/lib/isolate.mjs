// @ts-check
/**
 * Runs a system in a worker thread: the same process, but its own V8 isolate.
 *
 * Why: growing a WebAssembly memory (tfjs-wasm does) or transferring an ArrayBuffer detaches an
 * ArrayBuffer, which invalidates V8's isolate-wide "ArrayBuffer detaching
 * protector"; from then on, optimised code of every typed-array loop in that isolate carries
 * detach checks, and plain Float32Array loops (se-kernels, the floor, naive JS, tfjs-cpu) run
 * 30-60 % slower on this machine. Hosting tfjs-wasm in a worker keeps the main isolate clean, as
 * it is for a user who does not load a WASM library next to se-kernels.
 *
 * The worker (lib/system-worker.mjs) imports the system's module, sets the system up on a copy of
 * the case and times its slices itself (the loop of lib/measure.mjs), so no message passing is
 * timed. Only copies cross between the threads (never a transfer list: that would detach).
 */
import { Worker } from 'node:worker_threads';

/** @type {Map<string, { worker: Worker, pending: Map<number, { resolve: (v: any) => void, reject: (e: Error) => void }> }>} */
const hosts = new Map();
let nextId = 0;

/** @param {string} moduleUrl */
function host(moduleUrl) {
  let h = hosts.get(moduleUrl);
  if (!h) {
    const worker = new Worker(new URL('./system-worker.mjs', import.meta.url), { workerData: { moduleUrl } });
    worker.unref();
    /** @type {Map<number, { resolve: (v: any) => void, reject: (e: Error) => void }>} */
    const pending = new Map();
    worker.on('message', (/** @type {{ id: number, result?: unknown, error?: string }} */ m) => {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error !== undefined) p?.reject(new Error(`in the worker hosting ${moduleUrl}: ${m.error}`));
      else p?.resolve(m.result);
    });
    worker.on('error', (/** @type {Error} */ e) => {
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    });
    h = { worker, pending };
    hosts.set(moduleUrl, h);
  }
  return h;
}

/**
 * Sends a request to the worker hosting a module and waits for its answer.
 * @param {string} moduleUrl
 * @param {Record<string, unknown>} msg
 * @returns {Promise<any>}
 */
export function request(moduleUrl, msg) {
  const h = host(moduleUrl);
  const id = nextId++;
  return new Promise((resolve, reject) => {
    h.pending.set(id, { resolve, reject });
    h.worker.postMessage({ id, ...msg });
  });
}

/**
 * The case each worker holds: sent once per worker and case (a workload's inputs are hundreds of
 * MB), replacing the one before (the benchmark runs one case at a time).
 * @type {Map<string, import('./cases.mjs').Case>}
 */
const caseOf = new Map();

/**
 * Wraps a system (exported from `moduleUrl` in its `rawSystems` list) to run in that module's worker.
 * The reference is not passed to the worker: hosted systems must not need it.
 * @param {string} moduleUrl
 * @param {import('../systems/types.mjs').System} system
 * @returns {import('../systems/types.mjs').System}
 */
export function isolated(moduleUrl, system) {
  return {
    ...system,
    isolated: true,
    async setup(c) {
      if (caseOf.get(moduleUrl) !== c) {
        await request(moduleUrl, { op: 'case', c });
        caseOf.set(moduleUrl, c);
      }
      const key = `${system.id}@${c.key}#${nextId++}`;
      await request(moduleUrl, { op: 'setup', systemId: system.id, key });
      return {
        run: () => {
          throw new Error(`${system.id} runs in a worker: time it with slice()`);
        },
        slice: (ms, minCalls, record) => request(moduleUrl, { op: 'slice', key, ms, minCalls, record }),
        outputs: () => request(moduleUrl, { op: 'outputs', key }),
        dispose: () => request(moduleUrl, { op: 'dispose', key }),
      };
    },
  };
}

/** Ends every worker. */
export async function closeWorkers() {
  for (const { worker } of hosts.values()) await worker.terminate();
  hosts.clear();
  caseOf.clear();
}
