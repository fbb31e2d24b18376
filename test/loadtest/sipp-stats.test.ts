import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSippDuration, parseSippRttCsv, parseSippStatCsv, percentile, rttPercentilesPerSecond } from '../../src/loadtest/sipp-stats.js';
import { freePort } from '../helpers/ports.js';
import { runSipp } from '../helpers/sipp.js';

describe('parseSippDuration', () => {
  it('reads HH:MM:SS and HH:MM:SS:micro as seconds', () => {
    fc.assert(fc.property(fc.nat(99), fc.nat(59), fc.nat(59), fc.nat(999_999), (h, m, s, us) => {
      const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
      expect(parseSippDuration(`${pad(h)}:${pad(m)}:${pad(s)}`)).toBe(h * 3600 + m * 60 + s);
      expect(parseSippDuration(`${pad(h)}:${pad(m)}:${pad(s)}:${pad(us, 6)}`)).toBeCloseTo(h * 3600 + m * 60 + s + us / 1e6, 6);
    }));
  });

  it('returns NaN for text that is not a SIPp duration', () => {
    for (const bad of ['', '12', '1:2', 'a:b:c', '00:00:00:00:00']) expect(parseSippDuration(bad)).toBeNaN();
  });
});

describe('percentile (nearest rank)', () => {
  it('is always one of the values, between min and max, and grows with p', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 200 }), fc.double({ min: 0, max: 100, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true }), (values, p, q) => {
      const v = percentile(values, p);
      expect(values).toContain(v);
      expect(v).toBeGreaterThanOrEqual(Math.min(...values));
      expect(v).toBeLessThanOrEqual(Math.max(...values));
      const [lo, hi] = p <= q ? [p, q] : [q, p];
      expect(percentile(values, lo)).toBeLessThanOrEqual(percentile(values, hi));
    }));
  });

  it('gives the maximum at p100 and NaN for no values', () => {
    expect(percentile([3, 1, 2], 100)).toBe(3);
    expect(percentile([3, 1, 2], 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('parseSippRttCsv and rttPercentilesPerSecond', () => {
  it('skip the header and malformed lines and bucket samples by second', () => {
    const rows = parseSippRttCsv('Date_ms;response_time_ms;rtd_no\n12.5;3;1\n999;5;1\n1000;7;1\nbroken\n2500.1;1;1\n');
    expect(rows).toEqual([{ atMs: 12.5, rttMs: 3 }, { atMs: 999, rttMs: 5 }, { atMs: 1000, rttMs: 7 }, { atMs: 2500.1, rttMs: 1 }]);
    const buckets = rttPercentilesPerSecond(rows);
    expect(buckets.map((b) => [b.sec, b.count, b.p99])).toEqual([[0, 2, 5], [1, 1, 7], [2, 1, 1]]);
  });
});

describe('parseSippStatCsv on real SIPp output', () => {
  it('reads the cumulative successful and failed calls of a SIPp run', async () => {
    const uasPort = await freePort();
    const uas = runSipp({ args: ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(uasPort), '-m', '5'] });
    await uas.listening();
    const dir = mkdtempSync(join(tmpdir(), 'loadtest-stat-'));
    const uacPort = await freePort();
    const uac = await runSipp({
      args: [`127.0.0.1:${uasPort}`, '-sn', 'uac', '-i', '127.0.0.1', '-p', String(uacPort), '-m', '5', '-r', '10', '-d', '100', '-trace_rtt', '-rtt_freq', '1'],
      cwd: dir,
    });
    await uas;
    expect(uac.code).toBe(0);
    const csv = readdirSync(uac.dir).find((f) => f.startsWith('stat'))!;
    const rows = parseSippStatCsv(readFileSync(join(uac.dir, csv), 'utf8'));
    const last = rows.at(-1)!;
    expect(last.successfulTotal).toBe(5);
    expect(last.failedTotal).toBe(0);
    expect(last.totalCreated).toBe(5);
    expect(last.failures).toEqual({});
    const rtt = parseSippRttCsv(readFileSync(join(dir, readdirSync(dir).find((f) => f.endsWith('_rtt.csv'))!), 'utf8'));
    expect(rtt).toHaveLength(5);
  });

  it('names the Failed* counters of calls that failed', async () => {
    // Nobody listens on this port: SIPp retransmits the INVITE until Timer B and counts FailedMaxUDPRetrans.
    const deadPort = await freePort();
    const uacPort = await freePort();
    const uac = await runSipp({ args: [`127.0.0.1:${deadPort}`, '-sn', 'uac', '-i', '127.0.0.1', '-p', String(uacPort), '-m', '1', '-max_retrans', '1'] });
    const csv = readdirSync(uac.dir).find((f) => f.startsWith('stat'))!;
    const last = parseSippStatCsv(readFileSync(join(uac.dir, csv), 'utf8')).at(-1)!;
    expect(last.failedTotal).toBe(1);
    expect(Object.keys(last.failures).length).toBeGreaterThan(0);
  });
});
