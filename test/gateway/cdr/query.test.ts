/** `--since` as `trunkgate cdr` reads it, and RFC 4180 CSV fields. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CdrError } from '../../../src/gateway/cdr/errors.js';
import { CSV_COLUMNS, csvRow } from '../../../src/gateway/cdr/format.js';
import { parseSince } from '../../../src/gateway/cdr/query.js';
import type { CdrRow } from '../../../src/gateway/cdr/store.js';

const NOW = Date.parse('2026-12-07T12:00:00.000Z');

describe('parseSince', () => {
  it.each([
    ['90s', '2026-12-07T11:58:30.000Z'],
    ['15m', '2026-12-07T11:45:00.000Z'],
    ['2h', '2026-12-07T10:00:00.000Z'],
    ['1.5d', '2026-12-06T00:00:00.000Z'],
    ['2026-12-01', '2026-12-01T00:00:00.000Z'],
    ['2026-12-07T06:00:00+01:00', '2026-12-07T05:00:00.000Z'],
  ])('%s → %s', (value, iso) => {
    expect(parseSince(value, NOW)).toBe(iso);
  });

  it.each(['', 'yesterday', '5 minutes', '-2h', '2w'])('%j is a CdrError CDR_QUERY', (value) => {
    expect(() => parseSince(value, NOW)).toThrow(CdrError);
    try { parseSince(value, NOW); } catch (err) { expect((err as CdrError).code).toBe('CDR_QUERY'); }
  });
});

/** RFC 4180 §2 read back: quoted fields with doubled quotes, commas and line breaks inside. */
function readCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        if (line[i] === '"' && line[i + 1] === '"') { v += '"'; i += 2; } else if (line[i] === '"') { i++; break; } else v += line[i++];
      }
      out.push(v);
    } else {
      const end = line.indexOf(',', i);
      out.push(line.slice(i, end < 0 ? line.length : end));
      i = end < 0 ? line.length : end;
    }
    if (i >= line.length) return out;
    i++; // the comma
  }
}

describe('csvRow', () => {
  it('writes any text so that an RFC 4180 reader gets it back, one field per column (property)', () => {
    fc.assert(fc.property(fc.string(), fc.string(), fc.option(fc.integer()), (from, reason, status) => {
      const row = Object.fromEntries(CSV_COLUMNS.map((c) => [c, null])) as unknown as CdrRow;
      Object.assign(row, { from_number: from, hangup_reason: reason, sip_status: status });
      const fields = readCsvLine(csvRow(row));
      expect(fields).toHaveLength(CSV_COLUMNS.length);
      expect(fields[CSV_COLUMNS.indexOf('from_number')]).toBe(from);
      expect(fields[CSV_COLUMNS.indexOf('hangup_reason')]).toBe(reason);
      expect(fields[CSV_COLUMNS.indexOf('sip_status')]).toBe(status === null ? '' : String(status));
    }), { numRuns: 500 }); // fast-check prints the seed and the shrunk case of a failure
  });
});
