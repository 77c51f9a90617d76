// The minified prebuilt se-kernels/core and testing bundles on a page whose CSP forbids eval.
import * as lib from './node_modules/se-kernels/dist/browser/se-kernels-core.min.js';
import * as testing from './node_modules/se-kernels/dist/browser/se-kernels-testing.min.js';
import { publish } from './prebuilt-run.mjs';

// The delay lets the securitypolicyviolation events of the probe (queued as tasks) arrive first.
publish('dist/browser/se-kernels-core.min.js (strict CSP)', lib, testing, {}, 50);
