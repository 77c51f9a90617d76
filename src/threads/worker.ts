/**
 * A worker of `se-kernels/threads`: waits for a job on the control block, claims shares of it
 * (its own first), runs them with the fused path's sample loops, and signals each share's end.
 * The job's arrays arrive over a MessagePort and are received synchronously when their version
 * changes. Started by the supervisor (supervisor.ts), which reports the worker's death.
 */
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { SEFrame, SEScratch } from '../fused/frame.js';
import { claimed, CTL, done, failed, FAULT, frameOfJob, free, pending, runShare, writeMessage, type JobArrays } from './protocol.js';

const { ctl: ctlBuffer, message: messageBuffer, port, index } = workerData as {
  ctl: SharedArrayBuffer;
  message: SharedArrayBuffer;
  port: MessagePort;
  index: number;
};
const ctl = new Int32Array(ctlBuffer);
const message = new Uint8Array(messageBuffer);
const frame = new SEFrame();
const scratch = new SEScratch();
let arrays: JobArrays | null = null;
let arraysSeen = 0;

/** Receives array sets until this worker holds the version the job needs. */
function syncArrays(): JobArrays {
  const version = Atomics.load(ctl, CTL.arrays);
  while (arraysSeen !== version) {
    const m = receiveMessageOnPort(port);
    if (m === undefined) throw new Error(`arrays version ${version} announced but not received`);
    const msg = m.message as { version: number; arrays: JobArrays };
    arrays = msg.arrays;
    arraysSeen = msg.version;
  }
  if (arrays === null) throw new Error('a job before any arrays');
  return arrays;
}

/**
 * Takes an injected fault aimed at this worker (the library's own fault tests), if it is one of
 * `kinds`; a fault of another kind stays pending (an in-share fault waits for a claimed share).
 */
function takeFault(...kinds: number[]): number {
  if (Atomics.load(ctl, CTL.injectTarget) !== index + 1) return FAULT.none;
  const what = Atomics.load(ctl, CTL.inject);
  if (!kinds.includes(what)) return FAULT.none;
  Atomics.store(ctl, CTL.inject, FAULT.none);
  Atomics.store(ctl, CTL.injectTarget, 0);
  return what;
}

function actOnFault(what: number): void {
  if (what === FAULT.exitInShare) process.exit(7);
  if (what === FAULT.throwInShare) throw new Error('injected failure inside a share');
  if (what === FAULT.slowShare) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
  if (what === FAULT.outOfMemory) {
    const hoard: { i: number }[][] = [];
    for (;;) hoard.push(Array.from({ length: 1 << 16 }, (_, i) => ({ i })));
  }
}

function signal(): void {
  Atomics.add(ctl, CTL.signal, 1);
  Atomics.notify(ctl, CTL.signal);
}

/** Runs claimed share k of job `gen` and signals its end (DONE, or FAILED with a message when it threw). */
function runClaimed(gen: number, k: number): void {
  try {
    const a = syncArrays();
    frameOfJob(ctl, a, frame);
    scratch.ensure(frame.C, frame.R);
    actOnFault(takeFault(FAULT.exitInShare, FAULT.throwInShare, FAULT.outOfMemory, FAULT.slowShare));
    runShare(ctl, frame, a, a.dy, ctl[CTL.dyOffset], k, scratch);
    Atomics.add(ctl, CTL.workerShares, 1);
    Atomics.store(ctl, CTL.state + k, done(gen));
  } catch (e) {
    writeMessage(ctl, message, `worker ${index + 1} failed on its share: ${e instanceof Error ? e.message : String(e)}`);
    Atomics.store(ctl, CTL.state + k, failed(gen));
  }
  signal();
}

/**
 * Works on job `gen` until no share is left to claim: claims FREE shares (its own first), and while
 * some are still PENDING (the calling thread is copying their samples), waits for a release.
 */
function work(gen: number): void {
  const shares = ctl[CTL.shares];
  for (;;) {
    const released = Atomics.load(ctl, CTL.released);
    let waiting = false;
    let ran = false;
    for (let i = 0; i < shares && !ran; i++) {
      const k = (index + 1 + i) % shares;
      const state = Atomics.load(ctl, CTL.state + k);
      if (state === pending(gen)) waiting = true;
      else if (state === free(gen) && Atomics.compareExchange(ctl, CTL.state + k, free(gen), claimed(gen)) === free(gen)) {
        runClaimed(gen, k);
        ran = true;
      }
    }
    if (Atomics.load(ctl, CTL.gen) !== gen || Atomics.load(ctl, CTL.stop) === 1) return;
    if (ran) continue; // look again at once: more may have been released meanwhile
    if (!waiting) return;
    Atomics.wait(ctl, CTL.released, released, 50);
  }
}

let seen = Atomics.load(ctl, CTL.gen);
for (;;) {
  Atomics.wait(ctl, CTL.gen, seen);
  if (Atomics.load(ctl, CTL.stop) === 1) break;
  const gen = Atomics.load(ctl, CTL.gen);
  seen = gen;
  const early = takeFault(FAULT.exitIdle, FAULT.throwUncaught);
  if (early === FAULT.exitIdle) process.exit(7);
  if (early === FAULT.throwUncaught) throw new Error('injected uncaught error');
  work(gen);
}
port.close();
