/**
 * `trunkgate loadtest` without building: npx tsx scripts/loadtest.ts [options] (see docs/loadtest.md).
 * Exit status 0 = every call succeeded, 1 = some call failed, 2 = bad option.
 */
import { loadtestMain } from '../src/loadtest/command.js';

process.exitCode = await loadtestMain(process.argv.slice(2));
