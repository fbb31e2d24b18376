/**
 * report.html opens in a real browser (headless Chromium) and shows its charts: the DOM Chromium
 * builds has the five chart SVGs, each with drawn polylines, and a screenshot is written.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoadtest } from '../../src/loadtest/command.js';
import type { LoadtestReport } from '../../src/loadtest/report.js';

const CHROMIUM = '/usr/bin/chromium';
const run = promisify(execFile);

function chromiumArgs(profile: string): string[] {
  return ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`];
}

describe.skipIf(!existsSync(CHROMIUM))('report.html in headless Chromium (skipped: /usr/bin/chromium is not installed)', () => {
  let dir: string;
  let report: LoadtestReport;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loadtest-html-'));
    report = await runLoadtest({ rate: 20, calls: 60, durationSec: 0.5, peer: 'sipp-uas', outDir: join(dir, 'report'), progress: () => undefined });
  }, 120_000);

  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('the page Chromium renders contains the five charts, each with a drawn line', async () => {
    const { stdout } = await run(CHROMIUM, [...chromiumArgs(join(dir, 'profile-dom')), '--dump-dom', `file://${report.files.html}`], { timeout: 90_000, maxBuffer: 16 * 2 ** 20 });
    for (const id of ['chart-call-rate', 'chart-concurrent', 'chart-cpu', 'chart-memory', 'chart-response-time']) {
      const svg = new RegExp(`<svg[^>]*id="${id}"[\\s\\S]*?</svg>`).exec(stdout)?.[0];
      expect(svg, id).toBeDefined();
      const lines = [...svg!.matchAll(/<polyline[^>]*points="([^"]+)"/g)].map((m) => m[1]!.trim().split(/\s+/).length);
      expect(lines.length, id).toBeGreaterThan(0);
      expect(Math.max(...lines), id).toBeGreaterThan(1);
    }
    expect(stdout).toContain('PASS');
    // self-contained: no scripts, no external resources
    const html = readFileSync(report.files.html, 'utf8');
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
  }, 120_000);

  it('Chromium takes a screenshot of the page', async () => {
    const png = join(dir, 'report.png');
    await run(CHROMIUM, [...chromiumArgs(join(dir, 'profile-shot')), `--screenshot=${png}`, '--window-size=1200,1100', `file://${report.files.html}`], { timeout: 90_000 });
    expect(statSync(png).size).toBeGreaterThan(20_000);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
  }, 120_000);
});
