/** A worker of `se-kernels/threads` as a module Web Worker (dist/browser/se-kernels-threads-worker.js): work.ts with the web's waits and messages. */
import { CTL, HeldArrays, type ArraysMessage, type JobArrays, type WorkerInit } from './protocol.js';
import { firstMessage, workerScope, type WebPort } from './web.js';
import { runWorker } from './work.js';

const scope = workerScope();
/** How long an idle worker blocks before it lets its event loop run (messages), in ms. */
const IDLE_SLICE_MS = 20;
void firstMessage(scope, () => {}).then((m) => start(m as WorkerInit));

/** Runs the worker once its init data has arrived. */
function start(init: WorkerInit): void {
  const port = init.port as WebPort;
  const ctl = new Int32Array(init.ctl);
  const held = new HeldArrays();
  let waiting: { version: number; resolve: (a: JobArrays) => void } | null = null;
  port.addEventListener('message', (e) => {
    held.receive(e.data as ArraysMessage);
    const a = waiting === null ? undefined : held.get(waiting.version);
    if (waiting !== null && a !== undefined) {
      const w = waiting;
      waiting = null;
      w.resolve(a);
    }
  });
  port.start();

  /** A macrotask later: lets messages in between short blocking waits. */
  const yieldToEvents = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

  runWorker({
    ctl,
    message: new Uint8Array(init.message),
    index: init.index,
    // Blocks (a worker may) in short waits, so that a job starts as soon as it is posted, and
    // lets the event loop run between them: new array sets arrive as messages.
    waitJob(seen) {
      if (Atomics.wait(ctl, CTL.gen, seen, IDLE_SLICE_MS) !== 'timed-out') return undefined;
      return (async () => {
        for (;;) {
          await yieldToEvents();
          if (Atomics.wait(ctl, CTL.gen, seen, IDLE_SLICE_MS) !== 'timed-out') return;
        }
      })();
    },
    arrays(version) {
      const a = held.get(version);
      if (a !== undefined) return a;
      return new Promise<JobArrays>((resolve) => {
        waiting = { version, resolve };
      });
    },
    exit(code) {
      // A browser reports no exit: the supervisor hears it from here; the thread then stops
      // working for good (as if it had died) until the pool terminates it.
      scope.postMessage({ type: 'exited', what: `exited with code ${code}` });
      scope.close();
      for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    },
    up: () => scope.postMessage({ type: 'up' }),
    stopped: () => port.close(),
    tellPool: (m) => port.postMessage(m),
  }).catch((e: unknown) => {
    // An uncaught error, as the Worker's `error` event reports it (a rejection would not be).
    setTimeout(() => {
      throw e;
    }, 0);
  });
}
