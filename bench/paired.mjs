// @ts-check
/**
 * The paired benchmark: two systems' calls alternate on each case (A B, B A, A B, ...), and each
 * ratio is the median of the per-pair ratios B / A, with its spread and the number of pairs
 * (lib/paired.mjs says why).
 *
 *   node --expose-gc bench/paired.mjs --paired=A,B [--paired=C,D] [--cases=LIST] [--quick]
 *   node --expose-gc bench/paired.mjs --preset=issue16 [--quick]   the targets of issue 16
 *   SE_KERNELS_DIST_B=/other/dist/esm node --expose-gc bench/paired.mjs --preset=ab [--quick]
 *
 * (bench/run routes --paired and --preset here, after installing and building as for the main
 * bench.) Per case: builds the inputs, sets up every system the case's pairs name, checks each
 * one's outputs against the float64 reference (stops on a mismatch), times each pair, frees the
 * case. Prints the markdown report and writes it to bench/results/paired.md, the per-pair times to
 * bench/results/paired.json.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { SHAPES, WORKLOADS, selectCases } from './lib/cases.mjs';
import { closeWorkers } from './lib/isolate.mjs';
import { buildA, buildB, testing } from './lib/library.mjs';
import { collectGarbage, disableGc, hasGc } from './lib/measure.mjs';
import { PAIR_MODES, pairStats, timePaired } from './lib/paired.mjs';
import { checkForwardAgainstTesting, reference } from './lib/reference.mjs';
import { buildLine, fmtMs, fmtRatio, machine, mdTable, otherLoadMeter, writeResults } from './lib/report.mjs';
import { systemsOf } from './systems/se-kernels.mjs';

// ---------------------------------------------------------------------------------------- options
const USAGE = `usage: bench/run --paired=A,B [--paired=C,D ...] | --preset=NAME  [--cases=LIST] [--quick] [--pairs=N] [--pool-api=auto|sync|async] [--no-gc] [--out=FILE]
  --paired=A,B     time system B against system A in alternating pairs; ratio = B / A. A system is an id
                   (bench/run --list shows them), with or without its pass: "se-kernels+ws" pairs both
                   passes, "se-kernels+ws/fwd" only the forward; "@B" after an id names SE_KERNELS_DIST_B's build
  --preset=issue16 the targets of issue 16: SEThreads 2 threads / one thread with a workspace (x in ordinary
                   memory and on a SharedArrayBuffer) <= 0.6 on the cases of >= 256K elements, batch 1 shown
                   without a target; SEThreads (default options) forward / onnxruntime-node's best of 1 and 2
                   threads <= 1 on the cases of >= 1M elements; the workspace calls / JS floor (block)
  --preset=ab      this build against SE_KERNELS_DIST_B's (the baseline): se-kernels, se-kernels ws and
                   SEThreads, both passes; ratio = this build / the baseline
  --cases=LIST     as for the main bench: shape indexes 0-4, NxCxHxW, ${WORKLOADS.map((w) => w.id).join(', ')}, shapes, workloads
  --quick          ${PAIR_MODES.quick.minPairs}+ pairs, ${PAIR_MODES.quick.budgetMs} ms per pairing (a smoke run, not for numbers)
                   instead of ${PAIR_MODES.full.minPairs}+ pairs and ${PAIR_MODES.full.budgetMs} ms (the default)
  --pairs=N        exactly N pairs per pairing (instead of the time budget)
  --no-gc          no full GC before each timed batch: calls run back to back, as in a network's steady
                   state (with the GC, a pool's call after the idle moment pays a worker's wake-up)
  --pool-api=...   how SEThreads is called: auto (default: await seForwardAsync / seBackwardAsync when the
                   build has them, else the synchronous calls), sync, async
  --list           list the systems and exit
  --out=FILE       JSON results (default bench/results/paired.json; the markdown goes beside it)`;

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
for (const a of args) {
  if (!/^--(quick|full|list|paired=.+|preset=(issue16|ab)|cases=.+|shapes=.+|pairs=\d+|pool-api=(auto|sync|async)|no-gc|out=.+)$/.test(a)) {
    console.error(`bench: unknown argument ${a}\n${USAGE}`);
    process.exit(2);
  }
}
/** @param {string} name */
const opt = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const modeName = args.includes('--quick') ? 'quick' : 'full';
if (args.includes('--no-gc')) disableGc();
const fixedPairs = opt('pairs') === undefined ? null : Number(opt('pairs'));
const cfg = fixedPairs === null ? PAIR_MODES[modeName] : { ...PAIR_MODES[modeName], minPairs: fixedPairs, maxPairs: fixedPairs, budgetMs: 0 };
const poolApi = /** @type {import('./systems/se-kernels.mjs').PoolApi} */ (opt('pool-api') ?? 'auto');
const preset = opt('preset') ?? null;
const outJson = opt('out') ?? fileURLToPath(new URL('results/paired.json', import.meta.url));

