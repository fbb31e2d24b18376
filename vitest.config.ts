import { defineConfig } from 'vitest/config';

// Tests talking to real peers (SIPp, baresip, rtpengine) take loopback ports from their worker's own
// block (test/helpers/ports.ts, test/setup/worker-ports.ts); files run in parallel only up to the two
// cores the CI machine has.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Run on their own after this suite: vitest.alone.config.ts.
    exclude: ['test/**/*.alone.test.ts', '**/node_modules/**'],
    setupFiles: ['test/setup/worker-ports.ts', 'test/setup/cdr-state.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    reporters: ['default'],
  },
});
