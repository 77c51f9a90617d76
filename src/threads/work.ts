/**
 * A worker of `se-kernels/threads`, in any runtime: waits for a job on the control block, claims
 * shares of it (its own first), runs them with the fused path's sample loops, and signals each
 * share's end. The job's arrays arrive over a MessagePort before the job starts. The entries
 * worker.ts (node:worker_threads) and worker-web.ts (Web Workers) give it their runtime's waits
 * and messages.
 */
import { SEFrame, SEScratch } from '../fused/index.js';
import { claimed, CTL, done, failed, FAULT, frameOfJob, free, pending, runShare, writeMessage, type JobArrays } from './protocol.js';

/** What a worker needs from its runtime. */
export interface WorkerIO {
  ctl: Int32Array;
  message: Uint8Array;
  index: number;
  /** Returns (or resolves) once `ctl[CTL.gen]` is no longer `seen`. */
  waitJob(seen: number): Promise<void> | void;
  /** The array set of this version (posted before the job that needs it started). */
  arrays(version: number): JobArrays | Promise<JobArrays>;
  /** Ends this thread with an exit code (injected faults). */
  exit(code: number): void;
  /** Tells the parent the worker is up. */
  up(): void;
  /** The pool stopped: release what the thread holds. */
  stopped(): void;
  /** Sends the pool a message (the 'signal' of a share's end, for engines without Atomics.waitAsync). */
  tellPool(m: unknown): void;
}

/** Runs a worker until its pool stops. */
export async function runWorker(io: WorkerIO): Promise<void> {
  const { ctl, message, index } = io;
  const frame = new SEFrame();
  const scratch = new SEScratch();

  /**
   * Takes an injected fault aimed at this worker (the library's own fault tests), if it is one of
   * `kinds`; a fault of another kind stays pending (an in-share fault waits for a claimed share).
   */
  const takeFault = (...kinds: number[]): number => {
    if (Atomics.load(ctl, CTL.injectTarget) !== index + 1) return FAULT.none;
    const what = Atomics.load(ctl, CTL.inject);
    if (!kinds.includes(what)) return FAULT.none;
    Atomics.store(ctl, CTL.inject, FAULT.none);
    Atomics.store(ctl, CTL.injectTarget, 0);
    return what;
  };

  const actOnFault = (what: number): void => {
    if (what === FAULT.exitInShare) io.exit(7);
    if (what === FAULT.throwInShare) throw new Error('injected failure inside a share');
    if (what === FAULT.slowShare) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    if (what === FAULT.outOfMemory) {
      const hoard: { i: number }[][] = [];
      for (;;) hoard.push(Array.from({ length: 1 << 16 }, (_, i) => ({ i })));
    }
  };

  const signal = (): void => {
    Atomics.add(ctl, CTL.signal, 1);
    Atomics.notify(ctl, CTL.signal);
    if (Atomics.load(ctl, CTL.messageSignal) === 1) io.tellPool({ type: 'signal' });
  };

  /** Runs claimed share k of job `gen` and signals its end (DONE, or FAILED with a message when it threw). */
  const runClaimed = (gen: number, k: number, a: JobArrays): void => {
    try {
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
  };

  /**
   * Works on job `gen` until no share is left to claim: claims FREE shares (its own first), and
   * while some are still PENDING (the calling thread is copying their samples), waits for a release.
   */
  const work = (gen: number, a: JobArrays): void => {
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
          runClaimed(gen, k, a);
          ran = true;
        }
      }
      if (Atomics.load(ctl, CTL.gen) !== gen || Atomics.load(ctl, CTL.stop) === 1) return;
      if (ran) continue; // look again at once: more may have been released meanwhile
      if (!waiting) return;
      Atomics.wait(ctl, CTL.released, released, 50);
    }
  };

  if (takeFault(FAULT.hangAtStart) === FAULT.hangAtStart) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  io.up();
  let seen = Atomics.load(ctl, CTL.gen);
  for (;;) {
    const w = io.waitJob(seen);
    if (w !== undefined) await w;
    if (Atomics.load(ctl, CTL.stop) === 1) break;
    const gen = Atomics.load(ctl, CTL.gen);
    seen = gen;
    const early = takeFault(FAULT.exitIdle, FAULT.throwUncaught);
    if (early === FAULT.exitIdle) io.exit(7);
    if (early === FAULT.throwUncaught) throw new Error('injected uncaught error');
    const got = io.arrays(Atomics.load(ctl, CTL.arrays));
    const a = got instanceof Promise ? await got : got;
    if (Atomics.load(ctl, CTL.gen) === gen) work(gen, a);
  }
  io.stopped();
}
