import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { measureBridgeLatency } from '../../src/loadtest/bridge-latency.js';
import { startGatewayChild } from '../../src/loadtest/peers.js';
import { freeLoopbackPort } from '../../src/loadtest/ports.js';

const workDir = mkdtempSync(join(tmpdir(), 'loadtest-bridge-latency-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));
const TRANSFER_AGENT = join(import.meta.dirname, '../gateway/fixtures/transfer-agent.ts');

describe('measureBridgeLatency', () => {
  it('times tone bursts both ways through a bridge the gateway relays to the probe\'s own human leg', async () => {
    const humanSipPort = await freeLoopbackPort();
    const records: Record<string, unknown>[] = [];
    // startGatewayChild with `configure` (a transfer route) and without `--agent` (the routes decide).
    const gw = await startGatewayChild({
      workDir, agent: 'xfer', forceAgent: false, mediaPorts: 50,
      configure: (config) => {
        const trunk = (config.trunks as Record<string, unknown>[])[0]!;
        trunk.transfer = { method: 'bridge' };
        trunk.routes = [{ pattern: '*', agent: 'xfer' }];
        config.agents = { xfer: { type: 'module', module: TRANSFER_AGENT, settings: { target: `sip:human@127.0.0.1:${humanSipPort}`, caller_hears: 'agent' } } };
        return config;
      },
      onLogRecord: (rec) => { records.push(rec); },
    });
    try {
      const r = await measureBridgeLatency({ target: gw.target, service: '15551234567', humanSipPort, workDir, seconds: 4 });
      for (const way of [r.callerToHuman, r.humanToCaller]) {
        expect(way.bursts).toBeGreaterThanOrEqual(7);
        // the adaptive jitter buffers may swallow a burst while they settle
        expect(way.arrived).toBeGreaterThanOrEqual(way.bursts - 2);
        expect(way.samplesMs.every((s) => s >= 0)).toBe(true);
      }
      const until = Date.now() + 10_000;
      while (!records.some((x) => x.event === 'call_end') && Date.now() < until) await new Promise((res) => setTimeout(res, 50));
      expect(records.find((x) => x.event === 'call_end')).toMatchObject({ transfer: { result: 'transferred', method: 'bridge' }, human: { packetsIn: expect.any(Number) } });
    } finally {
      await gw.stop();
    }
  }, 60_000);
});
