// @ts-check
/**
 * What a benchmarked system looks like. Each systems/*.mjs module exports a list of these.
 *
 * @typedef {'fwd' | 'fb'} Pass   forward, or forward + backward
 *
 * @typedef {object} Outputs      what a system computes, as float32 arrays (null: not computed)
 * @property {ArrayLike<number>} y
 * @property {ArrayLike<number> | null} [dx]
 * @property {ArrayLike<number> | null} [dw1]
 * @property {ArrayLike<number> | null} [db1]
 * @property {ArrayLike<number> | null} [dw2]
 * @property {ArrayLike<number> | null} [db2]
 * @property {ArrayLike<number> | null} [z]    the floor's sum pass (mean per sample and channel)
 * @property {ArrayLike<number> | null} [ds]   the floor's dot pass (sum dy * x)
 *
 * @typedef {object} Instance     a system set up on one case
 * @property {() => unknown} run                   the timed call
 * @property {boolean} [async]                     run returns a promise to await
 * @property {() => Outputs | Promise<Outputs>} outputs  one call whose results are read back for the check
 * @property {() => unknown} [activate]            called before each timed slice (tfjs: switch backend)
 * @property {() => unknown} [dispose]
 * @property {(ms: number, minCalls: number, record: boolean) => Promise<number[]>} [slice]
 *   set by lib/isolate.mjs for a system hosted in a worker, which times its own calls
 *
 * @typedef {object} System
 * @property {string} id        unique, e.g. 'se-kernels/fwd'
 * @property {string} family    column name in the tables, e.g. 'se-kernels'
 * @property {Pass} pass
 * @property {number} tol       max relative error allowed against the float64 reference
 * @property {boolean} [diagnostic]  shown in the tables but not a target
 * @property {boolean} [isolated]    runs in a worker thread (lib/isolate.mjs)
 * @property {(c: import('../lib/cases.mjs').Case, ref: import('../lib/reference.mjs').Reference) => Instance | Promise<Instance>} setup
 */
export {};
