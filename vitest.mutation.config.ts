import { resolve } from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The tests Stryker runs against each mutant (`npm run mutation`, stryker.config.mjs): the domain's unit tests and
 * the use cases' tests with in-memory fakes. Nothing here starts the emulator (no `*.emulator.test.ts`, no
 * globalSetup creating its CA), so one run of this set takes seconds and a mutation run fits in minutes on 2 cores.
 */
export default defineConfig({
  // As in vitest.config.ts: the emulator package from its source, should a test here reach it.
  resolve: { alias: { '@sql-key-rotation/local-azure': resolve(__dirname, 'packages/local-azure/src/index.ts') } },
  test: {
    include: ['test/domain/**/*.test.ts', 'test/app/**/*.test.ts'],
    exclude: [...configDefaults.exclude, '**/*.emulator.test.ts', '.stryker-tmp/**'],
    testTimeout: 30_000,
  },
});
