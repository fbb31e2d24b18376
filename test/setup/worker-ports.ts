/**
 * Runs in every vitest worker before its test files: gives the load-test peers this worker starts
 * their own slice of 20000–32767 (src/loadtest/ports.ts), as test/helpers/ports.ts does for 10000–19999.
 * Two load tests in parallel workers otherwise pick media ranges at random from the same span, and a
 * gateway binds its media ports only call by call — an overlap shows up as a refused call.
 */
const SLICES = 4;
const MIN = 20_000;
const SIZE = Math.floor((32_768 - MIN) / SLICES);
const pool = Number(process.env.VITEST_POOL_ID ?? '1');
const slice = (Number.isFinite(pool) ? pool - 1 : 0) % SLICES;
process.env.TRUNKGATE_LOADTEST_PORTS = `${MIN + slice * SIZE}-${MIN + (slice + 1) * SIZE - 1}`;
