/**
 * `se-kernels/threads` (Node, ESM): the SE forward and backward split over the batch between the
 * calling thread and worker threads, synchronous for the caller. Each thread runs the same
 * per-sample loop on its share (and the weight gradients are summed over the whole batch on the
 * calling thread), so the results are bit-identical to the single-threaded `seForward` /
 * `seBackward`; the returned cache also works with the ordinary `seBackward`.
 *
 * It pays on large inputs (measured on the standard 1.6M-element shapes with two threads, see the
 * README); small ones, or a batch of one, run on the calling thread. Inputs are read from shared
 * memory: an x or dy whose data is on a SharedArrayBuffer is used in place, any other is first
 * copied into shared memory (a full read and write, which costs part of the gain).
 * @module se-kernels/threads
 */
import { cpus } from 'node:os';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { SEOptionError, SEShapeError, SEStateError, describeValue } from '../errors.js';
import { resolveSEOptions, SE_ACTIVATIONS, SE_GATES, SE_LAYOUTS, SE_SQUEEZES, type SEOptions } from '../options.js';
import { checkSEParams, type SEParams } from '../params.js';
import { SECache, checkChannels, checkFingerprints, seBackward, seForward, weightGradients, type SEBackwardResult, type SEForwardResult } from '../se.js';
import { formatShape, gatherDense, inspectTensor, plainTensor, sampleFingerprint, TensorView, type FloatTensor } from '../tensor.js';
import { SEWorkspace } from '../workspace.js';
import { CTL, controlLength, runShare, type SharedArrays } from './shared.js';

/** Options of {@link SEThreads}. */
export interface SEThreadsOptions {
  /** Threads in all, the calling one included (default: the number of CPUs, at least 1). 1 turns the split off. */
  threads?: number;
  /** Inputs with fewer elements run on the calling thread only (default 2^20). */
  minElements?: number;
  /** How long to wait for a worker's share before giving up with SEStateError, in ms (default 30000). */
  timeoutMs?: number;
}

function sharedF32(n: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(Math.max(1, n) * 4));
}

function isShared(a: Float32Array): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;
}

/**
 * A pool of worker threads for the SE block. Create one and keep it; call `close()` when done
 * (the workers are unref'd, so an open pool never keeps a process alive). Like an SEWorkspace, a
 * pool holds one forward's state: the y, dx and cache it returns live in shared buffers it owns
 * and are overwritten by its next calls.
 */
export class SEThreads {
  /** Threads in all, the calling one included. */
  readonly threads: number;
  /** Smallest input (in elements) that is split over the threads. */
  readonly minElements: number;
  private readonly timeoutMs: number;
  private readonly ctl: Int32Array;
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly workspace = new SEWorkspace();
  private readonly view = new TensorView();
  private readonly dyView = new TensorView();
  private lastCache: SECache | null = null;
  private arrays: SharedArrays | null = null;
  private version = 0;
  private closed = false;

