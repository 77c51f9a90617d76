// @ts-check
/**
 * se-kernels benchmark: se-kernels against the JS floors, a naive JS SE block, TensorFlow.js (CPU,
 * WASM) and onnxruntime-node, side by side in one process, on the SPEC's standard shapes and on two
 * whole networks' SE blocks (SE-ResNet-50 at batch 8, MobileNetV3-small at batch 1).
 *
 *   node --expose-gc bench/main.mjs [--quick] [--systems=a,b] [--cases=i,j] [--out=file.json]
 *
 * (bench/run installs the bench's dependencies and builds the library first when needed.)
 * Case by case: builds the inputs, checks every system's outputs against a float64 reference
 * (stops on a mismatch, before timing that case), times every system in interleaved rounds
 * (lib/measure.mjs), frees the case. Then prints the markdown report (medians of per-round medians
 * with their range, the targets of issue 12 with ✓/✗, ratios, what was skipped or cut) and writes
 * it to bench/results/latest.md, everything else to bench/results/latest.json.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { BIG_SHAPES, REDUCTION, SHAPES, WORKLOADS, selectCases } from './lib/cases.mjs';
import { closeWorkers } from './lib/isolate.mjs';
import { distUrl, testing } from './lib/library.mjs';
import { MODES, collectGarbage, hasGc, stats, timeInterleaved } from './lib/measure.mjs';
import { checkForwardAgainstTesting, checkGradientsAgainstTesting, reference } from './lib/reference.mjs';
import { fmtCell, fmtMs, fmtRatio, machine, mdTable, otherLoadMeter, writeResults } from './lib/report.mjs';

// ---------------------------------------------------------------------------------------- options
const USAGE = `usage: bench/run [--quick] [--systems=LIST] [--cases=LIST] [--out=FILE]
  --quick          ${MODES.quick.budgetMs} ms per system and case in ${MODES.quick.rounds} rounds (about 2 minutes in all)
                   instead of ${MODES.full.budgetMs} ms in ${MODES.full.rounds} rounds (the default, full mode: about 15 minutes)
  --systems=LIST   only these systems, by family or id prefix (any case), e.g. se-kernels,SEThreads,floor,naive,tfjs-wasm,ORT
  --cases=LIST     only these cases: standard shapes by index 0-4 or as NxCxHxW (8x64x56x56),
                   workloads by id (${WORKLOADS.map((w) => w.id).join(', ')}), or "shapes" / "workloads"
                   (--shapes=LIST is the same option)
  --out=FILE       JSON results (default bench/results/latest.json; the markdown goes beside it)`;

const args = process.argv.slice(2);
/** @param {string} name */
const opt = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
if (args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
for (const a of args) {
  if (!/^--(quick|full|systems=.+|cases=.+|shapes=.+|out=.+)$/.test(a)) {
    console.error(`bench: unknown argument ${a}\n${USAGE}`);
    process.exit(2);
  }
}
const modeName = args.includes('--quick') ? 'quick' : 'full';
const mode = MODES[modeName];
const outJson = opt('out') ?? fileURLToPath(new URL('results/latest.json', import.meta.url));
const cases = selectCases((opt('cases') ?? opt('shapes'))?.split(','));
if (cases.length === 0) {
  console.error(`bench: --cases matches none of ${[...SHAPES.map((s) => s.join('x')), ...WORKLOADS.map((w) => w.id)].join(', ')}`);
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
].filter((s) => !systemFilter || systemFilter.some((f) => s.family.toLowerCase().startsWith(f.toLowerCase()) || s.id.startsWith(f.toLowerCase())));
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
  seThreadsDefaultThreads: mods.se.defaultThreads,
  block: { reduction: REDUCTION, bias: true, squeeze: 'avg', activation: 'relu', gate: 'sigmoid (MobileNetV3-small: hardSigmoid)', layout: 'channels-first', dtype: 'float32' },
};
const lib = meta.library;
const libLine = `se-kernels ${lib.version}${lib.commit ? ` @ ${lib.commit}` : ` from ${lib.dist}`}${lib.srcModified ? ' (src/ has uncommitted changes)' : ''}`;
if (!hasGc) progress('warning: run node with --expose-gc (bench/run does): no GC between slices, so garbage may be collected on another system\'s clock');

