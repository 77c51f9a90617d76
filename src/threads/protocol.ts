/**
 * What the calling thread, the supervisor and the workers of `se-kernels/threads` share: the
 * layout of the control block (an Int32Array on a SharedArrayBuffer), the job description, the
 * per-share claim protocol, and the routine that runs one share (the fused path's sample loops).
 *
 * A job is split into shares (ranges of samples). Every share has a state word tagged with the
 * job's generation: FREE(gen) -> CLAIMED(gen) by whichever thread wins a compare-and-swap, then
 * DONE(gen) or FAILED(gen). The calling thread runs the first share, then takes any share no
 * worker has claimed, then waits only for shares a worker is running. A late or stale thread can
 * never claim a share of another job (the generation in the word differs), and a worker that died
 * while idle costs nothing but its help.
 *
 * When the caller's x (or dy) is in ordinary memory, the workers cannot read it: the calling thread
 * copies the workers' samples into shared memory, share by share, and a share starts PENDING(gen)
 * and becomes FREE(gen) once its samples are copied (each release bumps `released`, which idle
 * workers wait on). The first share is then the calling thread's alone (CLAIMED(gen) from the
 * start), computed straight from the caller's arrays, and smaller than the others, since the
 * calling thread also does the copying.
 */
import type { SESqueeze } from '../options.js';
import { activationCode, activationFromCode, type ActivationKind } from '../kernels/activation.js';
import { backwardSamples, forwardSamples, type SEFrame, type SEScratch } from '../fused/index.js';

/** The most shares a job has (and the most threads a pool has). */
export const MAX_SHARES = 64;

/** Slots of the control block. */
export const CTL = {
  /** Job generation: bumped by the calling thread to start a job; workers wait on it. */
  gen: 0,
  /** 1: workers exit. */
  stop: 1,
  /** Bumped and notified when a share ends or a worker dies; the calling thread waits on it. */
  signal: 2,
  /** 0, or 1 + the index of a worker that died (set by the supervisor). */
  fault: 3,
  /** Version of the arrays the workers must hold for this job (sent over their ports). */
  arrays: 4,
  /** 0 forward, 1 backward. */
  kind: 5,
  N: 6,
  C: 7,
  S: 8,
  R: 9,
  /** 0 channels-first, 1 channels-last. */
  layout: 10,
  /** The squeeze's wire code (SQUEEZE_CODES below). */
  squeeze: 11,
  /** The activation's and the gate's stable wire codes (`activationCode`, not a list position). */
  activation: 12,
  gate: 13,
  hasB1: 14,
  hasB2: 15,
  xOffset: 16,
  dyOffset: 17,
  /** Number of shares of the job. */
  shares: 18,
  /** Length in bytes of the fault or failure message in the message block. */
  messageLength: 19,
  /** Fault injection for the library's own tests: what, and which worker (see FAULT). */
  inject: 20,
  injectTarget: 21,
  /** Bumped (and notified) each time the calling thread releases a PENDING share. */
  released: 22,
  /** Counts the shares the workers have run (the library's own tests check that workers take part). */
  workerShares: 23,
  /**
   * 1 while an async call waits on an engine without `Atomics.waitAsync`: whoever bumps `signal`
   * (a worker, the supervisor) then also sends the pool a 'signal' message.
   */
  messageSignal: 24,
  /** MAX_SHARES + 1 sample bounds: share k is samples [bounds[k], bounds[k + 1]). */
  bounds: 25,
  /** MAX_SHARES state words. */
  state: 25 + MAX_SHARES + 1,
} as const;

/** Length of the control block. */
export const CTL_LENGTH = CTL.state + MAX_SHARES;
/** Bytes of the message block (fault and failure descriptions, UTF-8). */
export const MESSAGE_BYTES = 2048;

/** Faults a test can inject into a worker (`injectFault` in faults.ts). @internal */
export const FAULT = {
  none: 0,
  /** The worker exits (code 7) at the start of the next job, before claiming anything. */
  exitIdle: 1,
  /** The worker exits (code 7) after claiming a share of the next job. */
  exitInShare: 2,
  /** Throw inside a claimed share (the share fails; the worker lives). */
  throwInShare: 3,
  /** Throw outside the job loop's guard (an uncaught error: the worker dies). */
  throwUncaught: 4,
  /** Allocate until the worker runs out of memory, after claiming a share. */
  outOfMemory: 5,
  /** Sleep 1 s after claiming a share (a slow worker). */
  slowShare: 6,
  /** Never come up: block at start, before telling the supervisor (arm it right after the constructor). */
  hangAtStart: 7,
} as const;

