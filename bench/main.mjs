// @ts-check
/**
 * se-kernels benchmark: se-kernels against TensorFlow.js (CPU, WASM), onnxruntime-node, a naive
 * JS SE block and the JS floor, side by side in one process, on the SPEC's standard shapes.
 *
 *   node --expose-gc bench/main.mjs [--quick] [--systems=a,b] [--shapes=i,j] [--out=file.json]
 *
 * (bench/run installs the bench's dependencies and builds the library first when needed.)
 * 1. Checks every system's outputs on every shape against a float64 reference; stops on a mismatch.
 * 2. Times every system on each shape, interleaved (lib/measure.mjs), and prints medians with
 *    p25-p75, ratios against the targets of issue 4, and what the time budget cut.
 * 3. Writes the results to bench/results/latest.json and the tables to bench/results/latest.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHAPES, REDUCTION, makeCase } from './lib/cases.mjs';
import { closeWorkers } from './lib/isolate.mjs';
import { distUrl, testing } from './lib/library.mjs';
import { MODES, hasGc, stats, timeInterleaved } from './lib/measure.mjs';
import { checkForwardAgainstTesting, checkGradientsAgainstTesting, reference } from './lib/reference.mjs';
import { fmtCell, fmtMs, fmtRatio, machine, mdTable, otherLoadMeter } from './lib/report.mjs';

// ---------------------------------------------------------------------------------------- options
const USAGE = `usage: bench/run [--quick] [--systems=LIST] [--shapes=LIST] [--out=FILE]
  --quick          about ${MODES.quick.budgetMs} ms per system and shape (under a minute in all)
                   instead of ${MODES.full.budgetMs} ms (the default, full mode: about 6 minutes)
  --systems=LIST   only these systems, by family or id prefix, e.g. se-kernels,floor,tfjs-wasm,ORT
  --shapes=LIST    only these standard shapes, by index 0-4 or as N,C,H,W with x: 8x64x56x56
  --out=FILE       JSON results (default bench/results/latest.json; the markdown goes beside it)`;

const args = process.argv.slice(2);
/** @param {string} name */
const opt = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
if (args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
for (const a of args) {
  if (!/^--(quick|full|systems=.+|shapes=.+|out=.+)$/.test(a)) {
    console.error(`bench: unknown argument ${a}\n${USAGE}`);
    process.exit(2);
  }
}
const modeName = args.includes('--quick') ? 'quick' : 'full';
const mode = MODES[modeName];
const outJson = opt('out') ?? fileURLToPath(new URL('results/latest.json', import.meta.url));
const shapeFilter = opt('shapes')?.split(',');
const shapes = SHAPES.filter(
  (s, i) => !shapeFilter || shapeFilter.includes(String(i)) || shapeFilter.includes(s.join('x')),
);
if (shapes.length === 0) {
  console.error(`bench: --shapes matches none of ${SHAPES.map((s) => s.join('x')).join(', ')}`);
  process.exit(2);
}
const t0 = performance.now();
const otherLoad = otherLoadMeter();
/** @param {string} msg */
const progress = (msg) => process.stderr.write(`  [${((performance.now() - t0) / 1000).toFixed(1)} s] ${msg}\n`);

// ---------------------------------------------------------------------------------------- systems
const mods = {
  se: await import('./systems/se-kernels.mjs'),
  floor: await import('./systems/floor.mjs'),
  naive: await import('./systems/naive.mjs'),
  tfjs: await import('./systems/tfjs.mjs'),
  ort: await import('./systems/ort.mjs'),
};
const systemFilter = opt('systems')?.split(',');
/** @type {import('./systems/types.mjs').System[]} */
const systems = [
  ...mods.se.systems,
  ...mods.floor.systems,
  ...mods.naive.systems,
  ...mods.tfjs.systems,
  ...mods.ort.systems,
].filter((s) => !systemFilter || systemFilter.some((f) => s.family === f || s.id.startsWith(f)));
if (systems.length === 0) {
  console.error('bench: --systems matches no system');
  process.exit(2);
}
const tfInfo = await mods.tfjs.describeFromWorker();

const meta = {
  ...machine(distUrl),
  mode: modeName,
  config: mode,
  exposeGc: hasGc,
  peers: {
    tfjs: `${tfInfo.version} (cpu; wasm: SIMD ${tfInfo.wasmSimd ? 'on' : 'OFF'}, ${tfInfo.wasmMultithread ? 'multithreaded' : '1 thread'})`,
    onnxruntimeNode: mods.ort.version,
  },
  block: { reduction: REDUCTION, bias: true, squeeze: 'avg', activation: 'relu', gate: 'sigmoid', layout: 'channels-first', dtype: 'float32' },
};
const lib = meta.library;
const libLine = `se-kernels ${lib.version}${lib.commit ? ` @ ${lib.commit}` : ` from ${lib.dist}`}${lib.srcModified ? ' (src/ has uncommitted changes)' : ''}`;
console.log(`# se-kernels benchmark (${modeName} mode)\n`);
console.log(`${meta.cpu} (${meta.logicalCores} logical cores, ${meta.memoryGiB} GiB), ${meta.platform}; Node ${meta.node} (V8 ${meta.v8}); ${meta.date}`);
console.log(`${libLine}; TensorFlow.js ${meta.peers.tfjs}; onnxruntime-node ${meta.peers.onnxruntimeNode}`);
console.log(
  `per system and shape: ${mode.budgetMs} ms timed in ${mode.rounds} interleaved rounds, at least ${mode.minSamples} calls; ` +
    `warm-up at least ${mode.warmupMs} ms and ${mode.warmupCalls} call(s), the output check's call included; load average at start ${meta.loadAverageAtStart.join(' ')}`,
);
if (!mods.se.hasWorkspace) console.log('note: this se-kernels build has no SEWorkspace, so only the plain calls are timed');
if (!hasGc) console.log('warning: run node with --expose-gc (bench/run does): no GC between slices, so garbage may be collected on another system\'s clock');

// ---------------------------------------------------------------------------------------- check
console.log('\n## Correctness (before timing)\n');
const refGradErr = checkGradientsAgainstTesting();
console.log(
  `Reference: float64, analytic; its forward matches se-kernels/testing's seReference on every shape (< 1e-12), ` +
    `its gradients match float64 central differences to ${refGradErr.toExponential(1)} on (2,32,3,3).`,
);
console.log('Max relative error against it (max |out - ref| / max |ref|, per output, worst over the outputs listed):\n');

/** @type {{ system: string, shape: string, errors: Record<string, number>, worst: number, tol: number, ok: boolean }[]} */
const checks = [];
/** Every shape's case, reference and set-up systems; the check call is their first warm-up call. */
const prepared = [];
for (const shape of shapes) {
  const c = makeCase(shape);
  progress(`check ${c.key}`);
  const ref = reference(c);
  checkForwardAgainstTesting(c, ref);
  const entries = [];
  for (const sys of systems) {
    const inst = await sys.setup(c, ref);
    const start = performance.now();
    const out = await inst.outputs();
    const checkMs = performance.now() - start;
    /** @type {Record<string, number>} */
    const errors = {};
    for (const [k, v] of Object.entries(out)) {
      if (v === null || v === undefined) continue;
      errors[k] = testing.relativeError(v, /** @type {any} */ (ref)[k]);
    }
    const worst = Math.max(...Object.values(errors).map((e) => (Number.isNaN(e) ? Infinity : e)));
    checks.push({ system: sys.id, shape: c.key, errors, worst, tol: sys.tol, ok: worst <= sys.tol });
    entries.push({ id: sys.id, sys, inst, checkMs });
  }
  prepared.push({ c, entries });
}
{
  const header = ['system', 'outputs', ...shapes.map((s) => s.join(',')), 'tolerance'];
  // (the first two columns are text)
  const rows = systems.map((sys) => {
    const mine = checks.filter((k) => k.system === sys.id);
    return [
      sys.id,
      Object.keys(mine[0].errors).join(' '),
      ...mine.map((k) => `${k.worst.toExponential(1)}${k.ok ? '' : ' FAIL'}`),
      sys.tol.toExponential(0),
    ];
  });
  console.log(mdTable(header, rows, 2));
}
const failed = checks.filter((k) => !k.ok);
if (failed.length > 0) {
  console.error('\nbench: OUTPUT CHECK FAILED, nothing timed:');
  for (const f of failed) console.error(`  ${f.system} on ${f.shape}: ${JSON.stringify(f.errors)} (tolerance ${f.tol})`);
  process.exit(1);
}
console.log(`\nAll ${checks.length} checks pass.`);

// ---------------------------------------------------------------------------------------- time
/** @type {{ shape: string, system: string, family: string, pass: string, diagnostic: boolean, samples: number[], stats: import('./lib/measure.mjs').Stats }[]} */
const results = [];
for (const [i, { c, entries }] of prepared.entries()) {
  progress(`time ${c.key} (${i + 1}/${prepared.length})`);
  const samples = await timeInterleaved(entries, mode);
  for (const { id, sys, inst } of entries) {
    await inst.dispose?.();
    const s = /** @type {number[]} */ (samples.get(id));
    results.push({ shape: c.key, system: id, family: sys.family, pass: sys.pass, diagnostic: !!sys.diagnostic, samples: s, stats: stats(s) });
  }
  entries.length = 0;
}
const elapsedS = (performance.now() - t0) / 1000;

// ---------------------------------------------------------------------------------------- report
/** @param {string} shape @param {string} family @param {string} pass */
const find = (shape, family, pass) => results.find((r) => r.shape === shape && r.family === family && r.pass === pass)?.stats;
const keys = shapes.map((s) => s.join(','));
const families = [...new Set(systems.map((s) => s.family))];

/** @type {{ pass: 'fwd' | 'fb', label: string, vs: string[], target: number | null }[]} */
const RATIOS = [
  { pass: 'fwd', label: '/ JS floor', vs: ['JS floor'], target: 1.15 },
  { pass: 'fwd', label: '/ floor+alloc', vs: ['floor+alloc'], target: null },
  { pass: 'fwd', label: '/ tfjs-wasm', vs: ['tfjs-wasm'], target: 0.5 },
  { pass: 'fwd', label: '/ tfjs-cpu', vs: ['tfjs-cpu'], target: 0.02 },
  { pass: 'fwd', label: '/ ORT best of 1T, 2T', vs: ['ORT 1T', 'ORT 2T'], target: 1 },
  { pass: 'fb', label: '/ JS floor', vs: ['JS floor'], target: 1.15 },
  { pass: 'fb', label: '/ floor+alloc', vs: ['floor+alloc'], target: null },
  { pass: 'fb', label: '/ tfjs-wasm', vs: ['tfjs-wasm'], target: 0.5 },
  { pass: 'fb', label: '/ tfjs-cpu', vs: ['tfjs-cpu'], target: 0.02 },
];
/** The se-kernels calls compared: plain SPEC calls, and with a reusable workspace. */
const SE_CALLS = [
  { family: 'se-kernels', call: 'plain' },
  { family: 'se-kernels ws', call: 'workspace' },
  { family: 'se-kernels 2T', call: '2 threads, x shared' },
  { family: 'se-kernels 2T copy', call: '2 threads, x copied' },
].filter((v) => families.includes(v.family));
/** @type {{ shape: string, call: string, pass: string, vs: string, ratio: number | null, target: number | null, met: boolean | null }[]} */
const ratios = [];
for (const key of keys) {
  for (const { family, call } of SE_CALLS) {
    for (const r of RATIOS) {
      const mine = find(key, family, r.pass);
      const peerMedians = r.vs.map((f) => find(key, f, r.pass)?.median).filter((v) => v !== undefined);
      const ratio = mine && peerMedians.length > 0 ? mine.median / Math.min(.../** @type {number[]} */ (peerMedians)) : null;
      ratios.push({ shape: key, call, pass: r.pass, vs: r.label.slice(2), ratio, target: r.target, met: ratio === null || r.target === null ? null : ratio <= r.target });
    }
  }
}

const md = [];
md.push(`Measured by \`npm run bench${modeName === 'quick' ? ' -- --quick' : ''}\` on ${meta.cpu} (${meta.logicalCores} logical cores), ${meta.platform}, Node ${meta.node}, ${meta.date.slice(0, 10)}; ${libLine}.`);
md.push(`Peers: TensorFlow.js ${meta.peers.tfjs}, onnxruntime-node ${meta.peers.onnxruntimeNode} (CPU EP).`);
md.push(
  `SE block r = ${REDUCTION}, bias, avg squeeze, relu, sigmoid, float32 NCHW. Milliseconds per call, median (p25–p75); ` +
    `all systems in one process, interleaved per shape, ${mode.budgetMs} ms per system and shape (${modeName} mode).`,
);
for (const [pass, title, fams] of /** @type {const} */ ([
  ['fwd', 'Forward', families],
  ['fb', 'Forward + backward', families.filter((f) => !f.startsWith('ORT'))],
])) {
  md.push(`\n**${title}** (ms)\n`);
  md.push(mdTable(['N,C,H,W', ...fams], keys.map((k) => [k, ...fams.map((f) => fmtCell(find(k, f, pass)))])));
}
for (const [pass, title] of /** @type {const} */ ([
  ['fwd', 'forward'],
  ['fb', 'forward + backward'],
])) {
  const cols = RATIOS.filter((r) => r.pass === pass);
  md.push(`\n**Ratios, ${title}**: se-kernels time / other time (target; ✓ met, ✗ not met)\n`);
  md.push(
    mdTable(
      ['N,C,H,W', 'se-kernels call', ...cols.map((r) => `${r.label}${r.target === null ? '' : ` (≤ ${r.target})`}`)],
      keys.flatMap((k) =>
        SE_CALLS.map(({ call }) => [
          k,
          call,
          ...cols.map((r) => {
            const x = ratios.find((q) => q.shape === k && q.call === call && q.pass === pass && q.vs === r.label.slice(2));
            return fmtRatio(x?.ratio ?? null, r.target);
          }),
        ]),
      ),
      2,
    ),
  );
}
if (SE_CALLS.length > 1) {
  md.push(
    '\n"plain": `seForward(x, params)` / `seBackward(dy, cache)`, outputs allocated per call; "workspace": the same with `{ workspace }` (a reused `SEWorkspace`, no allocation); ' +
      '"2 threads": `pool.seForward(x, params)` / `pool.seBackward(dy, cache)` with `pool = new SEThreads({ threads: 2 })` from `se-kernels/threads` (inputs under 2^20 elements stay on one thread), with x and dy on SharedArrayBuffers ("shared") or ordinary ones ("copied" into shared memory first).',
  );
}
const judged = ratios.filter((r) => r.met !== null);
md.push(
  `\nTargets met: ${SE_CALLS.map(({ call }) => {
    const mine = judged.filter((r) => r.call === call);
    return `${mine.filter((r) => r.met).length} of ${mine.length} (${call} calls)`;
  }).join(', ')}.`,
);

// What the time budget cut: cells timed with few calls because one call takes most of the budget.
const FEW = 10;
const cut = results.filter((r) => r.stats.n < FEW);
const notes = cut.map(
  (r) =>
    `${r.system} on ${r.shape}: ${r.stats.n} calls of ~${fmtMs(r.stats.median)} ms` +
    (r.stats.median * mode.minSamples > mode.budgetMs ? ` (the ${mode.minSamples}-call minimum, ${fmtMs(r.stats.totalMs)} ms, over the budget)` : ''),
);
if (notes.length > 0) {
  md.push(
    `\nTimed with fewer than ${FEW} calls (the ${mode.budgetMs} ms budget per system and shape allowed no more; ` +
      `every system was still timed on every shape): ${cut.map((r) => `${r.system} ${r.shape} (n = ${r.stats.n})`).join(', ')}.`,
  );
}
// Other processes' CPU use during the run (from /proc/stat), or the load average where that is missing.
const others = otherLoad();
const busy = others === null ? meta.loadAverageAtStart[0] > 0.5 * meta.logicalCores : others > 0.2;
const othersText =
  others === null ? `load average ${meta.loadAverageAtStart[0]} at the start` : `other processes kept ${others.toFixed(2)} cores busy on average`;
if (busy) {
  md.push(
    `\n**The machine was busy** (${othersText}, on ${meta.logicalCores} cores): ` +
      'times are inflated and noisy; rerun on an idle machine before quoting them.',
  );
}

console.log('\n## Results\n');
console.log(md.join('\n'));
if (notes.length > 0) console.log(`\nFew calls:\n${notes.map((n) => `- ${n}`).join('\n')}`);
const loadEnd = os.loadavg().map((v) => Math.round(v * 100) / 100);
console.log(`\n${othersText} during the run; load average at end ${loadEnd.join(' ')}; total ${elapsedS.toFixed(1)} s`);

mkdirSync(dirname(outJson), { recursive: true });
const json = {
  meta: { ...meta, loadAverageAtEnd: loadEnd, otherProcessesCores: others, elapsedSeconds: Math.round(elapsedS * 10) / 10 },
  shapes: keys,
  checks,
  results: results.map(({ samples, ...r }) => ({ ...r, samplesMs: samples.map((v) => Math.round(v * 1e4) / 1e4) })),
  ratios,
  fewCalls: notes,
  busy,
};
writeFileSync(outJson, `${JSON.stringify(json, null, 1)}\n`);
const outMd = outJson.replace(/\.json$/, '') + '.md';
writeFileSync(outMd, `${md.join('\n')}\n`);
console.log(`wrote ${outJson} and ${outMd}`);
await closeWorkers();