// ---------------------------------------------------------------------------------------- run
const refGradErr = Math.max(checkGradientsAgainstTesting('sigmoid'), checkGradientsAgainstTesting('hardSigmoid'));

/** @type {{ system: string, case: string, errors: Record<string, number>, worst: number, tol: number, ok: boolean }[]} */
const checks = [];
/** @type {{ system: string, family: string, pass: string, case: string, reason: string }[]} */
const skipped = [];
/** @type {{ system: string, case: string, rounds: number, why: string }[]} */
const fewerRounds = [];
/** @type {{ case: string, system: string, family: string, pass: string, diagnostic: boolean, rounds: number[][], stats: import('./lib/measure.mjs').Stats }[]} */
const results = [];
/** @type {{ key: string, id: string, kind: string, title: string, blocks: number, elements: number }[]} */
const caseInfo = [];

/**
 * @typedef {{ id: string, sys: import('./systems/types.mjs').System, inst: import('./systems/types.mjs').Instance, checkMs: number, maxRounds: number | null }} Entry
 */

/**
 * Sets every system up on a case and checks its outputs against the float64 reference (which is
 * computed here and dropped on return, before the timing); exits the process on a mismatch.
 * @param {import('./lib/cases.mjs').Case} c
 * @returns {Promise<Entry[]>}
 */
async function setUpAndCheck(c) {
  const refs = c.blocks.map((b) => reference(b, c.gate));
  progress(`${c.key}: reference computed`);
  // The reference against se-kernels/testing's independent forward, once per distinct block shape.
  const seen = new Set();
  c.blocks.forEach((b, i) => {
    if (seen.has(b.key)) return;
    seen.add(b.key);
    checkForwardAgainstTesting(b, c.gate, refs[i]);
  });

  progress(`${c.key}: set up and check ${systems.length} systems`);
  /** @type {Entry[]} */
  const entries = [];
  for (const sys of systems) {
    const reason = sys.skip?.(c, modeName) ?? null;
    if (reason !== null) {
      skipped.push({ system: sys.id, family: sys.family, pass: sys.pass, case: c.key, reason });
      continue;
    }
    const setupStart = performance.now();
    const inst = await sys.setup(c, refs);
    const start = performance.now();
    const outs = await inst.outputs();
    const checkMs = performance.now() - start;
    if (performance.now() - setupStart > 2000) progress(`  ${sys.id}: set up in ${fmtMs(start - setupStart)} ms, checked in ${fmtMs(checkMs)} ms`);
    /** @type {Record<string, number>} */
    const errors = {};
    outs.forEach((out, b) => {
      /** @type {Record<string, ArrayLike<number>>} */
      const ref = { ...refs[b] };
      for (const [k, v] of Object.entries(out)) {
        if (v === null || v === undefined) continue;
        const e = testing.relativeError(v, ref[k]);
        errors[k] = Math.max(errors[k] ?? 0, Number.isNaN(e) ? Infinity : e);
      }
    });
    const worst = Math.max(...Object.values(errors));
    checks.push({ system: sys.id, case: c.key, errors, worst, tol: sys.tol, ok: worst <= sys.tol });
    const fewer = sys.fewerRounds?.(c, modeName) ?? null;
    if (fewer !== null) fewerRounds.push({ system: sys.id, case: c.key, rounds: fewer.rounds, why: fewer.why });
    entries.push({ id: sys.id, sys, inst, checkMs, maxRounds: fewer?.rounds ?? null });
  }
  const failed = checks.filter((k) => !k.ok);
  if (failed.length > 0) {
    console.error('\nbench: OUTPUT CHECK FAILED, stopping before timing:');
    for (const f of failed) console.error(`  ${f.system} on ${f.case}: ${JSON.stringify(f.errors)} (tolerance ${f.tol})`);
    await closeWorkers();
    process.exit(1);
  }
  return entries;
}

