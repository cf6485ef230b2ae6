import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Tests start real sshd and deckhand processes; keep parallelism modest on a 2-core machine.
    maxWorkers: 2,
    minWorkers: 1,
    reporters: ['default'],
  },
});
