import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/gateway/config/load.js';
import { composeClusterFiles, dispatcherList, fixedPorts, instanceConfig, kamailioArgs, KAMAILIO_DEFAULTS, planInstances } from '../../src/cluster/plan.js';
import { REPO_ROOT } from '../../src/loadtest/peers.js';

const BASE = {
  trunks: [{ name: 'carrier', sources: ['203.0.113.0/24'], routes: [{ pattern: '*', agent: 'echo' }] }],
  media: { jitter_max_ms: 120 },
};

describe('a cluster plan', () => {
  const ports = fixedPorts(5080, 3);
  const plans = planInstances(ports.instances);

  it('gives each instance its own SIP, control and media ports, clear of each other', () => {
    expect(plans.map((p) => [p.id, p.sip, p.control])).toEqual([['tg-1', 5081, 5181], ['tg-2', 5082, 5182], ['tg-3', 5083, 5183]]);
    for (let i = 1; i < plans.length; i++) expect(plans[i]!.media.min).toBeGreaterThan(plans[i - 1]!.media.max);
  });

  it('lists every instance in dispatcher set 1 with an equal weight', () => {
    expect(dispatcherList(plans).trim().split('\n')).toEqual([
      '1 sip:127.0.0.1:5081 0 0 weight=33;instance=tg-1',
      '1 sip:127.0.0.1:5082 0 0 weight=33;instance=tg-2',
      '1 sip:127.0.0.1:5083 0 0 weight=33;instance=tg-3',
    ]);
  });

  it("makes each instance's config a valid gateway config naming it and trusting Kamailio's socket only", () => {
    const cfg = validateConfig(instanceConfig(BASE, plans[1]!, { port: 5080, sourceHeader: 'X-Carrier-Source' }));
    expect(cfg.cluster).toEqual({ instance_id: 'tg-2', trusted_proxies: ['127.0.0.1:5080'], source_header: 'X-Carrier-Source' });
    expect(cfg.sip.listen).toEqual([expect.objectContaining({ address: '127.0.0.1', port: 5082, transport: 'udp' })]);
    expect(cfg.drachtio).toMatchObject({ mode: 'embedded', port: 5182 });
    expect([cfg.media.port_min, cfg.media.port_max, cfg.media.jitter_max_ms]).toEqual([plans[1]!.media.min, plans[1]!.media.max, 120]);
    expect(cfg.trunks[0]!.sources).toEqual(['203.0.113.0/24']);
  });

  it('runs Kamailio in the foreground with its own runtime dir and pid file, and passes every value as a define', () => {
    const args = kamailioArgs('/k.cfg', '/d.list', '/run/k', { ...KAMAILIO_DEFAULTS, port: 5080 });
    expect(args.slice(0, 10)).toEqual(['-DD', '-E', '-f', '/k.cfg', '-l', 'udp:127.0.0.1:5080', '-Y', '/run/k', '-P', '/run/k/kamailio.pid']);
    const cfg = readFileSync(join(REPO_ROOT, 'sip-configs', 'kamailio', 'kamailio.cfg'), 'utf8');
    for (let i = 0; i < args.length; i++) {
      if (args[i] !== '-A') continue;
      const name = args[i + 1]!.split('=')[0]!;
      expect(cfg).toContain(`#!ifndef ${name}`);
    }
  });
});

describe("docker-compose.yml's cluster profile", () => {
  it('runs the files `trunkgate cluster` generates (sip-configs/cluster/ = scripts/cluster-configs.ts output)', () => {
    const compose = readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
    for (const [name, text] of Object.entries(composeClusterFiles())) {
      expect(readFileSync(join(REPO_ROOT, 'sip-configs', 'cluster', name), 'utf8')).toBe(text);
      expect(compose).toContain(`sip-configs/cluster/${name}`.replace('sip-configs/', name === 'dispatcher.list' ? '/cfg/' : 'sip-configs/'));
    }
    expect(compose).toContain('-f /cfg/kamailio/kamailio.cfg -l udp:127.0.0.1:5080');
  });
});