/**
 * Builds a case, checks and times every system on it, and disposes them.
 * @param {ReturnType<typeof selectCases>[number]} cs
 * @param {number} ci
 */
async function runCase(cs, ci) {
  progress(`${cs.key} (${ci + 1}/${cases.length}): inputs and float64 reference`);
  const c = cs.build();
  caseInfo.push({ key: c.key, id: c.id, kind: c.kind, title: c.title, blocks: c.blocks.length, elements: c.elements });
  const entries = await setUpAndCheck(c);
  progress(`${c.key}: timing (${entries.length} systems, ${mode.rounds} rounds)`);
  const rounds = await timeInterleaved(entries, mode);
  for (const { id, sys, inst } of entries) {
    await inst.dispose?.();
    const r = /** @type {number[][]} */ (rounds.get(id));
    results.push({ case: c.key, system: id, family: sys.family, pass: sys.pass, diagnostic: !!sys.diagnostic, rounds: r, stats: stats(r) });
  }
}

for (const [ci, cs] of cases.entries()) {
  await runCase(cs, ci);
  collectGarbage();
}
const elapsedS = (performance.now() - t0) / 1000;

// ---------------------------------------------------------------------------------------- report
const keys = caseInfo.map((c) => c.key);
const families = [...new Set(systems.map((s) => s.family))];
/** @param {string} key @param {string} family @param {string} pass */
const find = (key, family, pass) => results.find((r) => r.case === key && r.family === family && r.pass === pass);

/**
 * The ratio mine / best of others (medians of per-round medians), and its range over the rounds
 * both were timed in (each round's medians, which ran side by side).
 * @param {string} key @param {string} family @param {string[]} vs @param {string} pass
 * @returns {{ ratio: number, lo: number, hi: number } | null}
 */
function ratioOf(key, family, vs, pass) {
  const mine = find(key, family, pass);
  const others = vs.map((f) => find(key, f, pass)).filter((r) => r !== undefined);
  if (!mine || others.length === 0) return null;
  const ratio = mine.stats.median / Math.min(...others.map((o) => o.stats.median));
  const per = [];
  for (let r = 0; r < mine.stats.rounds; r++) {
    const o = others.map((x) => x.stats.roundMedians[r]).filter((v) => v !== undefined);
    if (o.length === others.length) per.push(mine.stats.roundMedians[r] / Math.min(...o));
  }
  return { ratio, lo: per.length ? Math.min(...per) : ratio, hi: per.length ? Math.max(...per) : ratio };
}

/**
 * The targets of issue 12. `cases`: the case keys a target applies to (all when absent).
 * @type {{ id: string, label: string, family: string, pass: 'fwd' | 'fb', vs: string[], max: number, cases?: string[] }[]}
 */
const TARGETS = [
  { id: 'plain-fwd-floor', label: '`seForward` / JS floor (block)', family: 'se-kernels', pass: 'fwd', vs: ['JS floor (block)'], max: 1.25 },
  { id: 'plain-fb-floor', label: '`seForward` + `seBackward` / JS floor (block)', family: 'se-kernels', pass: 'fb', vs: ['JS floor (block)'], max: 1.25 },
  { id: 'ws-fwd-floor', label: 'with a workspace, forward / JS floor (block)', family: 'se-kernels ws', pass: 'fwd', vs: ['JS floor (block)'], max: 1.1 },
  { id: 'ws-fb-floor', label: 'with a workspace, forward + backward / JS floor (block)', family: 'se-kernels ws', pass: 'fb', vs: ['JS floor (block)'], max: 1.1 },
  { id: 'plain-fb-wasm', label: '`seForward` + `seBackward` / tfjs-wasm', family: 'se-kernels', pass: 'fb', vs: ['tfjs-wasm'], max: 0.5 },
  { id: 'plain-fb-cpu', label: '`seForward` + `seBackward` / tfjs-cpu', family: 'se-kernels', pass: 'fb', vs: ['tfjs-cpu'], max: 0.02 },
  {
    id: 'threads-fwd-ort',
    label: 'SEThreads forward / ORT best of 1T, 2T',
    family: 'SEThreads',
    pass: 'fwd',
    vs: ['ORT 1T', 'ORT 2T'],
    max: 1,
    cases: [...BIG_SHAPES, WORKLOADS[0].key],
  },
  { id: 'threads-fb-wasm', label: 'SEThreads forward + backward / tfjs-wasm', family: 'SEThreads', pass: 'fb', vs: ['tfjs-wasm'], max: 0.4 },
];

