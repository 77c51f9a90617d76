/**
 * The runtime of `se-kernels/threads` in browsers: module Web Workers over SharedArrayBuffer
 * (which needs a cross-origin isolated page), started from the prebuilt files next to the pool's
 * own (`dist/browser/se-kernels-threads-supervisor.js` and `-worker.js`, found through
 * `new URL('./file.js', import.meta.url)`, a pattern bundlers follow).
 */
import { runtimeGlobal, type LocalPort, type Runtime } from './runtime.js';

/** The parts of the DOM's Worker, MessageChannel and navigator this module uses (no DOM types in this project). */
export interface WebWorker {
  postMessage(message: unknown, transfer?: unknown[]): void;
  terminate(): void;
  addEventListener(type: string, listener: (event: WebEvent) => void): void;
}
/** An event of a Worker or a MessagePort. */
export interface WebEvent {
  data?: unknown;
  message?: string;
  preventDefault?: () => void;
}
type WorkerConstructor = new (url: URL, options: { type: 'module'; name?: string }) => WebWorker;
/** A port of a MessageChannel. */
export interface WebPort extends LocalPort {
  addEventListener(type: string, listener: (event: WebEvent) => void): void;
  start(): void;
}
type ChannelConstructor = new () => { port1: WebPort; port2: WebPort };

/** The sentence for a page that is not cross-origin isolated. */
const NOT_ISOLATED =
  'SharedArrayBuffer is not available because this page is not cross-origin isolated (crossOriginIsolated is false); ' +
  'serve the page with the response headers "Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp" ' +
  'to compute with worker threads. Until then the pool computes on the calling thread.';

function startWorker(file: 'supervisor' | 'worker'): WebWorker {
  const Worker = runtimeGlobal<WorkerConstructor>('Worker');
  if (Worker === undefined) throw new Error('Worker is not defined in this context');
  // Written out per file so that bundlers (Vite, webpack 5, esbuild) see the pattern and copy the file.
  return file === 'supervisor'
    ? new Worker(new URL('./se-kernels-threads-supervisor.js', import.meta.url), { type: 'module', name: 'se-kernels threads supervisor' })
    : new Worker(new URL('./se-kernels-threads-worker.js', import.meta.url), { type: 'module', name: 'se-kernels threads worker' });
}

/** Web Workers. */
export const webRuntime: Runtime = {
  hardwareThreads: () => {
    const n = runtimeGlobal<{ hardwareConcurrency?: unknown }>('navigator')?.hardwareConcurrency;
    return typeof n === 'number' && n >= 1 ? Math.floor(n) : 1;
  },
  unavailable: () => {
    if (typeof SharedArrayBuffer !== 'function' || runtimeGlobal<boolean>('crossOriginIsolated') === false) return NOT_ISOLATED;
    if (runtimeGlobal<WorkerConstructor>('Worker') === undefined) {
      return 'Web Workers are not available in this context (a worker of a browser without nested workers?); the pool computes on the calling thread';
    }
    return null;
  },
  // A page's main thread may not block (Atomics.wait throws there); workers may.
  canBlock: () => runtimeGlobal<object>('document') === undefined,
  spawn(file, init, transfer, events) {
    const w = startWorker(file);
    let ended = false;
    w.addEventListener('message', (e) => events.message(e.data));
    w.addEventListener('error', (e) => {
      e.preventDefault?.();
      events.error(`threw: ${e.message ?? 'its script failed to load or threw (see the console)'}`);
    });
    w.addEventListener('messageerror', () => events.error('threw: a message could not be deserialized'));
    w.postMessage(init, transfer);
    return {
      post: (m, t) => w.postMessage(m, t),
      terminate: () => {
        w.terminate();
        // Browsers report no exit: say it here, once.
        if (!ended) {
          ended = true;
          events.exit('was terminated');
        }
      },
      ref: () => {},
      unref: () => {},
    };
  },
  channel() {
    const MessageChannel = runtimeGlobal<ChannelConstructor>('MessageChannel');
    if (MessageChannel === undefined) throw new Error('MessageChannel is not defined in this context');
    const { port1, port2 } = new MessageChannel();
    return {
      local: port1,
      remote: port2,
      listen: (listener) => {
        port1.addEventListener('message', (e) => listener(e.data));
        port1.start();
      },
    };
  },
  spawnRefused: (e) =>
    `a Web Worker could not be started (${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}); ` +
    `if a Content-Security-Policy refuses it, allow the library's files with worker-src 'self' (or script-src 'self'). The pool computes on the calling thread`,
  startFailed: (what) =>
    `worker threads could not start (${what}): a Content-Security-Policy must allow the library's worker files (worker-src 'self'), ` +
    `se-kernels-threads-supervisor.js and se-kernels-threads-worker.js must be served next to se-kernels-threads.js, and with the page's ` +
    `Cross-Origin-Embedder-Policy: require-corp header too. The pool computes on the calling thread`,
};

/** The global scope of a dedicated Web Worker, as this module uses it. */
export interface WorkerScope {
  addEventListener(type: string, listener: (event: WebEvent) => void): void;
  postMessage(message: unknown, transfer?: unknown[]): void;
  close(): void;
}

/** This worker's global scope. */
export function workerScope(): WorkerScope {
  const post = runtimeGlobal<WorkerScope['postMessage']>('postMessage');
  const listen = runtimeGlobal<WorkerScope['addEventListener']>('addEventListener');
  const close = runtimeGlobal<WorkerScope['close']>('close');
  if (post === undefined || listen === undefined || close === undefined) throw new Error('se-kernels/threads: not a Web Worker');
  return {
    addEventListener: (type, listener) => listen.call(globalThis, type, listener),
    postMessage: (m, t) => post.call(globalThis, m, t),
    close: () => close.call(globalThis),
  };
}

/** Resolves with the first message this worker receives (its init data). */
export function firstMessage(scope: WorkerScope, rest: (m: unknown) => void): Promise<unknown> {
  return new Promise((resolve) => {
    let first = true;
    scope.addEventListener('message', (e) => {
      if (first) {
        first = false;
        resolve(e.data);
      } else {
        rest(e.data);
      }
    });
  });
}
