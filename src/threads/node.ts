/**
 * The runtime of `se-kernels/threads` on Node, Bun and Deno: threads from node:worker_threads
 * (which Bun and Deno implement), started from this folder's supervisor.js and worker.js. Threads
 * and the pool's ports are unref'd: an open pool never keeps a process alive.
 */
import { cpus } from 'node:os';
import { MessageChannel, Worker, type ResourceLimits, type TransferListItem } from 'node:worker_threads';
import type { Runtime } from './runtime.js';

function describeError(e: unknown): string {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'ran out of memory' : `threw: ${e instanceof Error ? e.message : String(e)}`;
}

/** node:worker_threads. */
export const nodeRuntime: Runtime = {
  hardwareThreads: () => Math.max(1, cpus().length),
  unavailable: () =>
    typeof SharedArrayBuffer !== 'function'
      ? 'SharedArrayBuffer is not available in this runtime (was it started with --no-harmony-sharedarraybuffer or a similar flag?); the pool computes on the calling thread'
      : null,
  canBlock: () => true,
  spawn(file, init, transfer, events, limits) {
    const url = file === 'supervisor' ? new URL('./supervisor.js', import.meta.url) : new URL('./worker.js', import.meta.url);
    const w = new Worker(url, {
      workerData: init,
      transferList: transfer as TransferListItem[],
      resourceLimits: limits === undefined || limits === null ? undefined : (limits as ResourceLimits),
    });
    w.on('message', (m: unknown) => events.message(m));
    w.on('error', (e: unknown) => events.error(describeError(e)));
    w.on('exit', (code: number) => events.exit(`exited with code ${code}`));
    return {
      post: (m, t) => w.postMessage(m, t as TransferListItem[]),
      terminate: () => void w.terminate(),
      ref: () => w.ref(),
      unref: () => w.unref(),
    };
  },
  channel() {
    const { port1, port2 } = new MessageChannel();
    port1.unref();
    return {
      local: port1,
      remote: port2,
      listen: (listener) => {
        port1.on('message', listener);
        port1.unref(); // a listener refs the port again
      },
    };
  },
  spawnRefused: (e) => `a worker thread could not be started (${e instanceof Error ? e.message : String(e)}); the pool computes on the calling thread`,
  startFailed: (what) => `worker threads could not start (${what}); the pool computes on the calling thread`,
};
