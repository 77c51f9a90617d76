// Runs every case with the esbuild bundle of the main `se-kernels` entry.
import * as lib from './se-kernels.js';
import * as testing from './se-kernels-testing.js';
import { runAll } from './cases.mjs';

window.__seResult = { entry: 'se-kernels', userAgent: navigator.userAgent, results: runAll(lib, testing) };
