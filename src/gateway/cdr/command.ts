/**
 * `trunkgate cdr [--since 2h|DATE] [--format json|csv] [--db FILE | --config FILE]`: prints the
 * CDRs, oldest first — JSON Lines (one object per call) or CSV with a header. The database is
 * opened read-only, so this runs beside a live gateway. Exit 0, or 1 with a message on stderr.
 */
import { dirname, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import { defaultCdrPath } from '../config/cdr.js';
import { cdrPath } from './create.js';
import { CdrError } from './errors.js';
import { cdrJson, csvHeader, csvRow } from './format.js';
import { parseSince, selectCdrs } from './query.js';
import { openCdrDatabase } from './store.js';

export interface CdrCommandIo {
  out: Writable;
  err: Writable;
}

function write(out: Writable, line: string): Promise<void> | undefined {
  // Respect back-pressure (a pager or `head` reading slowly).
  if (out.write(`${line}\n`)) return undefined;
  return new Promise((r) => out.once('drain', () => r()));
}

export async function cdrMain(argv: string[], io: CdrCommandIo = { out: process.stdout, err: process.stderr }): Promise<number> {
  let path: string;
  let since: string | undefined;
  let format: 'json' | 'csv';
  try {
    const { values } = parseArgs({ args: argv, options: { since: { type: 'string' }, format: { type: 'string', default: 'json' }, db: { type: 'string' }, config: { type: 'string' } }, strict: true });
    if (values.format !== 'json' && values.format !== 'csv') throw new CdrError('CDR_QUERY', `--format: '${values.format}' is not json or csv`);
    format = values.format;
    since = values.since !== undefined ? parseSince(values.since) : undefined;
    if (values.db) path = resolve(values.db);
    else if (values.config) {
      const file = resolve(values.config);
      path = cdrPath(loadConfig(file), dirname(file));
    } else path = defaultCdrPath();
  } catch (err) {
    io.err.write(`trunkgate cdr: ${(err as Error).message}\n`);
    return 1;
  }
  let db;
  try {
    db = openCdrDatabase(path, { readonly: true });
  } catch (err) {
    io.err.write(`trunkgate cdr: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    if (format === 'csv') await write(io.out, csvHeader());
    for (const row of selectCdrs(db, { since })) {
      await write(io.out, format === 'csv' ? csvRow(row) : JSON.stringify(cdrJson(row)));
    }
    return 0;
  } finally {
    db.close();
  }
}