  /** @param options threads, minElements, timeoutMs */
  constructor(options: SEThreadsOptions = {}) {
    const fn = 'SEThreads';
    const threads = options.threads ?? Math.max(1, cpus().length);
    if (!Number.isSafeInteger(threads) || threads < 1 || threads > 64) {
      throw new SEOptionError(`${fn}: options.threads must be an integer from 1 to 64 but is ${describeValue(options.threads)}`);
    }
    const minElements = options.minElements ?? 2 ** 20;
    if (typeof minElements !== 'number' || !(minElements >= 0)) {
      throw new SEOptionError(`${fn}: options.minElements must be a number >= 0 but is ${describeValue(options.minElements)}`);
    }
    const timeoutMs = options.timeoutMs ?? 30000;
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) {
      throw new SEOptionError(`${fn}: options.timeoutMs must be a positive number but is ${describeValue(options.timeoutMs)}`);
    }
    this.threads = threads;
    this.minElements = minElements;
    this.timeoutMs = timeoutMs;
    this.ctl = new Int32Array(new SharedArrayBuffer(controlLength(threads - 1) * 4));
    for (let k = 0; k < threads - 1; k++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(new URL('./worker.js', import.meta.url), {
        workerData: { ctl: this.ctl.buffer, port: port2, index: k },
        transferList: [port2],
      });
      worker.unref();
      port1.unref();
      this.workers.push(worker);
      this.ports.push(port1);
    }
  }

  /**
   * `seForward`, split over the batch between this thread and the workers when x has at least
   * `minElements` elements and two or more samples; otherwise the single-threaded `seForward`
   * (with this pool's workspace). Same arguments, same checks, same results bit for bit.
   * @returns y (on shared memory, owned by the pool) and the cache, usable with `seBackward`
   */
  seForward(x: FloatTensor, params: SEParams, options?: SEOptions): SEForwardResult {
    const fn = 'SEThreads.seForward';
    if (this.closed) throw new SEStateError(`${fn}: this pool was closed`);
    const xt = inspectTensor(this.view, fn, 'x', x, 3, 5);
    const N = xt.shape[0];
    if (this.threads === 1 || N < 2 || xt.size < this.minElements) return seForward(x, params, options, { workspace: this.workspace });
    checkSEParams(fn, params);
    const opts = resolveSEOptions(fn, options);
    const C = checkChannels(fn, xt.shape, opts, params);
    const S = xt.size / (N * C);
    const R = params.hidden;

    // Shared buffers: the caller's x when it already is on shared memory and contiguous, else a copy.
    const shareX = xt.contiguous && isShared(xt.data);
    if (!shareX) this.ownX = SEThreads.own(this.ownX, xt.size);
    const x0 = shareX ? xt.data : this.ownX;
    const arrays = this.ensureArrays(xt.size, N * C, N * R, R * C, x0, this.arrays?.dy ?? sharedF32(1), this.arrays?.dx.length ?? 1);
    let xOffset = xt.offset;
    if (!shareX) {
      if (xt.contiguous) arrays.x.set(xt.data.subarray(xt.offset, xt.offset + xt.size));
      else gatherDense(arrays.x, xt);
      xOffset = 0;
    }
    arrays.w1.set(params.w1);
    arrays.w2.set(params.w2);
    if (params.b1 !== null) arrays.b1.set(params.b1);
    if (params.b2 !== null) arrays.b2.set(params.b2);

    // The job: sizes, variant, and each thread's share of the batch (the calling thread takes the first).
    const ctl = this.ctl;
    ctl[CTL.N] = N;
    ctl[CTL.C] = C;
    ctl[CTL.S] = S;
    ctl[CTL.R] = R;
    ctl[CTL.layout] = SE_LAYOUTS.indexOf(opts.layout);
    ctl[CTL.squeeze] = SE_SQUEEZES.indexOf(opts.squeeze);
    ctl[CTL.activation] = SE_ACTIVATIONS.indexOf(opts.activation);
    ctl[CTL.gate] = SE_GATES.indexOf(opts.gate);
    ctl[CTL.hasB1] = params.b1 === null ? 0 : 1;
    ctl[CTL.hasB2] = params.b2 === null ? 0 : 1;
    ctl[CTL.xOffset] = xOffset;
    ctl[CTL.kind] = 0;
    this.runJob(fn, arrays, N);

    // The cache for seBackward: the shared per-sample arrays, the caller's parameter arrays.
    const cache = new SECache();
    cache.shape = xt.shape.slice();
    cache.N = N;
    cache.C = C;
    cache.S = S;
    cache.R = R;
    cache.options = opts;
    cache.w1 = params.w1;
    cache.b1 = params.b1;
    cache.w2 = params.w2;
    cache.b2 = params.b2;
    cache.x = arrays.x;
    cache.xOffset = xOffset;
    cache.z = arrays.z.subarray(0, N * C);
    cache.a = arrays.a.subarray(0, N * R);
    cache.h = arrays.h.subarray(0, N * R);
    cache.g = arrays.g.subarray(0, N * C);
    cache.s = arrays.s.subarray(0, N * C);
    cache.argmax = opts.squeeze === 'avg' ? null : arrays.argmax.subarray(0, N * C);
    cache.fx = sampleFingerprint(arrays.x, xOffset, xt.size);
    cache.fw1 = sampleFingerprint(params.w1, 0, params.w1.length);
    cache.fb1 = params.b1 === null ? 0 : sampleFingerprint(params.b1, 0, params.b1.length);
    cache.fw2 = sampleFingerprint(params.w2, 0, params.w2.length);
    cache.fb2 = params.b2 === null ? 0 : sampleFingerprint(params.b2, 0, params.b2.length);
    this.lastCache = cache;
    return { y: plainTensor(arrays.y.subarray(0, xt.size), xt.shape), cache };
  }

  /**
   * `seBackward` for a cache from this pool's latest threaded `seForward`, split over the batch the
   * same way (each thread runs the per-sample backward on its share; the weight gradients are then
   * summed over all samples on the calling thread, as the single-threaded path does, so every
   * result is bit-identical). Any other cache goes to the single-threaded `seBackward`.
   * @returns dx (on shared memory, owned by the pool) and fresh weight gradients
   */
  seBackward(dy: FloatTensor, cache: SECache): SEBackwardResult {
    const fn = 'SEThreads.seBackward';
    if (this.closed) throw new SEStateError(`${fn}: this pool was closed`);
    if (cache !== this.lastCache || this.arrays === null) return seBackward(dy, cache, { workspace: this.workspace });
    const dyt = inspectTensor(this.dyView, fn, 'dy', dy, 3, 5);
    const shape = cache.shape;
    if (dyt.shape.length !== shape.length || dyt.shape.some((d, k) => d !== shape[k])) {
      throw new SEShapeError(`${fn}: dy has shape ${formatShape(dyt.shape)} but x had shape ${formatShape(shape)}`);
    }
    checkFingerprints(fn, cache);
    const { N, C, S, R } = cache;
    const size = N * C * S;
    const shareDy = dyt.contiguous && isShared(dyt.data);
    if (!shareDy) this.ownDy = SEThreads.own(this.ownDy, size);
    const arrays = this.ensureArrays(size, N * C, N * R, R * C, this.arrays.x, shareDy ? dyt.data : this.ownDy, size);
    let dyOffset = dyt.offset;
    if (!shareDy) {
      if (dyt.contiguous) arrays.dy.set(dyt.data.subarray(dyt.offset, dyt.offset + size));
      else gatherDense(arrays.dy, dyt);
      dyOffset = 0;
    }
    const ctl = this.ctl;
    ctl[CTL.kind] = 1;
    ctl[CTL.dyOffset] = dyOffset;
    this.runJob(fn, arrays, N);

    // The batch products, exactly as the single-threaded seBackward computes them.
    const dw1 = new Float32Array(R * C);
    const dw2 = new Float32Array(C * R);
    const db1 = cache.b1 === null ? null : new Float32Array(R);
    const db2 = cache.b2 === null ? null : new Float32Array(C);
    const dG = arrays.dG.subarray(0, N * C);
    const dA = arrays.dA.subarray(0, N * R);
    weightGradients(dw1, dw2, db1, db2, dG, dA, cache.z, cache.h, N, C, R, new Float64Array(Math.max(C, R)));
    return {
      dx: plainTensor(arrays.dx.subarray(0, size), shape),
      dw1: plainTensor(dw1, [R, C]),
      db1: db1 === null ? null : plainTensor(db1, [R]),
      dw2: plainTensor(dw2, [C, R]),
      db2: db2 === null ? null : plainTensor(db2, [C]),
    };
  }

  /** Stops the workers. The pool cannot be used afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctl, CTL.stop, 1);
    Atomics.add(this.ctl, CTL.job, 1);
    Atomics.notify(this.ctl, CTL.job);
    for (const p of this.ports) p.close();
    for (const w of this.workers) void w.terminate();
  }

  /**
   * Runs the job described in the control block over N samples: the workers take the later
   * shares, this thread the first; returns when every share is done.
   */
  private runJob(fn: string, arrays: SharedArrays, N: number): void {
    const ctl = this.ctl;
    const T = this.threads;
    const bound = (k: number) => Math.round((k * N) / T);
    for (let k = 0; k < T - 1; k++) {
      ctl[CTL.ranges + 2 * k] = bound(k + 1);
      ctl[CTL.ranges + 2 * k + 1] = bound(k + 2);
    }
    Atomics.store(ctl, CTL.done, 0);
    Atomics.store(ctl, CTL.error, 0);
    Atomics.add(ctl, CTL.job, 1);
    Atomics.notify(ctl, CTL.job);
    runShare(ctl, arrays, 0, bound(1));
    this.waitForWorkers(fn);
  }

  private waitForWorkers(fn: string): void {
    const ctl = this.ctl;
    const expected = this.workers.length;
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const done = Atomics.load(ctl, CTL.done);
      if (done >= expected) break;
      if (Date.now() > deadline) throw new SEStateError(`${fn}: a worker did not finish its share within ${this.timeoutMs} ms`);
      Atomics.wait(ctl, CTL.done, done, 100);
    }
    if (Atomics.load(ctl, CTL.error) !== 0) throw new SEStateError(`${fn}: a worker failed on its share (its error is on stderr)`);
  }

  /**
   * Shared arrays big enough for this job around the given x and dy (each the caller's own view on
   * shared memory, or the pool's). Replaced arrays are sent to the workers, which receive them
   * synchronously at their next job.
   */
  private ensureArrays(size: number, NC: number, NR: number, RC: number, x: Float32Array, dy: Float32Array, dxSize: number): SharedArrays {
    const cur = this.arrays;
    const grow = (old: Float32Array | undefined, n: number) => (old !== undefined && old.length >= n ? old : sharedF32(n));
    const next: SharedArrays = {
      x,
      y: grow(cur?.y, size),
      z: grow(cur?.z, NC),
      a: grow(cur?.a, NR),
      h: grow(cur?.h, NR),
      g: grow(cur?.g, NC),
      s: grow(cur?.s, NC),
      argmax: cur !== null && cur.argmax.length >= NC ? cur.argmax : new Int32Array(new SharedArrayBuffer(Math.max(1, NC) * 4)),
      w1: grow(cur?.w1, RC),
      b1: grow(cur?.b1, RC),
      w2: grow(cur?.w2, RC),
      b2: grow(cur?.b2, NC),
      dy,
      dx: grow(cur?.dx, dxSize),
      dG: grow(cur?.dG, NC),
      dA: grow(cur?.dA, NR),
    };
    let changed = cur === null;
    if (cur !== null) for (const k of Object.keys(next) as (keyof SharedArrays)[]) if (next[k] !== cur[k]) changed = true;
    if (!changed && cur !== null) return cur;
    this.arrays = next;
    this.version++;
    for (const p of this.ports) p.postMessage({ arrays: next, version: this.version });
    Atomics.store(this.ctl, CTL.buffers, this.version);
    return next;
  }

  /** The pool's own shared copies of x and dy, for callers whose arrays are not on shared memory. */
  private ownX: Float32Array = new Float32Array(0);
  private ownDy: Float32Array = new Float32Array(0);

  /** `own` if it holds n values, else a new shared array. */
  private static own(own: Float32Array, n: number): Float32Array {
    return own.length >= n && isShared(own) ? own : sharedF32(n);
  }
}
