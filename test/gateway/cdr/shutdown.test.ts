/**
 * SIGTERM of the built gateway with a call up: the shutdown path (start-command → proc.stop →
 * app.stop → CDR close) writes the call's final row after its BYE and closes the database, WAL
 * checkpointed, before the process exits 0.
 */
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { byeFromGateway, expectAnswer, invite, scenario, scenarioFile } from '../helpers/scenarios.js';
import { gatewayFolder, isStartup, startBin } from './helpers.js';

describe('CDRs at shutdown', () => {
  it('SIGTERM with a call up: the call gets BYE after the grace period, its row is ended, the database closed', async () => {
    const g = await gatewayFolder();
    const gw = startBin(['start', '--config', g.config], g.dir);
    await gw.waitFor(isStartup, 'startup');
    const call = runSipp({
      args: ['-sf', scenarioFile('uac-cdr-shutdown', scenario('uac-cdr-shutdown', `${invite()}${expectAnswer}${byeFromGateway}`)), `127.0.0.1:${g.sip}`,
        '-i', '127.0.0.1', '-p', String(await freePort()), '-mp', String(await sippMediaPort()), '-m', '1'],
      timeoutMs: 30_000,
    });
    await gw.waitFor((l) => l.event === 'call_answered', 'call_answered');
    gw.child.kill('SIGTERM');
    const exited = await gw.exited;
    expect(exited.code).toBe(0);
    const s = await call;
    expect(s.code, s.errors).toBe(0);
    // Closed cleanly: the WAL was checkpointed into the file and truncated.
    expect(!existsSync(`${g.db}-wal`) || statSync(`${g.db}-wal`).size === 0).toBe(true);
    const db = new Database(g.db, { readonly: true });
    const rows = db.prepare('SELECT state, hangup_by, hangup_reason FROM cdr').all();
    db.close();
    expect(rows).toMatchObject([{ state: 'ended', hangup_by: 'gateway', hangup_reason: 'shutdown grace period over' }]);
  }, 40_000);
});