const t0 = performance.now();
const otherLoad = otherLoadMeter();
const meta = machine(buildA.distUrl);
/** @param {string} msg */
const progress = (msg) => process.stderr.write(`  [${((performance.now() - t0) / 1000).toFixed(1)} s] ${msg}\n`);

// ---------------------------------------------------------------------------------------- systems
const seA = systemsOf(buildA, { poolApi });
const seB = buildB === null ? null : systemsOf(buildB, { poolApi });
/**
 * Every system by id; the peers' modules are imported when a pair names them (tfjs and ORT load
 * native code and workers).
 * @type {Map<string, import('./systems/types.mjs').System>}
 */
const registry = new Map([...seA.pairedSystems, ...(seB?.pairedSystems ?? [])].map((s) => [s.id, s]));
/** @type {Record<string, () => Promise<{ systems: import('./systems/types.mjs').System[] }>>} */
const peerModules = {
  floor: () => import('./systems/floor.mjs'),
  naive: () => import('./systems/naive.mjs'),
  tfjs: () => import('./systems/tfjs.mjs'),
  ort: () => import('./systems/ort.mjs'),
};
/** @param {string} prefix */
async function loadPeers(prefix) {
  const m = await peerModules[prefix]();
  for (const s of m.systems) registry.set(s.id, s);
}
if (args.includes('--list')) {
  for (const p of Object.keys(peerModules)) await loadPeers(p);
  console.log([...registry.keys()].join('\n'));
  await closeWorkers();
  process.exit(0);
}

/**
 * A system name from the command line: an id, or an id without its pass (both passes).
 * @param {string} name
 * @returns {Promise<string[]>} the ids it names
 */
async function resolveName(name) {
  const at = name.indexOf('@');
  const base = at < 0 ? name : name.slice(0, at);
  const tag = at < 0 ? '' : name.slice(at);
  const prefix = Object.keys(peerModules).find((p) => base.startsWith(p));
  if (prefix) await loadPeers(prefix);
  const ids = base.includes('/') ? [`${base}${tag}`] : [`${base}/fwd${tag}`, `${base}/fb${tag}`];
  return ids.filter((id) => registry.has(id));
}

// ---------------------------------------------------------------------------------------- pairings
/**
 * One pairing: B against A on the cases `where` accepts, the ratio B / A judged against `max`
 * where `target` accepts the case.
 * @typedef {object} Pairing
 * @property {string} group      the report's table
 * @property {string} label      its row label
 * @property {string} a          system id
 * @property {string} b          system id
 * @property {(c: CaseInfo) => boolean} where
 * @property {number | null} max            the target (ratio at most), or null
 * @property {(c: CaseInfo) => boolean} target   where the target applies
 *
 * @typedef {{ key: string, id: string, kind: string, elements: number, N: number }} CaseInfo
 */

