import { defineConfig } from 'vitest/config';

// Tests talk to real services (PGlite, Postgres, Redis, WebSockets), so they get generous
// timeouts; speed is measured in bench/, never asserted here.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'client-sdk/tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    globalSetup: ['tests/helpers/global-setup.ts'],
  },
});
