/**
 * The carrier-source header (cluster.source_header) is believed only from a trusted proxy: real
 * SIPp on 127.0.0.1 plays the proxy from the trusted port and a spoofer from another port, and the
 * real Kamailio tier replaces whatever header a carrier sends with the carrier's real address.
 * The gateway's only trunk takes 198.51.100.0/24, an address no peer here has, so a call is
 * answered exactly when the gateway matched the trunk on a header it trusted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../src/cluster/run.js';
import { SCENARIO_DIR, startGatewayChild, type RunningPeer } from '../../src/loadtest/peers.js';
import { freePort, freePortRange } from '../helpers/ports.js';
import { runSipp } from '../helpers/sipp.js';

const CARRIER = '198.51.100.7';

/** A gateway config whose one trunk is the carrier's range, refusing strangers with 403. */
function carrierOnly(config: Record<string, unknown>, trusted: string[]): Record<string, unknown> {
  return {
    ...config,
    trunks: [{ name: 'carrier', sources: ['198.51.100.0/24'], codecs: ['PCMU'], on_reject: '403', routes: [{ pattern: '*', agent: 'echo' }] }],
    cluster: { ...(config.cluster as object | undefined), trusted_proxies: trusted },
  };
}

async function call(target: string, scenario: string, port: number): Promise<{ code: number | null; errors: string }> {
  const media = await freePortRange(4);
  const r = await runSipp({
    args: [target, '-sf', join(SCENARIO_DIR, scenario), '-s', '15551234567', '-i', '127.0.0.1', '-p', String(port), '-mp', String(media.min),
      '-m', '1', '-d', '300', '-set', 'carrier', CARRIER, ...(scenario.includes('200') ? ['-set', 'audio', '0'] : [])],
    cwd: SCENARIO_DIR, timeoutMs: 30_000,
  });
  return { code: r.code, errors: r.errors };
}

describe('a carrier-source header from a source that is not a trusted proxy', () => {
  let gateway: RunningPeer;
  let workDir: string;
  let proxyPort: number;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'spoof-'));
    proxyPort = await freePort();
    gateway = await startGatewayChild({ workDir, mediaPorts: 40, configure: (c) => carrierOnly(c, [`127.0.0.1:${proxyPort}`]) });
  });

  afterAll(async () => {
    await gateway?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('is believed from the trusted proxy socket: the call matches the carrier trunk and is answered', async () => {
    const r = await call(gateway.target, 'uac-carrier-source-expect-200.xml', proxyPort);
    expect(r.errors).toBe('');
    expect(r.code).toBe(0);
  });

  it('is ignored from another port of the same host: trunk matching uses the real source and the call gets 403', async () => {
    const before = gateway.refused.no_trunk_for_source ?? 0;
    const r = await call(gateway.target, 'uac-carrier-source-expect-403.xml', await freePort());
    expect(r.code).toBe(0);
    // The 403 reaches SIPp before the gateway's log line reaches us.
    await expect.poll(() => gateway.refused.no_trunk_for_source ?? 0, { timeout: 5000 }).toBe(before + 1);
  });
});

describe('Kamailio in front of the gateway', () => {
  let cluster: Cluster;
  let workDir: string;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'spoof-kam-'));
    cluster = await startCluster({
      instances: 1, workDir, mediaPorts: 40,
      configure: (c) => carrierOnly(c, []),
    });
  });

  afterAll(async () => {
    await cluster?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it("replaces a carrier's own copy of the header with the carrier's real address: the spoofed trunk does not match (403)", async () => {
    const r = await call(cluster.target, 'uac-carrier-source-expect-403.xml', await freePort());
    expect(r.errors).toBe('');
    expect(r.code).toBe(0);
    await expect.poll(() => cluster.instances[0]!.peer.refused.no_trunk_for_source ?? 0, { timeout: 5000 }).toBe(1);
  });
});
