/**
 * Instances that share one CDR database (a cluster on one host: cluster.instance_id tells their rows
 * apart) may open it at the same moment; the first creates the schema and the others must find it,
 * never fail with "table cdr already exists" (seen in CI when two instances started together).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openCdrDatabase } from '../../../src/gateway/cdr/store.js';
import { SCHEMA_VERSION } from '../../../src/gateway/cdr/schema.js';

const OPENER = fileURLToPath(new URL('./fixtures/open-at-signal.ts', import.meta.url));

/** Starts `n` processes that open `path` together once released; resolves with what each printed last. */
async function openTogether(path: string, n: number): Promise<string[]> {
  const go = `${path}.go`;
  const children = Array.from({ length: n }, () => spawn(process.execPath, ['--import', 'tsx', OPENER, path, go], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const outputs = children.map((c) => {
    let out = '';
    c.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    return { ready: new Promise<void>((r) => { const check = (): void => { if (out.includes('ready')) r(); }; c.stdout!.on('data', check); }), done: new Promise<string>((r) => c.on('close', () => r(out.trim().split('\n').pop() ?? ''))) };
  });
  await Promise.all(outputs.map((o) => o.ready));
  writeFileSync(go, '');
  return Promise.all(outputs.map((o) => o.done));
}

describe('several instances opening one new CDR database at once', () => {
  it('every one opens it, and the schema is created once (5 rounds of 4 processes, each on a new file)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-cdr-race-'));
    const n = Number(process.env.TG_RACE_N ?? 4);
    for (let round = 0; round < Number(process.env.TG_RACE_ROUNDS ?? 5); round++) {
      const path = join(dir, `cdr-${round}.sqlite`);
      const results = await openTogether(path, n);
      expect(results, `round ${round}`).toEqual(Array.from({ length: n }, () => 'ok'));
      const db = openCdrDatabase(path, { readonly: true });
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      db.close();
    }
  }, 120_000);
});
