import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The tests run the emulator package from its source: CI runs them before any build (its dist may not exist).
  resolve: { alias: { '@sql-key-rotation/local-azure': resolve(__dirname, 'packages/local-azure/src/index.ts') } },
  test: {
    include: ['test/**/*.test.ts'],
    // Forks, not threads: the emulator's CA reaches the SDK's TLS stack through NODE_EXTRA_CA_CERTS,
    // which Node reads only when a process starts (see test/globalSetup.ts).
    pool: 'forks',
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