/** @type {{ target: string, case: string, ratio: number | null, lo: number | null, hi: number | null, max: number, met: boolean | null }[]} */
const targetResults = [];
for (const t of TARGETS) {
  for (const key of keys) {
    if (t.cases && !t.cases.includes(key)) continue;
    const r = ratioOf(key, t.family, t.vs, t.pass);
    targetResults.push({ target: t.id, case: key, ratio: r?.ratio ?? null, lo: r?.lo ?? null, hi: r?.hi ?? null, max: t.max, met: r === null ? null : r.ratio <= t.max });
  }
}

const md = [];
md.push(`# se-kernels benchmark (${modeName} mode)\n`);
md.push(
  `Measured by \`npm run bench${modeName === 'quick' ? ' -- --quick' : ''}\` on ${meta.cpu} (${meta.logicalCores} logical cores, ${meta.memoryGiB} GiB), ${meta.platform}, ` +
    `Node ${meta.node} (V8 ${meta.v8}), ${meta.date.slice(0, 16).replace('T', ' ')} UTC; ${libLine}.`,
);
md.push(`Peers: TensorFlow.js ${meta.peers.tfjs}, onnxruntime-node ${meta.peers.onnxruntimeNode} (CPU EP).`);
md.push(
  `SE blocks with bias, avg squeeze, relu, float32 NCHW; the standard shapes r = ${REDUCTION} with sigmoid; ` +
    `${WORKLOADS.map((w) => w.title).join('; ')}. One call on a workload runs every block (forward), or every forward and then every backward in reverse order.`,
);
md.push(
  `Milliseconds per call: the median of ${mode.rounds} interleaved rounds' medians (the smallest–largest round median); ` +
    `all systems in one process, interleaved per case, ${mode.budgetMs} ms per system and case, ${mode.sliceCalls > 1 ? `at least ${mode.sliceCalls} calls per round` : 'at least one call per round'}; ` +
    `a system whose warm call is longer than its round's slice is timed in ${mode.slowRounds} rounds of one call.`,
);

// Correctness
md.push('\n## Correctness (before timing)\n');
md.push(
  `Every output of every system against a float64 reference (its forward matches se-kernels/testing's seReference to < 1e-12 on every block shape, ` +
    `its gradients match float64 central differences to ${refGradErr.toExponential(1)}): max relative error (max |out - ref| / max |ref|), worst over the outputs and blocks; ` +
    `tolerance 1e-5 for the JS systems, 1e-4 for the float32-accumulating peers.\n`,
);
{
  const header = ['system', 'outputs', ...keys];
  const rows = systems.map((sys) => {
    const mine = checks.filter((k) => k.system === sys.id);
    return [
      sys.id,
      mine.length ? Object.keys(mine[0].errors).join(' ') : '',
      ...keys.map((key) => {
        const k = mine.find((q) => q.case === key);
        return k ? `${k.worst.toExponential(1)}` : 'skipped';
      }),
    ];
  });
  md.push(mdTable(header, rows, 2));
  md.push(`\nAll ${checks.length} checks pass.`);
}

