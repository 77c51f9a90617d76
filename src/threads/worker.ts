/** A worker of `se-kernels/threads` on node:worker_threads (Node, Bun, Deno): work.ts with this runtime's waits and messages. */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { CTL, type JobArrays, type WorkerInit } from './protocol.js';
import { runWorker } from './work.js';

const init = workerData as WorkerInit;
const port = init.port as MessagePort;
const ctl = new Int32Array(init.ctl);
let arrays: JobArrays | null = null;
let arraysSeen = 0;

void runWorker({
  ctl,
  message: new Uint8Array(init.message),
  index: init.index,
  // Blocking is fine here: the messages this thread needs are received synchronously.
  waitJob: (seen) => void Atomics.wait(ctl, CTL.gen, seen),
  arrays(version) {
    while (arraysSeen !== version) {
      const m = receiveMessageOnPort(port);
      if (m === undefined) throw new Error(`arrays version ${version} announced but not received`);
      const msg = m.message as { version: number; arrays: JobArrays };
      arrays = msg.arrays;
      arraysSeen = msg.version;
    }
    if (arrays === null) throw new Error('a job before any arrays');
    return arrays;
  },
  exit: (code) => process.exit(code),
  up: () => parentPort?.postMessage({ type: 'up' }),
  stopped: () => port.close(),
});
