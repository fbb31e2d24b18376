import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadtestMain, parseLoadtestArgs, runLoadtest } from '../../src/loadtest/command.js';
import { LoadtestError } from '../../src/loadtest/errors.js';
import type { LoadtestReport } from '../../src/loadtest/report.js';

const dirs: string[] = [];
function outDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'loadtest-cmd-'));
  dirs.push(d);
  return d;
}
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

describe('parseLoadtestArgs', () => {
  it('takes rate, calls, duration, concurrency, scenario, target and out', () => {
    const o = parseLoadtestArgs(['--rate', '25.5', '--calls', '300', '--duration', '2', '--concurrency', '80', '--scenario', 'uac-load-short-call', '--target', '127.0.0.1:5080', '--out', '/tmp/x', '--no-audio']);
    expect(o).toMatchObject({ rate: 25.5, calls: 300, durationSec: 2, concurrency: 80, scenario: 'uac-load-short-call', target: '127.0.0.1:5080', outDir: '/tmp/x', audio: false });
  });

  it('takes --media-workers as a number or auto for the gateway it starts', () => {
    expect(parseLoadtestArgs(['--media-workers', '0'])).toMatchObject({ mediaWorkers: 0 });
    expect(parseLoadtestArgs(['--media-workers', 'auto'])).toMatchObject({ mediaWorkers: 'auto' });
    expect(parseLoadtestArgs([])).not.toHaveProperty('mediaWorkers');
  });

  it('defaults to the gateway peer with audio', () => {
    expect(parseLoadtestArgs([])).toMatchObject({ peer: 'gateway', audio: true, scenario: 'uac-load-short-call' });
  });

  it('rejects bad values with LoadtestError BAD_OPTION', () => {
    for (const argv of [['--rate', '0'], ['--calls', '1.5'], ['--duration', 'x'], ['--peer', 'asterisk'], ['--target', 'nohostport'], ['--media-workers', 'many'], ['--bogus']]) {
      let caught: unknown;
      try { parseLoadtestArgs(argv); } catch (err) { caught = err; }
      expect(caught, argv.join(' ')).toBeInstanceOf(LoadtestError);
      expect((caught as LoadtestError).code).toBe('BAD_OPTION');
    }
  });

  it('refuses an unknown scenario with UNKNOWN_SCENARIO before starting anything', async () => {
    await expect(runLoadtest({ rate: 1, calls: 1, durationSec: 1, scenario: 'no-such-scenario', peer: 'sipp-uas', outDir: outDir(), progress: () => undefined }))
      .rejects.toMatchObject({ code: 'UNKNOWN_SCENARIO' });
  });
});

function expectReportShape(report: LoadtestReport): void {
  const json = JSON.parse(readFileSync(report.files.json, 'utf8')) as LoadtestReport;
  expect(existsSync(report.files.html)).toBe(true);
  expect(json.version).toBe(1);
  for (const key of ['callsAttempted', 'callsSuccessful', 'callsFailed', 'failures', 'retransmissions', 'achievedRate', 'maxConcurrentCalls', 'responseTimeMs', 'cpu', 'memory', 'audio'] as const) {
    expect(json.summary, key).toHaveProperty(key);
  }
  expect(json.series.sipp.length).toBeGreaterThan(0);
  expect(json.series.process.length).toBeGreaterThan(1);
  expect(json.series.responseTime.length).toBeGreaterThan(0);
  expect(json.summary.responseTimeMs.samples).toBe(json.summary.callsSuccessful);
  expect(json.summary.cpu!.cpuSeconds).toBeGreaterThan(0);
  expect(json.summary.memory!.peakMiB).toBeGreaterThan(0);
}

describe('runLoadtest smoke load', () => {
  it('200 short calls with audio at 40/s through the gateway with the echo agent: none fails, report written', async () => {
    const lines: string[] = [];
    const report = await runLoadtest({ rate: 40, calls: 200, durationSec: 1, outDir: outDir(), progress: (l) => lines.push(l) });
    const why = JSON.stringify({ refusedByGateway: report.summary.refusedByGateway, sippErrors: report.sipp.errorsExcerpt });
    expect(report.summary.failures, why).toEqual({});
    expect(report.summary.callsFailed).toBe(0);
    expect(report.summary.callsSuccessful).toBe(200);
    expect(report.peer.kind).toBe('gateway');
    expectReportShape(report);
    const gw = report.summary.audio.gateway!;
    expect(gw.calls).toBe(200);
    expect(gw.packetsIn).toBeGreaterThan(200 * 20);
    // Kernel drops depend on the machine's load: counted here, bounded only by the ramps (bench).
    expect(Number.isInteger(report.summary.audio.kernelUdpDrops)).toBe(true);
    expect(lines.some((l) => /^t=\d+s created \d+\/200/.test(l))).toBe(true);
  }, 120_000);

  it('50 signalling-only calls through the Kamailio stateless relay: none fails', async () => {
    const report = await runLoadtest({ rate: 25, calls: 50, durationSec: 0.5, peer: 'kamailio', audio: false, outDir: outDir(), progress: () => undefined });
    expect(report.summary.callsFailed).toBe(0);
    expect(report.summary.callsSuccessful).toBe(50);
    expect(report.peer.kind).toBe('kamailio');
    expectReportShape(report);
  }, 120_000);

  it('loadtestMain exits 1 and the report counts the failures when calls fail', async () => {
    // SIPp's uas answers at once, so a CANCEL scenario cannot get its 487: every call fails.
    const dir = outDir();
    const code = await loadtestMain(['--peer', 'sipp-uas', '--scenario', 'uac-cancel-expect-487', '--calls', '3', '--rate', '10', '--out', dir, '--timeout', '60']);
    expect(code).toBe(1);
    const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as LoadtestReport;
    expect(json.summary.callsFailed).toBeGreaterThan(0);
    expect(Object.keys(json.summary.failures).length).toBeGreaterThan(0);
  }, 120_000);

  it('loadtestMain exits 2 for a bad option', async () => {
    expect(await loadtestMain(['--rate', '-3'])).toBe(2);
  });
});