// Times
md.push('\n## Times\n');
for (const [pass, title, fams] of /** @type {const} */ ([
  ['fwd', 'Forward', families],
  ['fb', 'Forward + backward', families.filter((f) => !f.startsWith('ORT'))],
])) {
  md.push(`\n**${title}** (ms)\n`);
  md.push(
    mdTable(
      ['case', ...fams],
      keys.map((k) => [k, ...fams.map((f) => (skipped.some((s) => s.case === k && s.family === f && s.pass === pass) ? 'skipped' : fmtCell(find(k, f, pass)?.stats)))]),
    ),
  );
}
const threadsNote =
  mods.se.defaultThreads === null
    ? ''
    : ` SEThreads is \`new SEThreads()\` with its default options (${mods.se.defaultThreads} threads here: one per CPU; inputs under 2^20 elements run on the calling thread), x and dy in ordinary memory (copied into shared memory by the pool); "SEThreads shared": x and dy on SharedArrayBuffers. ` +
      (mods.se.poolTakesWorkspace
        ? 'On a workload, one pool runs the whole network, with one `SEWorkspace` per block (`{ workspace }`).'
        : 'On a workload, forward uses one pool for the whole network; forward + backward one pool per block (this build\'s pool holds one forward\'s state until its backward).');
md.push(
  `\n"se-kernels": \`seForward(x, params, options)\` / \`seBackward(dy, cache)\`, outputs allocated per call; "se-kernels ws": the same with \`{ workspace }\` (one reused \`SEWorkspace\` per block).${threadsNote} ` +
    '"JS floor (block)": the whole block as the best plain scalar loops (the passes, both small layers, relu, the gate, and their backward with the weight gradients), into preallocated outputs; ' +
    '"JS floor (passes)": only the passes over the data (sum and scale; dot and axpy), the small layers\' results taken from the reference.',
);

// Targets
md.push('\n## Targets (issue 12)\n');
md.push('Ratio of medians (the range of the per-round ratios); ✓ met, ✗ not met, – not measured.\n');
md.push(
  mdTable(
    ['target', ...keys, 'met'],
    TARGETS.map((t) => {
      const mine = targetResults.filter((r) => r.target === t.id);
      const judged = mine.filter((r) => r.met !== null);
      return [
        `${t.label} ≤ ${t.max}`,
        ...keys.map((key) => {
          const r = mine.find((q) => q.case === key);
          if (!r) return '';
          if (r.ratio === null) return '–';
          return `${fmtRatio(r.ratio, r.max)} (${fmtRatio(r.lo, null)}–${fmtRatio(r.hi, null)})`;
        }),
        `${judged.filter((r) => r.met).length} of ${judged.length}`,
      ];
    }),
  ),
);
{
  const judged = targetResults.filter((r) => r.met !== null);
  md.push(`\nTargets met: ${judged.filter((r) => r.met).length} of ${judged.length}${judged.length < targetResults.length ? ` (${targetResults.length - judged.length} not measured in this run)` : ''}.`);
}

// Ratios for reading the tables
/** @type {{ call: string, family: string }[]} */
const CALLS = [
  { call: 'se-kernels', family: 'se-kernels' },
  { call: 'se-kernels ws', family: 'se-kernels ws' },
  { call: 'SEThreads', family: 'SEThreads' },
  { call: 'SEThreads shared', family: 'SEThreads shared' },
  { call: 'JS floor (block)', family: 'JS floor (block)' },
].filter((v) => families.includes(v.family));
/** @type {{ label: string, vs: string[], passes: string[] }[]} */
const VS = [
  { label: 'JS floor (block)', vs: ['JS floor (block)'], passes: ['fwd', 'fb'] },
  { label: 'JS floor (passes)', vs: ['JS floor (passes)'], passes: ['fwd', 'fb'] },
  { label: 'naive JS', vs: ['naive JS'], passes: ['fwd', 'fb'] },
  { label: 'tfjs-wasm', vs: ['tfjs-wasm'], passes: ['fwd', 'fb'] },
  { label: 'tfjs-cpu', vs: ['tfjs-cpu'], passes: ['fwd', 'fb'] },
  { label: 'ORT best of 1T, 2T', vs: ['ORT 1T', 'ORT 2T'], passes: ['fwd'] },
].filter((v) => v.vs.some((f) => families.includes(f)));
/** @type {{ case: string, call: string, pass: string, vs: string, ratio: number | null, lo: number | null, hi: number | null }[]} */
const ratios = [];
for (const pass of /** @type {const} */ (['fwd', 'fb'])) {
  const cols = VS.filter((v) => v.passes.includes(pass));
  if (cols.length === 0 || CALLS.length === 0) continue;
  md.push(`\n**Ratios, ${pass === 'fwd' ? 'forward' : 'forward + backward'}**: time / other's time (ratio of medians)\n`);
  md.push(
    mdTable(
      ['case', 'call', ...cols.map((v) => `/ ${v.label}`)],
      keys.flatMap((k) =>
        CALLS.map(({ call, family }) => [
          k,
          call,
          ...cols.map((v) => {
            if (v.vs.includes(family)) return '';
            const r = ratioOf(k, family, v.vs, pass);
            ratios.push({ case: k, call, pass, vs: v.label, ratio: r?.ratio ?? null, lo: r?.lo ?? null, hi: r?.hi ?? null });
            return fmtRatio(r?.ratio ?? null, null);
          }),
        ]),
      ),
      2,
    ),
  );
}