const ALL = () => true;
const SCALING_MIN = 2 ** 18; // the issue's ">= 256K elements" (standard shapes; and SE-ResNet-50)
const ORT_MIN = 2 ** 20; // the issue's ">= 1M elements" (the three 1.6M-element shapes and SE-ResNet-50)

/** @type {Pairing[]} */
const pairings = [];
/** @type {Map<string, { title: string, text: string }>} */
const groups = new Map();

if (preset === 'issue16') {
  if (seA.info.defaultThreads === null) {
    console.error(`bench: the build in ${buildA.distUrl.pathname} has no se-kernels/threads`);
    process.exit(2);
  }
  await loadPeers('floor');
  await loadPeers('ort');
  groups.set('scaling', {
    title: 'Scaling (issue 16, point 3): SEThreads with 2 threads / the single-thread workspace call ≤ 0.6',
    text:
      '`new SEThreads({ threads: 2 })` (other options default) against `seForward(x, params, options, { workspace })` / `seBackward(dy, cache, { workspace })` on one thread, ' +
      'one SEWorkspace per block for each; both get the same x and dy, in ordinary memory (the pool copies them into shared memory) or on SharedArrayBuffers. ' +
      'The target applies on the standard shapes of at least 256K elements and on SE-ResNet-50 at batch 8; batch 1 ((1,64,32,32), MobileNetV3-small) and ' +
      `(8,512,7,7) (${8 * 512 * 49} elements, under 256K) are shown without one.`,
  });
  for (const pass of /** @type {const} */ (['fwd', 'fb'])) {
    for (const shared of [false, true]) {
      pairings.push({
        group: 'scaling',
        label: `${pass === 'fwd' ? 'forward' : 'forward + backward'}, x ${shared ? 'on a SharedArrayBuffer' : 'in ordinary memory'}`,
        a: `se-kernels+ws${shared ? '+shared' : ''}/${pass}`,
        b: `se-threads-2t${shared ? '+shared' : ''}/${pass}`,
        where: ALL,
        max: 0.6,
        target: (c) => (c.kind === 'shape' && c.elements >= SCALING_MIN) || c.id === 'seresnet50',
      });
    }
  }
  groups.set('ort', {
    title: 'SEThreads forward / onnxruntime-node (issue 16, point 3) ≤ 1 against ORT\'s best of 1 and 2 threads',
    text:
      '`new SEThreads()` (default options), x in ordinary memory, `seForward` with one SEWorkspace per block, against `await session.run(...)` with intraOpNumThreads 1 and 2, each paired separately; ' +
      'the target is judged against the better ORT configuration (the larger ratio). Cases of at least 1M elements.',
  });
  for (const t of [1, 2]) {
    pairings.push({ group: 'ort', label: `forward / ORT ${t}T`, a: `ort-${t}t/fwd`, b: 'se-threads/fwd', where: (c) => c.elements >= ORT_MIN, max: null, target: ALL });
  }
  groups.set('floor', {
    title: 'The single-thread workspace calls / JS floor (block) (informational)',
    text: 'The whole block as the best plain scalar loops into preallocated outputs (systems/floor.mjs), against the workspace calls, x in ordinary memory. Issue 12\'s target was 1.1.',
  });
  for (const pass of /** @type {const} */ (['fwd', 'fb'])) {
    pairings.push({ group: 'floor', label: pass === 'fwd' ? 'forward' : 'forward + backward', a: `floor-block/${pass}`, b: `se-kernels+ws/${pass}`, where: ALL, max: null, target: ALL });
  }
} else if (preset === 'ab') {
  if (buildB === null || seB === null) {
    console.error('bench: --preset=ab needs SE_KERNELS_DIST_B=/path/to/the/baseline/dist/esm');
    process.exit(2);
  }
  groups.set('ab', {
    title: `This build / the baseline (SE_KERNELS_DIST_B)`,
    text: 'Each system of this build paired with the same system of the baseline build, both in this process; ratio < 1: this build is faster. "within noise": the 95 % interval of the median ratio contains 1. ' +
      'Two copies of one build can differ by a few per cent with many pairs (code placement, JIT decisions): an A/A run (the same build copied) shows that floor.',
  });
  const bIds = new Set(seB.pairedSystems.map((s) => s.id));
  for (const s of seA.systems) {
    if (!bIds.has(`${s.id}@B`)) continue;
    pairings.push({ group: 'ab', label: `${s.family}, ${s.pass === 'fwd' ? 'forward' : 'forward + backward'}`, a: `${s.id}@B`, b: s.id, where: ALL, max: null, target: ALL });
  }
} else {
  const specs = args.filter((a) => a.startsWith('--paired=')).flatMap((a) => a.slice('--paired='.length).split(';'));
  if (specs.length === 0) {
    console.error(`bench: name pairs with --paired=A,B or a --preset\n${USAGE}`);
    process.exit(2);
  }
  groups.set('pairs', { title: 'Pairs', text: 'ratio = B / A.' });
  for (const spec of specs) {
    const [a, b, ...rest] = spec.split(',');
    if (!a || !b || rest.length > 0) {
      console.error(`bench: --paired wants two systems, A,B: ${spec}`);
      process.exit(2);
    }
    const as = await resolveName(a);
    const bs = await resolveName(b);
    const passOf = (/** @type {string} */ id) => /** @type {import('./systems/types.mjs').System} */ (registry.get(id)).pass;
    const both = as.flatMap((x) => bs.filter((y) => passOf(y) === passOf(x)).map((y) => [x, y]));
    if (both.length === 0) {
      console.error(`bench: --paired=${spec}: no system or no common pass (${as.join(' ') || `${a}: unknown`}; ${bs.join(' ') || `${b}: unknown`}); bench/run --list shows the ids`);
      process.exit(2);
    }
    for (const [x, y] of both) pairings.push({ group: 'pairs', label: `${y} / ${x}`, a: x, b: y, where: ALL, max: null, target: ALL });
  }
}
for (const p of pairings) {
  for (const id of [p.a, p.b]) {
    if (!registry.has(id)) {
      console.error(`bench: system ${id} is not available with this build (bench/run --list)`);
      process.exit(2);
    }
  }
}