/**
 * Wire codes of the squeeze kinds: fixed numbers written here, so reordering or extending the
 * option list (`SE_SQUEEZES`) never changes what a worker reads. Activations and gates travel by
 * their stable code in the activation table (`activationCode`); the layout is the 0/1 flag
 * `channelsLast`.
 */
const SQUEEZE_CODES: Readonly<Record<SESqueeze, number>> = Object.freeze({ avg: 0, max: 1, avgmax: 2 });
const SQUEEZE_BY_CODE: readonly SESqueeze[] = ['avg', 'max', 'avgmax'];

/** The squeeze kind of a wire code (a code no kind has is a protocol error: the share fails). */
function squeezeFromCode(code: number): SESqueeze {
  const q = SQUEEZE_BY_CODE[code];
  if (q === undefined || SQUEEZE_CODES[q] !== code) throw new Error(`se-kernels/threads: unknown squeeze code ${code} in a job`);
  return q;
}

/** The activation kind of a wire code (a code no kind has is a protocol error: the share fails). */
function kindFromCode(code: number): ActivationKind {
  const k = activationFromCode(code);
  if (k === undefined) throw new Error(`se-kernels/threads: unknown activation code ${code} in a job`);
  return k;
}

const GEN_MASK = 0x0fffffff;
/** Next generation after `gen` (never 0, which the state words start at). */
export function nextGeneration(gen: number): number {
  const g = (gen + 1) & GEN_MASK;
  return g === 0 ? 1 : g;
}
/** State words of a share in job `gen` (three bits of state under the generation). */
export const free = (gen: number): number => gen << 3;
export const claimed = (gen: number): number => (gen << 3) | 1;
export const done = (gen: number): number => (gen << 3) | 2;
export const failed = (gen: number): number => (gen << 3) | 3;
export const pending = (gen: number): number => (gen << 3) | 4;

/** The shared arrays of a job (every one on a SharedArrayBuffer); argmax and biases may be null. */
export interface JobArrays {
  x: Float32Array;
  y: Float32Array;
  z: Float32Array;
  a: Float32Array;
  h: Float32Array;
  g: Float32Array;
  s: Float32Array;
  argmax: Int32Array | null;
  w1: Float32Array;
  b1: Float32Array | null;
  w2: Float32Array;
  b2: Float32Array | null;
  dy: Float32Array | null;
  dx: Float32Array | null;
  dG: Float32Array | null;
  dA: Float32Array | null;
}

/** A new array set for the workers: its version, and every version the pool still uses (a worker keeps exactly those). */
export interface ArraysMessage {
  version: number;
  arrays: JobArrays;
  live: number[];
}

/** A worker's copy of the array sets the pool uses, by version. */
export class HeldArrays {
  private readonly sets = new Map<number, JobArrays>();

  /** Takes in a message from the pool. */
  receive(m: ArraysMessage): void {
    this.sets.set(m.version, m.arrays);
    for (const v of [...this.sets.keys()]) if (!m.live.includes(v)) this.sets.delete(v);
  }

  /** The set of this version, if received. */
  get(version: number): JobArrays | undefined {
    return this.sets.get(version);
  }
}

/** Writes the job's sizes and variant from a bound frame into the control block. */
export function describeJob(ctl: Int32Array, kind: 0 | 1, f: SEFrame, dyOffset: number): void {
  ctl[CTL.kind] = kind;
  ctl[CTL.N] = f.N;
  ctl[CTL.C] = f.C;
  ctl[CTL.S] = f.S;
  ctl[CTL.R] = f.R;
  ctl[CTL.layout] = f.channelsLast ? 1 : 0;
  ctl[CTL.squeeze] = SQUEEZE_CODES[f.squeeze];
  ctl[CTL.activation] = activationCode(f.activation);
  ctl[CTL.gate] = activationCode(f.gate);
  ctl[CTL.hasB1] = f.b1 === null ? 0 : 1;
  ctl[CTL.hasB2] = f.b2 === null ? 0 : 1;
  ctl[CTL.xOffset] = f.xOffset;
  ctl[CTL.dyOffset] = dyOffset;
}

