/** jest: TypeScript through @swc/jest; type-checking is a separate `tsc` step (`npm run typecheck`). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2020' } }] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testTimeout: 60000,
  // Fixed fast-check seeds for CI, fresh ones under SE_FC_MODE=fuzz (npm run test:fuzz): see test/propertyRuns.ts.
  setupFilesAfterEnv: ['<rootDir>/test/propertyRuns.ts'],
  globalSetup: '<rootDir>/test/propertyBanner.ts',
  // A fuzz run's one worker is restarted between test files once it holds over 2 GB (left to grow,
  // one full run's worker reached 16.7 GB and was killed by the OS).
  ...(process.env.SE_FC_MODE === 'fuzz' ? { workerIdleMemoryLimit: '2GB' } : {}),
};
