/** CdrStore: schema versioning, start errors, and what a restart makes of rows left unfinished. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CdrError } from '../../../src/gateway/cdr/errors.js';
import { SCHEMA_VERSION } from '../../../src/gateway/cdr/schema.js';
import { CdrStore, recoverySql, type InviteRow } from '../../../src/gateway/cdr/store.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'tg-cdr-store-'));

function invite(id: string): InviteRow {
  return { id, sip_call_id: `${id}@test`, direction: 'inbound', trunk: 't', from_number: '1', to_number: '2', dialled: '2', agent: 'echo', source: '127.0.0.1:5060', invite_at: new Date().toISOString() };
}

function codeOf(fn: () => unknown): string | undefined {
  try { fn(); } catch (err) { return err instanceof CdrError ? err.code : `not a CdrError: ${String(err)}`; }
  return undefined;
}

describe('CdrStore', () => {
  it('creates the folder, the file and the schema at user_version SCHEMA_VERSION, in WAL mode', () => {
    const path = join(tmp(), 'a', 'b', 'cdr.sqlite');
    const s = new CdrStore({ path, instance: 'i' });
    expect(s.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
    s.close();
    s.close();
    // Opening again migrates nothing and keeps the rows.
    const again = new CdrStore({ path, instance: 'i' });
    expect(again.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    again.close();
  });

  it('refuses a database of a newer schema with CDR_SCHEMA', () => {
    const path = join(tmp(), 'cdr.sqlite');
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(codeOf(() => new CdrStore({ path, instance: 'i' }))).toBe('CDR_SCHEMA');
  });

  it('fails with CDR_OPEN naming the path when the folder cannot be written or the file is not SQLite', () => {
    const dir = tmp();
    // Tests run as root, which ignores mode bits: a path below a regular file can never be created.
    writeFileSync(join(dir, 'file'), 'x');
    const err = (() => { try { new CdrStore({ path: join(dir, 'file', 'cdr.sqlite'), instance: 'i' }); } catch (e) { return e as CdrError; } return undefined; })();
    expect(err?.code).toBe('CDR_OPEN');
    expect(err?.path).toBe(join(dir, 'file', 'cdr.sqlite'));
    writeFileSync(join(dir, 'junk.sqlite'), 'this is not a database, just text long enough to have a header of sorts '.repeat(20));
    expect(codeOf(() => new CdrStore({ path: join(dir, 'junk.sqlite'), instance: 'i' }))).toBe('CDR_OPEN');
  });

  it('recover(): in-flight rows of this instance become crashed (gateway_crashed, end unknown), ending rows ended; other instances\' rows are left alone', () => {
    const path = join(tmp(), 'cdr.sqlite');
    const a = new CdrStore({ path, instance: 'a' });
    a.invited(invite('ringing'));
    a.invited(invite('up'));
    a.answered('up', new Date().toISOString(), 'PCMU');
    a.invited(invite('ending'));
    a.answered('ending', new Date().toISOString(), 'PCMU');
    a.ending('ending', new Date().toISOString(), 'caller', 'caller hung up');
    const b = new CdrStore({ path, instance: 'b' });
    b.invited(invite('other'));
    // The end of the event-loop turn commits the queued writes; a's process dies after it (no close).
    a.flush();
    b.flush();
    const restarted = new CdrStore({ path, instance: 'a' });
    expect(restarted.recover(true)).toEqual({ crashed: 2, completed: 1 });
    const state = (id: string) => restarted.get(id)!;
    expect(state('ringing')).toMatchObject({ state: 'crashed', hangup_by: 'gateway', hangup_reason: 'gateway_crashed', end_at: null, webhook: 'pending' });
    expect(state('up')).toMatchObject({ state: 'crashed', hangup_reason: 'gateway_crashed', end_at: null, codec: 'PCMU' });
    expect(state('ending')).toMatchObject({ state: 'ended', hangup_by: 'caller', hangup_reason: 'caller hung up', webhook: 'pending' });
    expect(state('ending').end_at).not.toBeNull();
    expect(state('other')).toMatchObject({ state: 'invited', webhook: null });
    expect(restarted.recover(false)).toEqual({ crashed: 0, completed: 0 });
    for (const s of [a, b, restarted]) s.close();
  });

  it('recover() reads the unfinished rows through the partial index cdr_unfinished, never by scanning the table (start-up time must not grow with the CDR history)', () => {
    const s = new CdrStore({ path: join(tmp(), 'cdr.sqlite'), instance: 'a' });
    for (const webhook of [true, false]) {
      for (const sql of recoverySql(webhook)) {
        const plan = (s.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('a') as { detail: string }[]).map((r) => r.detail);
        expect(plan, sql).toEqual([expect.stringMatching(/^SEARCH cdr USING INDEX cdr_unfinished \(instance=\? AND state=\?\)/)]);
      }
    }
    s.close();
  });
});
