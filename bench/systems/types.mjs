// @ts-check
/**
 * What a benchmarked system looks like. Each systems/*.mjs module exports a list of these.
 *
 * @typedef {'fwd' | 'fb'} Pass   forward, or forward + backward
 *
 * @typedef {object} Outputs      what a system computes for one block, as float32 arrays (null: not computed)
 * @property {ArrayLike<number>} y
 * @property {ArrayLike<number> | null} [dx]
 * @property {ArrayLike<number> | null} [dw1]
 * @property {ArrayLike<number> | null} [db1]
 * @property {ArrayLike<number> | null} [dw2]
 * @property {ArrayLike<number> | null} [db2]
 * @property {ArrayLike<number> | null} [z]    the passes floor's sum pass (mean per sample and channel)
 * @property {ArrayLike<number> | null} [ds]   the passes floor's dot pass (sum dy * x)
 *
 * @typedef {object} Instance     a system set up on one case
 * @property {() => unknown} run                   the timed call: every block of the case
 * @property {boolean} [async]                     run returns a promise to await
 * @property {() => Outputs[] | Promise<Outputs[]>} outputs  one call whose results are read back for the check, per block
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
 * @property {(c: import('../lib/cases.mjs').Case, mode: 'quick' | 'full') => string | null} [skip]
 *   a reason not to run this system on a case in this mode, or null
 * @property {(c: import('../lib/cases.mjs').Case, mode: 'quick' | 'full') => { rounds: number, why: string } | null} [fewerRounds]
 *   time this system on this case in fewer rounds (of one call) than the mode's, and why, or null
 * @property {(c: import('../lib/cases.mjs').Case, refs: import('../lib/reference.mjs').Reference[] | null) => Instance | Promise<Instance>} setup
 *   refs: the float64 reference per block (null in a worker: hosted systems must not need it)
 */
export {};
