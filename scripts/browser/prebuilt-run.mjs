// Shared by the pages that load the prebuilt bundles (dist/browser/, served as if installed in
// ./node_modules/se-kernels): runs every case of cases.mjs with the entry the page imported and
// publishes the results on window.__seResult for scripts/browser-test.mjs.
import { runAll } from './cases.mjs';

/** Classes whose `.name` the test checks. */
export const CLASSES = ['SEBlock', 'Tape', 'Variable', 'Parameter', 'SECache', 'SEWorkspace', 'SEShapeError', 'Adam'];

/**
 * Runs the cases with `lib` (main or core bundle) and `testing` (the testing bundle) and publishes
 * them with the entries' export names. `extra` is merged into the result; `delayMs` lets queued
 * events (CSP violation reports) arrive first.
 */
export function publish(entry, lib, testing, extra = {}, delayMs = 0) {
  const result = {
    entry,
    userAgent: navigator.userAgent,
    exports: { lib: Object.keys(lib).sort(), testing: Object.keys(testing).sort() },
    // What `.name` says of some classes (minifiers rename them unless told not to).
    classNames: Object.fromEntries(CLASSES.map((k) => [k, lib[k]?.name])),
    results: runAll(lib, testing),
    ...extra,
  };
  const done = () => {
    window.__seResult = { ...result, violations: window.__cspViolations, evalProbe: window.__evalProbe, inlineRan: window.__inlineRan === true };
  };
  if (delayMs > 0) setTimeout(done, delayMs);
  else done();
}

/**
 * The README's property test, in the page: the bundled `seCaseArbitrary` (testing bundle, its own
 * fast-check inside) driven by the page's own copy of fast-check (`fc`), against the float64
 * reference. Returns { failed, numRuns, message }.
 */
export function propertyCheck(fc, lib, testing) {
  try {
    const r = fc.check(
      fc.property(testing.seCaseArbitrary(), ({ x, params, options }) => {
        const ref = testing.seReference(x.data, x.shape, testing.params64(params), testing.refOptions(options));
        return ref.condition > 30 || testing.relativeError(lib.seForward(x, params, options).y.data, ref.y) < 1e-5;
      }),
      { numRuns: 30, seed: 20240611 },
    );
    return { failed: r.failed, numRuns: r.numRuns, message: r.failed ? String(r.errorInstance ?? JSON.stringify(r.counterexample)).slice(0, 300) : '' };
  } catch (e) {
    return { failed: true, numRuns: 0, message: String((e && e.message) || e) };
  }
}
