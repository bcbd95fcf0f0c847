/** Jest runs the TypeScript sources directly (ts-jest, native ESM). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.test.json', diagnostics: { ignoreCodes: [151002] } }],
  },
  // The end-to-end suites start real Homebridge processes; give them room on 2 cores.
  testTimeout: 60_000,
  maxWorkers: 2,
  // The end-to-end scenarios run side by side (each mostly waits for a sync).
  maxConcurrency: 10,
};