// What was skipped or cut
const notes = [];
{
  // One note per family, case and reason (forward and forward + backward together).
  const groups = new Map();
  for (const s of skipped) {
    const k = `${s.family}\u0000${s.case}\u0000${s.reason}`;
    groups.set(k, [...(groups.get(k) ?? []), s.pass === 'fwd' ? 'forward' : 'forward + backward']);
  }
  for (const [k, passes] of groups) {
    const [family, key, reason] = k.split('\u0000');
    notes.push(`${family} on ${key} (${passes.join(', ')}): skipped; ${reason}.`);
  }
}
for (const f of fewerRounds) notes.push(`${f.system} on ${f.case}: timed in ${f.rounds} rounds of one call (after the output check's call); ${f.why}.`);
const slow = results.filter((r) => r.stats.rounds < mode.rounds && !fewerRounds.some((f) => f.system === r.system && f.case === r.case));
if (slow.length > 0) {
  notes.push(
    `Timed in ${Math.min(mode.slowRounds, mode.rounds)} rounds of one call (a warm call is longer than the ${fmtMs(mode.budgetMs / mode.rounds)} ms slice): ` +
      slow.map((r) => `${r.system} on ${r.case} (~${fmtMs(r.stats.median)} ms)`).join(', ') +
      '.',
  );
}
const others = otherLoad();
const busy = others === null ? meta.loadAverageAtStart[0] > 0.5 * meta.logicalCores : others > 0.2;
const othersText = others === null ? `load average ${meta.loadAverageAtStart[0]} at the start` : `other processes kept ${others.toFixed(2)} cores busy on average`;
if (busy) {
  notes.push(`**The machine was busy** (${othersText}, on ${meta.logicalCores} cores): times are inflated and noisy; rerun on an idle machine before quoting them.`);
}
if (notes.length > 0) md.push(`\n## Notes\n\n${notes.map((n) => `- ${n}`).join('\n')}`);
const loadEnd = os.loadavg().map((v) => Math.round(v * 100) / 100);
md.push(`\n${othersText} during the run; load average at start ${meta.loadAverageAtStart.join(' ')}, at end ${loadEnd.join(' ')}; total ${elapsedS.toFixed(0)} s.`);

console.log(md.join('\n'));

const json = {
  meta: { ...meta, loadAverageAtEnd: loadEnd, otherProcessesCores: others, elapsedSeconds: Math.round(elapsedS * 10) / 10 },
  cases: caseInfo,
  checks,
  skipped,
  fewerRounds,
  results: results.map(({ rounds, stats: s, ...r }) => ({
    ...r,
    stats: { ...s, roundMedians: s.roundMedians.map((v) => Math.round(v * 1e4) / 1e4) },
    roundsMs: rounds.map((round) => round.map((v) => Math.round(v * 1e4) / 1e4)),
  })),
  targets: TARGETS.map((t) => ({ ...t, results: targetResults.filter((r) => r.target === t.id) })),
  ratios,
  notes,
  busy,
};
const outMd = writeResults(outJson, json, md);
progress(`wrote ${outJson} and ${outMd}`);
await closeWorkers();
// SEThreads pools and ORT sessions hold no event-loop references; exit explicitly all the same.
process.exit(0);
