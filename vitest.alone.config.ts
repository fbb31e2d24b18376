import { defineConfig } from 'vitest/config';

// Tests that bound lateness under load (test/**/*.alone.test.ts) run after the main suite, one file
// at a time, so no other test file shares the machine's cores with them.
export default defineConfig({
  test: {
    include: ['test/**/*.alone.test.ts'],
    setupFiles: ['test/setup/worker-ports.ts', 'test/setup/cdr-state.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    maxWorkers: 1,
    fileParallelism: false,
    reporters: ['default'],
  },
});
