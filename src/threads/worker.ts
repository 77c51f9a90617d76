/** A worker of `se-kernels/threads` on node:worker_threads (Node, Bun, Deno): work.ts with this runtime's waits and messages. */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { CTL, HeldArrays, type ArraysMessage, type WorkerInit } from './protocol.js';
import { runWorker } from './work.js';

const init = workerData as WorkerInit;
const port = init.port as MessagePort;
const ctl = new Int32Array(init.ctl);
const held = new HeldArrays();

void runWorker({
  ctl,
  message: new Uint8Array(init.message),
  index: init.index,
  // Blocking is fine here: the messages this thread needs are received synchronously.
  waitJob: (seen) => void Atomics.wait(ctl, CTL.gen, seen),
  arrays(version) {
    let a = held.get(version);
    while (a === undefined) {
      const m = receiveMessageOnPort(port);
      if (m === undefined) throw new Error(`arrays version ${version} announced but not received`);
      held.receive(m.message as ArraysMessage);
      a = held.get(version);
    }
    return a;
  },
  exit: (code) => process.exit(code),
  up: () => parentPort?.postMessage({ type: 'up' }),
  stopped: () => port.close(),
  tellPool: (m) => port.postMessage(m),
});
