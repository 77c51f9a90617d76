/** The supervisor of an `se-kernels/threads` pool as a module Web Worker (dist/browser/se-kernels-threads-supervisor.js): supervise.ts with Web Workers. */
import type { SupervisorInit } from './protocol.js';
import { supervise } from './supervise.js';
import { firstMessage, webRuntime, workerScope } from './web.js';

const scope = workerScope();
const listeners: ((m: unknown) => void)[] = [];
void firstMessage(scope, (m) => {
  for (const l of listeners) l(m);
}).then((init) =>
  supervise(webRuntime, init as SupervisorInit, {
    onMessage: (listener) => listeners.push(listener),
    post: (m) => scope.postMessage(m),
    close: () => scope.close(),
  }),
);
