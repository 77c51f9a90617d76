// Runs every case with the esbuild bundle of `se-kernels/core`, on a page whose CSP forbids eval.
import * as lib from './se-kernels-core.js';
import * as testing from './se-kernels-testing.js';
import { runAll } from './cases.mjs';

const results = runAll(lib, testing);
// Let the securitypolicyviolation events of the probe (queued as tasks) arrive before reporting.
setTimeout(() => {
  window.__seResult = {
    entry: 'se-kernels/core',
    results,
    evalProbe: window.__evalProbe,
    inlineRan: window.__inlineRan === true,
    violations: window.__cspViolations,
  };
}, 50);
