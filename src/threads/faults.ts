/**
 * Fault injection for the library's own tests (not part of the API, not exported by the package's
 * entries): tests import this module next to the pool's entry. `injectFault(pool, name, worker)`
 * arms a fault (see FAULT in protocol.ts) in a worker, or terminates it from its supervisor;
 * `workerShares(pool)` counts the shares the pool's workers have run; `useMessageSignals(pool)`
 * makes its async calls wait as on engines without `Atomics.waitAsync`.
 * @internal
 */
import { CTL, FAULT } from './protocol.js';
import { poolCore, type SEThreads } from './pool.js';

function coreOf(pool: SEThreads): NonNullable<ReturnType<typeof poolCore>> {
  const core = poolCore(pool);
  if (core === undefined) throw new TypeError('not an SEThreads pool of this copy');
  return core;
}

/** Arms fault `what` in worker `worker` (1-based), or ('terminate') has its supervisor terminate it. */
export function injectFault(pool: SEThreads, what: keyof typeof FAULT | 'terminate', worker = 1): void {
  const core = coreOf(pool);
  if (what === 'terminate') {
    core.supervisor?.post({ type: 'terminate', index: worker - 1 }, []);
    return;
  }
  Atomics.store(core.ctl, CTL.inject, FAULT[what]);
  Atomics.store(core.ctl, CTL.injectTarget, worker);
}

/** How many shares the pool's workers have run. */
export function workerShares(pool: SEThreads): number {
  return Atomics.load(coreOf(pool).ctl, CTL.workerShares);
}

/** Makes the pool's async calls wait for 'signal' messages, as on engines without `Atomics.waitAsync`. */
export function useMessageSignals(pool: SEThreads): void {
  coreOf(pool).useMessages = true;
}