/** Points a worker's frame at the job described in the control block and the arrays it holds. */
export function frameOfJob(ctl: Int32Array, arrays: JobArrays, f: SEFrame): void {
  f.N = ctl[CTL.N];
  f.C = ctl[CTL.C];
  f.S = ctl[CTL.S];
  f.R = ctl[CTL.R];
  f.channelsLast = ctl[CTL.layout] === 1;
  f.squeeze = squeezeFromCode(ctl[CTL.squeeze]);
  f.activation = kindFromCode(ctl[CTL.activation]);
  f.gate = kindFromCode(ctl[CTL.gate]);
  f.x = arrays.x;
  f.xOffset = ctl[CTL.xOffset];
  f.w1 = arrays.w1;
  f.b1 = ctl[CTL.hasB1] === 1 ? arrays.b1 : null;
  f.w2 = arrays.w2;
  f.b2 = ctl[CTL.hasB2] === 1 ? arrays.b2 : null;
  f.z = arrays.z;
  f.aSaved = arrays.a;
  f.h = arrays.h;
  f.gSaved = arrays.g;
  f.s = arrays.s;
  f.argmax = f.squeeze === 'avg' ? null : arrays.argmax;
}

/**
 * Runs share k of the job in the control block on `f` (bound to the job's arrays; `dy` and
 * `dyOffset` are where this thread reads dy): the forward or backward sample loop over the
 * share's samples, exactly as the single-threaded path runs them.
 */
export function runShare(ctl: Int32Array, f: SEFrame, arrays: JobArrays, dy: Float32Array | null, dyOffset: number, k: number, sc: SEScratch): void {
  const n0 = ctl[CTL.bounds + k];
  const n1 = ctl[CTL.bounds + k + 1];
  if (ctl[CTL.kind] === 0) {
    forwardSamples(f, arrays.y, n0, n1, sc);
  } else if (dy !== null && arrays.dx !== null && arrays.dG !== null && arrays.dA !== null) {
    backwardSamples(f, dy, dyOffset, arrays.dx, arrays.dG, arrays.dA, n0, n1, sc);
  } else {
    throw new Error('se-kernels/threads: a backward job without its gradient arrays');
  }
}

/** What a pool sends its supervisor thread when starting it (the control and message blocks, one port per worker). */
export interface SupervisorInit {
  ctl: SharedArrayBuffer;
  message: SharedArrayBuffer;
  ports: unknown[];
  resourceLimits: unknown;
}

/** What the supervisor sends each worker when starting it: the two blocks, its port for array sets, its index. */
export interface WorkerInit {
  ctl: SharedArrayBuffer;
  message: SharedArrayBuffer;
  port: unknown;
  index: number;
}

/** A message between a pool, its supervisor and its workers (`type` first; the other fields by type). */
export interface ThreadMessage {
  /** 'up' (a worker started), 'ready' (all did), 'failed' (one could not start), 'exited', 'stop', 'terminate'. */
  type: string;
  index?: number;
  what?: string;
}

/** Reads a message's type and fields without trusting its shape. */
export function threadMessage(m: unknown): ThreadMessage {
  if (typeof m !== 'object' || m === null) return { type: '' };
  const o = m as Record<string, unknown>;
  return {
    type: typeof o.type === 'string' ? o.type : '',
    index: typeof o.index === 'number' ? o.index : undefined,
    what: typeof o.what === 'string' ? o.what : undefined,
  };
}

/** Writes a message (UTF-8, cut to the block) for the calling thread to read. */
export function writeMessage(ctl: Int32Array, block: Uint8Array, text: string): void {
  // Encoded apart, then copied: browsers refuse TextEncoder.encodeInto on shared memory.
  const bytes = new TextEncoder().encode(text.length > 1000 ? text.slice(0, 1000) + '...' : text);
  const n = Math.min(bytes.length, block.length);
  block.set(bytes.subarray(0, n));
  Atomics.store(ctl, CTL.messageLength, n);
}

/** Reads the message block. */
export function readMessage(ctl: Int32Array, block: Uint8Array): string {
  const n = Atomics.load(ctl, CTL.messageLength);
  return new TextDecoder().decode(block.slice(0, n));
}