const defaultCases = preset === 'issue16' || preset === 'ab' ? undefined : ['shapes', 'workloads'];
const cases = selectCases((opt('cases') ?? opt('shapes'))?.split(',') ?? defaultCases);
if (cases.length === 0) {
  console.error(`bench: --cases matches none of ${[...SHAPES.map((s) => s.join('x')), ...WORKLOADS.map((w) => w.id)].join(', ')}`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------- the pools
/** What each build's pool is like here, and how it is called. */
function describePools(/** @type {import('./lib/library.mjs').Build} */ build, /** @type {import('./systems/se-kernels.mjs').BuildInfo} */ info) {
  if (build.threads === null) return null;
  const p = new build.threads.SEThreads({ threads: 2 });
  const d = {
    api: poolApi === 'sync' || (poolApi === 'auto' && !info.poolHasAsync) ? 'sync (pool.seForward / pool.seBackward)' : 'async (await pool.seForwardAsync / pool.seBackwardAsync)',
    hasAsync: info.poolHasAsync,
    defaultThreads: info.defaultThreads,
    twoThreadPool: { threads: p.threads, minElements: p.minElements ?? null, fallbackReason: 'fallbackReason' in p ? p.fallbackReason : '(no fallbackReason in this build)' },
  };
  p.close();
  return d;
}
const pools = { A: describePools(buildA, seA.info), B: buildB && seB ? describePools(buildB, seB.info) : null };

// ---------------------------------------------------------------------------------------- run
/**
 * @typedef {{ group: string, label: string, case: string, a: string, b: string, max: number | null, judged: boolean, ka: number, kb: number, aMs: number[], bMs: number[], stats: import('./lib/paired.mjs').PairStats }} Result
 */
/** @type {Result[]} */
const results = [];
/** @type {{ system: string, case: string, worst: number, tol: number }[]} */
const checks = [];
/** @type {CaseInfo[]} */
const caseInfo = [];

/**
 * Sets a system up on a case and checks its outputs; exits on a mismatch.
 * @param {import('./systems/types.mjs').System} sys
 * @param {import('./lib/cases.mjs').Case} c
 * @param {import('./lib/reference.mjs').Reference[]} refs
 */
async function setUpAndCheck(sys, c, refs) {
  const inst = await sys.setup(c, refs);
  const start = performance.now();
  const outs = await inst.outputs();
  const checkMs = performance.now() - start;
  let worst = 0;
  outs.forEach((out, i) => {
    /** @type {Record<string, ArrayLike<number>>} */
    const ref = { ...refs[i] };
    for (const [k, v] of Object.entries(out)) {
      if (v === null || v === undefined) continue;
      const e = testing.relativeError(v, ref[k]);
      worst = Math.max(worst, Number.isNaN(e) ? Infinity : e);
    }
  });
  checks.push({ system: sys.id, case: c.key, worst, tol: sys.tol });
  if (!(worst <= sys.tol)) {
    console.error(`\nbench: OUTPUT CHECK FAILED, stopping before timing: ${sys.id} on ${c.key}: max relative error ${worst} (tolerance ${sys.tol})`);
    await closeWorkers();
    process.exit(1);
  }
  return { inst, checkMs };
}

for (const [ci, cs] of cases.entries()) {
  const c = cs.build();
  const info = { key: c.key, id: c.id, kind: c.kind, elements: c.elements, N: c.blocks[0].N };
  const mine = pairings.filter((p) => p.where(info));
  if (mine.length === 0) continue;
  caseInfo.push(info);
  progress(`${c.key} (${ci + 1}/${cases.length}): inputs and float64 reference`);
  const refs = c.blocks.map((b) => reference(b, c.gate));
  const seen = new Set();
  c.blocks.forEach((b, i) => {
    if (seen.has(b.key)) return;
    seen.add(b.key);
    checkForwardAgainstTesting(b, c.gate, refs[i]);
  });
  const ids = [...new Set(mine.flatMap((p) => [p.a, p.b]))];
  progress(`${c.key}: set up and check ${ids.length} systems`);
  /** @type {Map<string, { inst: import('./systems/types.mjs').Instance, checkMs: number }>} */
  const insts = new Map();
  for (const id of ids) insts.set(id, await setUpAndCheck(/** @type {import('./systems/types.mjs').System} */ (registry.get(id)), c, refs));
  refs.length = 0;
  collectGarbage();
  for (const p of mine) {
    const a = /** @type {{ inst: import('./systems/types.mjs').Instance, checkMs: number }} */ (insts.get(p.a));
    const b = /** @type {{ inst: import('./systems/types.mjs').Instance, checkMs: number }} */ (insts.get(p.b));
    const t = await timePaired(a, b, cfg);
    const s = pairStats(t);
    progress(`${c.key}: ${p.b} / ${p.a}: ${fmtRatio(s.ratio, null)} (${s.pairs} pairs)`);
    results.push({ group: p.group, label: p.label, case: c.key, a: p.a, b: p.b, max: p.max, judged: p.max !== null && p.target(info), ka: t.ka, kb: t.kb, aMs: t.a, bMs: t.b, stats: s });
  }
  for (const { inst } of insts.values()) await inst.dispose?.();
  insts.clear();
  collectGarbage();
}
const elapsedS = (performance.now() - t0) / 1000;

// ---------------------------------------------------------------------------------------- report
const md = [];
md.push(`# se-kernels paired benchmark (${preset ? `preset ${preset}, ` : ''}${fixedPairs === null ? modeName : `${fixedPairs} pairs`})\n`);
md.push(
  `Measured by \`bench/run ${args.join(' ')}\` on ${meta.cpu} (${meta.logicalCores} logical cores, ${meta.memoryGiB} GiB), ${meta.platform}, ` +
    `Node ${meta.node} (V8 ${meta.v8}), ${meta.date.slice(0, 16).replace('T', ' ')} UTC; build ${buildLine(buildA.distUrl)}` +
    `${buildB ? `; baseline (@B) ${buildLine(buildB.distUrl)}` : ''}.`,
);
for (const [tag, d] of Object.entries(pools)) {
  if (!d) continue;
  md.push(
    `SEThreads${tag === 'B' ? ' @B' : ''}: called through the ${d.api} API; default threads here ${d.defaultThreads}; a \`{ threads: 2 }\` pool computes with ${d.twoThreadPool.threads} threads` +
      `${d.twoThreadPool.minElements === null ? '' : `, minElements ${d.twoThreadPool.minElements}`}, fallbackReason ${JSON.stringify(d.twoThreadPool.fallbackReason)}.`,
  );
}
md.push(
  `Each ratio is B / A: the median of the per-pair ratios, with the 25th–75th percentile and the min–max of the per-pair ratios, the 95 % interval of that median (order statistics) and the number of pairs. ` +
    `A pair is one timed batch of A and one of B back to back (the order alternating AB, BA), after a warm-up of both and a check of every output against the float64 reference; ` +
    `a batch is ${cfg.batchMs} ms or more of back-to-back calls (1 call for a slow system), a full GC before each batch${hasGc ? '' : ' (NOT here: --no-gc, or node runs without --expose-gc)'}; ` +
    `${fixedPairs === null ? `${cfg.minPairs} pairs or more, until ${cfg.budgetMs} ms of timed calls (at most ${cfg.maxPairs})` : `${fixedPairs} pairs`}. ` +
    'The per-call times (A ms, B ms: medians over the pairs) are context only: they move with the machine; the ratios are the result.',
);
md.push(`\nAll ${checks.length} output checks pass (worst max relative error ${Math.max(0, ...checks.map((k) => k.worst)).toExponential(1)}).`);

/** @param {[number, number] | null} ci */
const fmtCi = (ci) => (ci === null ? '–' : `${fmtRatio(ci[0], null)}–${fmtRatio(ci[1], null)}`);
/** @param {Result} r */
const ratioCells = (r) => [
  r.judged ? fmtRatio(r.stats.ratio, r.max) : fmtRatio(r.stats.ratio, null),
  `${fmtRatio(r.stats.p25, null)}–${fmtRatio(r.stats.p75, null)}`,
  `${fmtRatio(r.stats.min, null)}–${fmtRatio(r.stats.max, null)}`,
  fmtCi(r.stats.ci),
  String(r.stats.pairs),
  fmtMs(r.stats.aMs),
  fmtMs(r.stats.bMs),
];
const RATIO_HEAD = ['ratio B / A', 'p25–p75', 'min–max', '95 % of median', 'pairs', 'A ms', 'B ms'];
const AB_HEAD = ['this / baseline', 'p25–p75', 'min–max', '95 % of median', 'pairs', 'baseline ms', 'this ms'];

/** @type {{ group: string, case: string, label: string, ratio: number, max: number, met: boolean }[]} */
const verdicts = [];
for (const [g, { title, text }] of groups) {
  const rows = results.filter((r) => r.group === g);
  if (rows.length === 0) continue;
  md.push(`\n## ${title}\n\n${text}\n`);
  if (g === 'ort') {
    // One row per case: against each ORT configuration, and the verdict against the better one.
    const table = [];
    for (const key of caseInfo.map((c) => c.key)) {
      const mine = rows.filter((r) => r.case === key);
      if (mine.length === 0) continue;
      const worst = mine.reduce((x, y) => (y.stats.ratio > x.stats.ratio ? y : x));
      const met = worst.stats.ratio <= 1;
      verdicts.push({ group: g, case: key, label: 'SEThreads forward / ORT best of 1T, 2T', ratio: worst.stats.ratio, max: 1, met });
      for (const r of mine) table.push([key, r.label, ...ratioCells(r), r === worst ? `${met ? '✓' : '✗'} (ORT's best)` : '']);
    }
    md.push(mdTable(['case', 'pair', ...RATIO_HEAD, '≤ 1 vs best'], table, 2));
    continue;
  }
  if (g === 'ab') {
    md.push(
      mdTable(
        ['case', 'system', ...AB_HEAD, 'verdict'],
        rows.map((r) => {
          const ci = r.stats.ci;
          const pct = `${Math.abs((r.stats.ratio - 1) * 100).toFixed(1)} %`;
          const verdict = ci === null ? 'too few pairs' : ci[0] <= 1 && ci[1] >= 1 ? 'within noise' : ci[1] < 1 ? `faster (${pct})` : `slower (${pct})`;
          return [r.case, r.label, ...ratioCells(r), verdict];
        }),
        2,
      ),
    );
    continue;
  }
  for (const r of rows) {
    if (r.judged && r.max !== null) verdicts.push({ group: g, case: r.case, label: `${g === 'scaling' ? 'SEThreads 2T / 1 thread ws, ' : ''}${r.label}`, ratio: r.stats.ratio, max: r.max, met: r.stats.ratio <= r.max });
  }
  md.push(mdTable(['case', 'pair', ...RATIO_HEAD], rows.map((r) => [r.case, g === 'pairs' ? r.label : `${r.label}`, ...ratioCells(r)]), 2));
}
if (verdicts.length > 0) {
  md.push('\n## Targets\n');
  md.push(
    mdTable(
      ['target', 'case', 'ratio (median of per-pair ratios)', 'met'],
      verdicts.map((v) => [`${v.label} ≤ ${v.max}`, v.case, fmtRatio(v.ratio, null), v.met ? '✓' : '✗']),
      2,
    ),
  );
  md.push(`\nTargets met: ${verdicts.filter((v) => v.met).length} of ${verdicts.length} (✓ / ✗ on the median of the per-pair ratios).`);
}
const others = otherLoad();
const busy = others === null ? meta.loadAverageAtStart[0] > 0.5 * meta.logicalCores : others > 0.2;
const othersText = others === null ? `load average ${meta.loadAverageAtStart[0]} at the start` : `other processes kept ${others.toFixed(2)} cores busy on average`;
if (busy) md.push(`\n**The machine was busy** (${othersText}, on ${meta.logicalCores} cores): pairs cancel slow drift, not contention within a pair; rerun on an idle machine before quoting these.`);
md.push(`\n${othersText} during the run; load average at start ${meta.loadAverageAtStart.join(' ')}, at end ${os.loadavg().map((v) => Math.round(v * 100) / 100).join(' ')}; total ${elapsedS.toFixed(0)} s.`);

console.log(md.join('\n'));
const round4 = (/** @type {number[]} */ v) => v.map((x) => Math.round(x * 1e4) / 1e4);
const json = {
  meta: { ...meta, mode: modeName, preset, config: cfg, poolApi, pools, exposeGc: hasGc, otherProcessesCores: others, busy, elapsedSeconds: Math.round(elapsedS * 10) / 10, baseline: buildB ? buildLine(buildB.distUrl) : null },
  cases: caseInfo,
  checks,
  results: results.map(({ aMs, bMs, ...r }) => ({ ...r, aMs: round4(aMs), bMs: round4(bMs) })),
  verdicts,
};
const outMd = writeResults(outJson, json, md);
progress(`wrote ${outJson} and ${outMd}`);
await closeWorkers();
process.exit(0);
