/** The supervisor of an `se-kernels/threads` pool on node:worker_threads (Node, Bun, Deno): supervise.ts with this runtime. */
import { parentPort, workerData } from 'node:worker_threads';
import { nodeRuntime } from './node.js';
import type { SupervisorInit } from './protocol.js';
import { supervise } from './supervise.js';

supervise(nodeRuntime, workerData as SupervisorInit, {
  onMessage: (listener) => parentPort?.on('message', listener),
  post: (m) => parentPort?.postMessage(m),
  // Deno's parentPort has no close(); the pool terminates this thread anyway.
  close: () => {
    if (typeof parentPort?.close === 'function') parentPort.close();
  },
});
