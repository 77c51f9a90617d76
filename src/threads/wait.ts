/**
 * Waiting for a job's workers: blocking ({@link waitJob}, Atomics.wait) or not ({@link waitJobAsync},
 * Atomics.waitAsync or 'signal' messages), always bounded by the job's deadline; and where a job
 * stands (done, failed, a worker fault, the pool closed, the deadline passed).
 */
import { SEStateError } from '../errors.js';
import type { Job, PoolCore } from './core.js';
import { CTL, done, failed, readMessage } from './protocol.js';
import { waitAsync } from './runtime.js';

/**
 * Where a job stands: true when every share is done; throws SEStateError for a failed share, a
 * worker fault (the pool closes), the pool closed meanwhile, or the deadline passed (the pool
 * closes); false while shares are still running.
 */
function jobDone(core: PoolCore, fn: string, job: Job): boolean {
  const ctl = core.ctl;
  const { gen } = job;
  let left = 0;
  for (let k = 0; k < job.shares; k++) {
    const st = Atomics.load(ctl, CTL.state + k);
    if (st === failed(gen)) throw new SEStateError(`${fn}: ${readMessage(ctl, core.message)}`);
    if (st !== done(gen)) left++;
  }
  if (core.closed === null && Atomics.load(ctl, CTL.fault) !== 0) {
    const what = readMessage(ctl, core.message);
    core.shutdown(what);
    throw new SEStateError(`${fn}: ${what} during the call; the pool is closed (create a new SEThreads)`);
  }
  if (left === 0) return true;
  if (core.closed !== null) throw new SEStateError(`${fn}: this pool is closed: ${core.closed} (during the call); create a new SEThreads`);
  if (Date.now() >= job.deadline) {
    core.shutdown(`a worker did not finish its share within ${core.timeoutMs} ms`);
    throw new SEStateError(`${fn}: a worker did not finish its share within ${core.timeoutMs} ms; the pool is closed (create a new SEThreads)`);
  }
  return false;
}

/** Waits (blocking, at most until the job's deadline) for the workers' shares. */
export function waitJob(core: PoolCore, fn: string, job: Job): void {
  const ctl = core.ctl;
  for (;;) {
    const seen = Atomics.load(ctl, CTL.signal);
    if (jobDone(core, fn, job)) return;
    Atomics.wait(ctl, CTL.signal, seen, Math.max(1, Math.min(job.deadline - Date.now(), 1000)));
  }
}

/** Awaits (without blocking, at most until the job's deadline) the workers' shares. */
export async function waitJobAsync(core: PoolCore, fn: string, job: Job): Promise<void> {
  const ctl = core.ctl;
  try {
    for (;;) {
      const seen = Atomics.load(ctl, CTL.signal);
      if (jobDone(core, fn, job)) return;
      await signalChange(core, seen, Math.max(1, Math.min(job.deadline - Date.now(), 1000)));
    }
  } finally {
    Atomics.store(ctl, CTL.messageSignal, 0);
  }
}

/**
 * Resolves when `ctl[CTL.signal]` moves from `seen`, or after `ms`: with `Atomics.waitAsync`, else
 * on a 'signal' message from a worker or the supervisor (they send one while
 * `ctl[CTL.messageSignal]` is 1). A timer bounds it either way (and keeps a Node process alive
 * while a call is pending).
 */
function signalChange(core: PoolCore, seen: number, ms: number): Promise<void> {
  const ctl = core.ctl;
  return new Promise<void>((resolve) => {
    const timer = setTimeout(finish, ms);
    function finish(): void {
      clearTimeout(timer);
      resolve();
    }
    if (!core.useMessages && waitAsync !== null) {
      const r = waitAsync(ctl, CTL.signal, seen, ms);
      if (typeof r.value === 'string') finish();
      else void r.value.then(finish);
      return;
    }
    core.waiters.push(finish);
    Atomics.store(ctl, CTL.messageSignal, 1);
    // A signal between reading `seen` and raising the flag sent no message: look once more.
    if (Atomics.load(ctl, CTL.signal) !== seen) finish();
  });
}
