import { defineConfig } from 'vitest/config';

// Tests talking to real peers (SIPp, baresip, rtpengine) use fixed loopback ports per file, so
// files run in parallel only up to the two cores the CI machine has.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    reporters: ['default'],
  },
});
