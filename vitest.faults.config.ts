import { defineConfig } from 'vitest/config';

// `npm run test:faults`: the fault suite (kill -9, Redis and Postgres outages, full disk, load
// and leaks). Each file stops and starts real processes and measures memory and recovery, so
// files run one after the other in one fork: nothing else competes for the CPU or the ports
// while a fault is injected. Files are *.fault.ts so the ordinary `npm test` never picks them up.
export default defineConfig({
  test: {
    include: ['tests/faults/**/*.fault.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    reporters: ['default'],
    globalSetup: ['tests/helpers/global-setup.ts'],
  },
});
