import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { measureEchoLatency } from '../../src/loadtest/echo-latency.js';
import { startGatewayChild, startSippUas } from '../../src/loadtest/peers.js';

const workDir = mkdtempSync(join(tmpdir(), 'loadtest-latency-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('measureEchoLatency', () => {
  it('gets every tone burst back from SIPp -rtp_echo', async () => {
    const uas = await startSippUas({ workDir });
    try {
      const r = await measureEchoLatency({ target: uas.target, workDir, seconds: 3 });
      expect(r.bursts).toBeGreaterThanOrEqual(5);
      expect(r.echoed).toBeGreaterThanOrEqual(r.bursts - 1);
      expect(r.p50Ms).not.toBeNull();
      expect(r.samplesMs.every((s) => s >= 0)).toBe(true);
    } finally {
      await uas.stop();
    }
  });

  it('gets the tone bursts back through the gateway echo agent', async () => {
    const gw = await startGatewayChild({ workDir, mediaPorts: 50 });
    try {
      const r = await measureEchoLatency({ target: gw.target, workDir, seconds: 4, avoid: gw.watchPorts });
      expect(r.bursts).toBeGreaterThanOrEqual(7);
      // the adaptive jitter buffer may swallow a burst while it settles
      expect(r.echoed).toBeGreaterThanOrEqual(r.bursts - 2);
      expect(r.p99Ms).not.toBeNull();
    } finally {
      await gw.stop();
    }
  });
});
