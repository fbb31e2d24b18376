/**
 * `trunkgate cdr` and the start-up check of `cdr.path`, as the built bin (`npm run build` first).
 * The rows are written with CdrStore (what the gateway writes is covered by the other CDR tests).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CdrStore } from '../../../src/gateway/cdr/store.js';
import { CSV_COLUMNS } from '../../../src/gateway/cdr/format.js';
import { gatewayFolder, runBin } from './helpers.js';

const HOUR = 3_600_000;

function database(dir: string): string {
  const path = join(dir, 'cdr.sqlite');
  const s = new CdrStore({ path, instance: 'cli' });
  const row = (id: string, at: number, from: string) => ({ id, sip_call_id: `${id}@x`, direction: 'inbound' as const, trunk: 'carrier', from_number: from, to_number: '+4930123', dialled: '030123', agent: 'echo', source: '127.0.0.1:5070', invite_at: new Date(at).toISOString() });
  s.invited(row('old', Date.now() - 48 * HOUR, '111'));
  s.ending('old', new Date(Date.now() - 47 * HOUR).toISOString(), 'caller', 'caller hung up');
  s.invited(row('new', Date.now() - 60_000, 'Doe, "J"'));
  s.answered('new', new Date(Date.now() - 59_000).toISOString(), 'PCMA');
  s.close();
  return path;
}

describe('trunkgate cdr (built bin)', () => {
  it('prints every row as JSON Lines, oldest first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-cdr-cli-'));
    const db = database(dir);
    const r = await runBin(['cdr', '--db', db], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((x) => x.id)).toEqual(['old', 'new']);
    expect(rows[0]).toMatchObject({ state: 'ending', hangup_by: 'caller', instance: 'cli', end_record: null });
    expect(rows[1]).toMatchObject({ state: 'answered', codec: 'PCMA', from_number: 'Doe, "J"' });
    expect(rows[1]).not.toHaveProperty('webhook');
  });

  it('--since 1h and --format csv: a header and the newer row, quoted per RFC 4180', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-cdr-cli-'));
    const db = database(dir);
    const r = await runBin(['cdr', '--db', db, '--since', '1h', '--format', 'csv'], dir);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines[1]).toMatch(/^new,new@x,cli,inbound,answered,carrier,"Doe, ""J""",\+4930123,030123,echo,127\.0\.0\.1:5070,PCMA,/);
    expect(lines[1]!.split(',').length).toBe(CSV_COLUMNS.length + 1); // the one quoted comma
  });

  it('--since a date, and --config takes cdr.path relative to the config file', async () => {
    const g = await gatewayFolder();
    database(g.dir);
    const since = new Date(Date.now() - 50 * HOUR).toISOString();
    const r = await runBin(['cdr', '--config', g.config, '--since', since], mkdtempSync(join(tmpdir(), 'tg-cwd-')));
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['old', 'new']);
  });

  it.each([
    [['--since', 'yesterday-ish'], /--since: 'yesterday-ish' is neither a duration/],
    [['--format', 'xml'], /--format: 'xml' is not json or csv/],
    [['--db', '/nonexistent/cdr.sqlite'], /cannot open the CDR database \/nonexistent\/cdr\.sqlite/],
  ])('%j: exit 1 and says why', async (args, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-cdr-cli-'));
    database(dir);
    const r = await runBin(['cdr', '--db', join(dir, 'cdr.sqlite'), ...args], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('a file that is no CDR database: exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-cdr-cli-'));
    writeFileSync(join(dir, 'x.sqlite'), '');
    const r = await runBin(['cdr', '--db', join(dir, 'x.sqlite')], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not a trunkgate CDR database/);
  });
});

describe('trunkgate start with a cdr.path it cannot write', () => {
  it('exits 1 before listening, naming the path', async () => {
    const g = await gatewayFolder({ cdr: '{ path: /proc/trunkgate-cdr/cdr.sqlite }' });
    const r = await runBin(['start', '--config', g.config], g.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed to start: cannot open the CDR database \/proc\/trunkgate-cdr\/cdr\.sqlite/);
    expect(r.stdout).not.toContain('connected to drachtio server');
  });
});
