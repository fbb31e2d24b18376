/**
 * WAL checkpoints off the call path (src/gateway/cdr/checkpointer.ts): a thread with its own
 * connection copies the log into the database; the writer's commits checkpoint only at the log's
 * bound (wal_autocheckpoint WAL_BOUND_PAGES instead of 1,000), so the log cannot grow without end
 * under commits that never pause; when that thread dies, SQLite's automatic checkpoints come back
 * (every 1,000 pages) and the failure is reported.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WAL_BOUND_PAGES, type CheckpointResult } from '../../../src/gateway/cdr/checkpointer.js';
import { CdrStore, type InviteRow } from '../../../src/gateway/cdr/store.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'tg-cdr-ckpt-'));
const stores: CdrStore[] = [];
afterEach(() => { for (const s of stores.splice(0)) s.close(); });

function invite(id: string): InviteRow {
  return { id, sip_call_id: `${id}@test`, direction: 'inbound', trunk: 't', from_number: '1', to_number: '2', dialled: '2', agent: 'echo', source: '127.0.0.1:5060', invite_at: new Date().toISOString() };
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('WAL checkpoints on their own thread', () => {
  it('the writer checkpoints only at the bound of its log, and the thread copies every frame the writer logged', async () => {
    const seen: CheckpointResult[] = [];
    const s = new CdrStore({ path: join(tmp(), 'cdr.sqlite'), instance: 'i', onCheckpoint: (r) => seen.push(r) });
    stores.push(s);
    expect(s.automaticCheckpoints).toBe(false);
    expect(s.db.pragma('wal_autocheckpoint', { simple: true })).toBe(WAL_BOUND_PAGES);
    for (let i = 0; i < 2000; i++) {
      s.invited(invite(`c${i}`));
      if (i % 10 === 9) s.flush();
    }
    s.flush();
    // Only reports made after the last commit count: the second one started after it for sure.
    seen.length = 0;
    await until(() => seen.length >= 2);
    expect(seen[1]!.log).toBeGreaterThan(0);
    expect(seen[1]!.checkpointed).toBe(seen[1]!.log);
    expect((s.db.prepare('SELECT count(*) AS n FROM cdr').get() as { n: number }).n).toBe(2000);
  });

  it('the log stays within its bound under commits that never pause: the writer checkpoints there itself', () => {
    const path = join(tmp(), 'cdr.sqlite');
    const bound = 200;
    // The thread's first checkpoint comes after this test: the bound alone is what is checked (a
    // checkpoint of the thread's that the writer's meets would only move it to the next commit).
    const s = new CdrStore({ path, instance: 'i', checkpointThread: { intervalMs: 60_000, boundPages: bound } });
    stores.push(s);
    // Back to back, one write per commit: each logs two or more pages (table and index leaves), so
    // 12,000 pages or more go through the log.
    const calls = 6000;
    for (let i = 0; i < calls; i++) {
      s.invited(invite(`c${i}`));
      s.flush();
    }
    const pages = statSync(`${path}-wal`).size / 4096;
    expect(pages).toBeGreaterThanOrEqual(bound);
    expect(pages).toBeLessThan(bound + 20);
    expect((s.db.prepare('SELECT count(*) AS n FROM cdr').get() as { n: number }).n).toBe(calls);
  });

  it('when the thread dies, automatic checkpoints come back on and the failure is reported', async () => {
    const errors: string[] = [];
    const s = new CdrStore({ path: join(tmp(), 'cdr.sqlite'), instance: 'i', onWriteError: (_err, what) => errors.push(what) });
    stores.push(s);
    expect(s.automaticCheckpoints).toBe(false);
    await s.killCheckpointer();
    await until(() => errors.length > 0);
    expect(errors).toEqual(['WAL checkpoint thread (automatic checkpoints are back on)']);
    expect(s.automaticCheckpoints).toBe(true);
  });

  it('checkpointThread: false leaves SQLite to checkpoint inside commits', () => {
    const s = new CdrStore({ path: join(tmp(), 'cdr.sqlite'), instance: 'i', checkpointThread: false });
    stores.push(s);
    expect(s.automaticCheckpoints).toBe(true);
  });
});
