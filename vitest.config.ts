import { configDefaults, defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources: the "@baton/source" export
// condition points each workspace package at its src/index.ts, so no build
// is needed before `pnpm test`.
export default defineConfig({
  ssr: { resolve: { conditions: ['@baton/source'] } },
  resolve: { conditions: ['@baton/source'] },
  test: {
    projects: [
      { extends: true, test: { name: 'core', include: ['packages/core/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'lock', include: ['packages/lock/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'election', include: ['packages/election/test/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/multi-process/**'],
        },
      },
      // Clusters of real processes, one file at a time and after every other project (groupOrder):
      // on 2 cores, a simulation sweep or a second cluster running alongside would starve their
      // event loops into spurious elections.
      {
        extends: true,
        test: {
          name: 'multi-process',
          include: ['test/multi-process/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
