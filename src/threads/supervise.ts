/**
 * The supervisor of an `se-kernels/threads` pool, in any runtime: a thread that starts the pool's
 * workers and, with an event loop that is never blocked (the calling thread's is, while a
 * synchronous call waits for a share), hears at once when one of them exits or throws. It records
 * the first such fault in the control block and wakes the calling thread, which then fails its
 * call with a message naming it. A worker that fails before all are up makes the pool fall back to
 * the calling thread instead ('failed').
 */
import { CTL, threadMessage, writeMessage, type SupervisorInit, type WorkerInit } from './protocol.js';
import type { Runtime, SpawnedThread } from './runtime.js';

/** The supervisor's link to the pool. */
export interface ParentLink {
  onMessage(listener: (m: unknown) => void): void;
  post(m: unknown): void;
  close(): void;
}

/** Starts the workers of `init` and watches them until the pool says stop. */
export function supervise(rt: Runtime, init: SupervisorInit, parent: ParentLink): void {
  const ctl = new Int32Array(init.ctl);
  const message = new Uint8Array(init.message);
  const workers: SpawnedThread[] = [];
  let stopping = false;
  let online = 0;
  const count = init.ports.length;

  const report = (index: number, what: string): void => {
    if (stopping) return;
    if (online < count) {
      // Not all up yet: the pool falls back to its calling thread instead of failing calls.
      stopping = true;
      parent.post({ type: 'failed', what: `worker ${index + 1} ${what}` });
      for (const w of workers) w.terminate();
      return;
    }
    // The message first, then the fault word that makes the calling thread read it (this thread
    // alone writes the fault word, so the first fault's message stays).
    if (Atomics.load(ctl, CTL.fault) === 0) {
      writeMessage(ctl, message, `worker ${index + 1} ${what}`);
      Atomics.store(ctl, CTL.fault, index + 1);
    }
    Atomics.add(ctl, CTL.signal, 1);
    Atomics.notify(ctl, CTL.signal);
    if (Atomics.load(ctl, CTL.messageSignal) === 1) parent.post({ type: 'signal' });
  };

  for (let k = 0; k < count; k++) {
    const data: WorkerInit = { ctl: init.ctl, message: init.message, port: init.ports[k], index: k };
    try {
      const w = rt.spawn(
        'worker',
        data,
        [init.ports[k]],
        {
          message: (m) => {
            const msg = threadMessage(m);
            if (msg.type === 'up' && ++online === count) parent.post({ type: 'ready' });
            else if (msg.type === 'exited') report(k, msg.what ?? 'exited');
          },
          error: (what) => report(k, what),
          exit: (what) => report(k, what),
        },
        init.resourceLimits,
      );
      workers.push(w);
    } catch (e) {
      report(k, `could not start: ${rt.spawnRefused(e)}`);
      return;
    }
  }

  parent.onMessage((m) => {
    const msg = threadMessage(m);
    if (msg.type === 'stop') {
      stopping = true;
      for (const w of workers) w.terminate();
      parent.close();
    } else if (msg.type === 'terminate' && msg.index !== undefined && workers[msg.index] !== undefined) {
      // The library's own fault tests: a worker terminated from outside, as a crash would.
      workers[msg.index].terminate();
    }
  });
}
