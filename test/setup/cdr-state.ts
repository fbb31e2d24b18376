/**
 * Runs in every vitest worker: CDRs of the gateways tests start (and of the built CLI they spawn,
 * which inherits the environment) go to a folder of this worker's own, never to the user's
 * ~/.local/state/trunkgate/cdr.sqlite (config cdr.path unset → src/gateway/config/cdr.ts defaultCdrPath).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

process.env.XDG_STATE_HOME = mkdtempSync(join(tmpdir(), 'trunkgate-state-'));
