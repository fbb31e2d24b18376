/**
 * WAL checkpoints off the call path (src/gateway/cdr/checkpointer.ts): the writer's commits never
 * checkpoint (wal_autocheckpoint 0); a thread with its own connection copies the log into the
 * database; when that thread dies, SQLite's automatic checkpoints come back and the failure is
 * reported.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckpointResult } from '../../../src/gateway/cdr/checkpointer.js';
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
  it('the writer never checkpoints in a commit, and the thread copies every frame the writer logged', async () => {
    const seen: CheckpointResult[] = [];
    const s = new CdrStore({ path: join(tmp(), 'cdr.sqlite'), instance: 'i', onCheckpoint: (r) => seen.push(r) });
    stores.push(s);
    expect(s.automaticCheckpoints).toBe(false);
    expect(s.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
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
