/**
 * Writes sip-configs/cluster/ — the dispatcher list and the two instances' configs that
 * docker-compose.yml's cluster profile runs — with the code `trunkgate cluster` generates them with
 * (src/cluster/plan.ts), from sip-configs/default.yaml, Kamailio on 127.0.0.1:5080.
 * test/cluster/plan.test.ts fails when the committed files differ from what this writes.
 *   npx tsx scripts/cluster-configs.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeClusterFiles } from '../src/cluster/plan.js';
import { REPO_ROOT } from '../src/loadtest/peers.js';

for (const [name, text] of Object.entries(composeClusterFiles())) writeFileSync(join(REPO_ROOT, 'sip-configs', 'cluster', name), text);
