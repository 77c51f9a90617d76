/**
 * The supervisor of an `se-kernels/threads` pool: a thread that starts the pool's workers and,
 * with an event loop that is never blocked (the calling thread's is, while it waits for a share),
 * hears at once when one of them exits or throws. It records the first such fault in the control
 * block and wakes the calling thread, which then fails its call with a message naming it.
 */
import { parentPort, Worker, workerData, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import { CTL, writeMessage } from './protocol.js';

const { ctl: ctlBuffer, message: messageBuffer, ports, resourceLimits } = workerData as {
  ctl: SharedArrayBuffer;
  message: SharedArrayBuffer;
  ports: MessagePort[];
  resourceLimits: ResourceLimits | undefined;
};
const ctl = new Int32Array(ctlBuffer);
const message = new Uint8Array(messageBuffer);
const workers: Worker[] = [];
let stopping = false;

function report(index: number, what: string): void {
  if (stopping) return;
  if (Atomics.compareExchange(ctl, CTL.fault, 0, index + 1) === 0) writeMessage(ctl, message, `worker ${index + 1} ${what}`);
  Atomics.add(ctl, CTL.signal, 1);
  Atomics.notify(ctl, CTL.signal);
}

let online = 0;
for (let k = 0; k < ports.length; k++) {
  const w = new Worker(new URL('./worker.js', import.meta.url), {
    workerData: { ctl: ctlBuffer, message: messageBuffer, port: ports[k], index: k },
    transferList: [ports[k]],
    resourceLimits,
  });
  w.on('error', (e: unknown) => {
    const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
    report(k, code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'ran out of memory' : `threw: ${e instanceof Error ? e.message : String(e)}`);
  });
  w.on('exit', (code: number) => report(k, `exited with code ${code}`));
  w.once('online', () => {
    if (++online === ports.length) parentPort?.postMessage({ type: 'ready' });
  });
  workers.push(w);
}

parentPort?.on('message', (m: { type: string; index?: number }) => {
  if (m.type === 'stop') {
    stopping = true;
    for (const w of workers) void w.terminate();
    parentPort?.close();
  } else if (m.type === 'terminate' && typeof m.index === 'number' && workers[m.index] !== undefined) {
    // The library's own fault tests: a worker terminated from outside, as a crash would.
    void workers[m.index].terminate();
  }
});
