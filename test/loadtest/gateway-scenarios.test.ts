/**
 * The caller-side scenarios that the echo agent can satisfy, run against the real gateway
 * (src/runtime/start-command as a child process, as `trunkgate loadtest` starts it). Scenarios that need
 * the far end to hang up, transfer or ring without answering (uac-expect-bye,
 * uac-accept-refer-expect-bye, uac-cancel-expect-487) need another agent and are covered against
 * SIPp peers in scenarios.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCENARIO_DIR, startGatewayChild, type GatewayCallEnd, type RunningPeer } from '../../src/loadtest/peers.js';
import { freePort, freePortRange } from '../helpers/ports.js';
import { runSipp } from '../helpers/sipp.js';

describe('sipp-scenarios against the trunkgate gateway with the echo agent', () => {
  let gateway: RunningPeer;
  let workDir: string;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'loadtest-gw-'));
    gateway = await startGatewayChild({ workDir, mediaPorts: 100 });
  });

  afterAll(async () => {
    await gateway?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  async function call(scenario: string, extra: string[] = [], dialled = '15551234567'): Promise<number | null> {
    const port = await freePort();
    const media = await freePortRange(4);
    const r = await runSipp({
      args: [gateway.target, '-sf', join(SCENARIO_DIR, scenario), '-s', dialled, '-i', '127.0.0.1', '-p', String(port), '-mp', String(media.min), '-m', '1', ...extra],
      cwd: SCENARIO_DIR, timeoutMs: 60_000,
    });
    if (r.code !== 0) process.stderr.write(`${scenario}: ${r.errors}\n`);
    return r.code;
  }

  /**
   * The gateway's call_end line for the call to `dialled`. Each test that reads one dials its own
   * number: the previous test's call may end (and log) after this one started.
   */
  async function callEnd(dialled: string): Promise<GatewayCallEnd> {
    await expect.poll(() => gateway.callEnds.filter((e) => e.to === dialled).length, { timeout: 10_000 }).toBe(1);
    return gateway.callEnds.find((e) => e.to === dialled)!;
  }

  it('answers a PCMU call with audio and the gateway logs RTP both ways when the caller hangs up', async () => {
    expect(await call('uac-pcmu-caller-hangs-up-expect-200.xml', ['-d', '1500'], '15550000001')).toBe(0);
    const end = await callEnd('15550000001');
    expect(end.packetsIn).toBeGreaterThan(20);
    expect(end.packetsOut).toBeGreaterThan(20);
  });

  it('answers a PCMA call replayed from the capture', async () => {
    expect(await call('uac-pcma-pcap-expect-200.xml', ['-d', '1000'])).toBe(0);
  });

  it('receives the four RFC 2833 digits SIPp replays during a call (the gateway\'s call_end counts them)', async () => {
    expect(await call('uac-dtmf-2833-expect-200.xml', ['-d', '200'], '15550000002')).toBe(0);
    expect((await callEnd('15550000002')).dtmfIn).toBe(4); // 1, 2, 3, # from sip-tester's dtmf_2833_*.pcap
  });

  it('answers hold with recvonly or inactive and resume without a one-way direction', async () => {
    expect(await call('uac-hold-reinvite-expect-200.xml')).toBe(0);
  });

  it('completes the load scenario with audio', async () => {
    expect(await call('uac-load-short-call.xml', ['-d', '500', '-set', 'audio', '1'])).toBe(0);
  });
});
