import { defineConfig } from 'vitest/config';

export default defineConfig({
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
