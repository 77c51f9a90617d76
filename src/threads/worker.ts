/**
 * A worker of `se-kernels/threads`: waits on the shared control block, runs its share of each
 * forward job, reports back. Buffers arrive over a MessagePort, received synchronously.
 */
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { CTL, runShare, type SharedArrays } from './shared.js';

const { ctl: ctlBuffer, port, index } = workerData as { ctl: SharedArrayBuffer; port: MessagePort; index: number };
const ctl = new Int32Array(ctlBuffer);
let arrays: SharedArrays | null = null;
let buffersSeen = 0;
let jobSeen = 0;

for (;;) {
  Atomics.wait(ctl, CTL.job, jobSeen);
  if (Atomics.load(ctl, CTL.stop) === 1) break;
  jobSeen = Atomics.load(ctl, CTL.job);
  try {
    const version = Atomics.load(ctl, CTL.buffers);
    while (buffersSeen !== version) {
      const m = receiveMessageOnPort(port);
      if (m === undefined) throw new Error('se-kernels/threads: buffers announced but not received');
      arrays = (m.message as { arrays: SharedArrays; version: number }).arrays;
      buffersSeen = (m.message as { version: number }).version;
    }
    if (arrays === null) throw new Error('se-kernels/threads: no buffers');
    runShare(ctl, arrays, ctl[CTL.ranges + 2 * index], ctl[CTL.ranges + 2 * index + 1]);
  } catch (e) {
    Atomics.store(ctl, CTL.error, 1);
    process.stderr.write(`se-kernels/threads worker ${index}: ${e instanceof Error ? e.stack : String(e)}\n`);
  }
  Atomics.add(ctl, CTL.done, 1);
  Atomics.notify(ctl, CTL.done);
}
port.close();
