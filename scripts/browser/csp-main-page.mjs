// The main entry on a page whose CSP forbids eval: records whether it loads and runs. (scijs
// ndarray compiles its constructors with `new Function` when it is first evaluated, so the error,
// if any, comes from the import itself; a dynamic import lets this page catch it.)
import * as testing from './se-kernels-testing.js';
import { CASES, runCase } from './cases.mjs';

let outcome;
try {
  const lib = await import('./se-kernels.js');
  runCase(lib, testing, CASES[0], 0);
  outcome = { ran: true };
} catch (e) {
  outcome = { ran: false, error: String(e && e.name) + ': ' + String(e && e.message) };
}
window.__seResult = { entry: 'se-kernels (strict CSP)', outcome, evalProbe: window.__evalProbe };
