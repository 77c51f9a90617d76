// A page that closes while its pool computes: the test closes it mid-call; nothing may hang, and
// a page opened after it computes as before.
import * as core from './node_modules/se-kernels/dist/browser/se-kernels-core.js';
import { SEThreads } from './node_modules/se-kernels/dist/browser/se-kernels-threads.js';

const pool = new SEThreads({ threads: 2, minElements: 100 });
await pool.ready();
const big = { data: new Float32Array(8 * 64 * 56 * 56).fill(0.5), shape: [8, 64, 56, 56] };
const p = core.createSEParams({ channels: 64 });
window.__seResult = { started: true };
for (;;) await pool.seForwardAsync(big, p);
