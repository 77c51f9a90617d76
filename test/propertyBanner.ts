/**
 * jest globalSetup: prints once per run which seed(s) the property tests use. Also home of the
 * fixed CI seed, which the setup file test/propertyRuns.ts imports (a globalSetup file is loaded
 * without jest's moduleNameMapper, so this file imports nothing of the project).
 */

/** The seed `npm test` uses when SE_FC_SEED is not set; fixed so CI never draws new cases. */
export const CI_SEED = 20261206;

/** What this run's property tests will draw, from the environment; printed once per jest run. */
export function propertyRunsSummary(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SE_FC_MODE === 'fuzz') {
    const seeds = env.SE_FC_FUZZ_SEEDS || '200';
    const runs = env.SE_FC_FUZZ_RUNS ? `numRuns ${env.SE_FC_FUZZ_RUNS}` : 'numRuns = own / 2 (at least 5)';
    return `property tests: FUZZ mode, ${seeds} fresh seeds per property (master seed ${env.SE_FC_FUZZ_MASTER ?? '1'}), ${runs} per seed`;
  }
  const seed = env.SE_FC_SEED || String(CI_SEED);
  const extra = [env.SE_FC_PATH ? `path ${env.SE_FC_PATH}` : '', env.SE_FC_NUM_RUNS ? `numRuns ${env.SE_FC_NUM_RUNS}` : ''].filter(Boolean).join(', ');
  return `property tests: fast-check seed ${seed}${env.SE_FC_SEED ? ' (SE_FC_SEED)' : ' (fixed CI seed; set SE_FC_SEED to change)'}${extra ? `, ${extra}` : ''}`;
}

/** Prints the property-run summary line. */
export default function propertyBanner(): void {
  process.stdout.write(`\n${propertyRunsSummary()}\n`);
}
