/**
 * The generated configuration of a local cluster: the Kamailio dispatcher list and command line
 * (sip-configs/kamailio/kamailio.cfg with values), and each trunkgate instance's config (its own
 * SIP, control and media ports, instance id, and Kamailio's socket as its trusted proxy). Pure:
 * the same shape `trunkgate cluster`, the tests and docker-compose.yml use.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { REPO_ROOT } from '../loadtest/peers.js';
import type { PortRange } from '../loadtest/udp-drops.js';

export interface InstancePorts {
  sip: number;
  control: number;
  media: PortRange;
}

export interface InstancePlan extends InstancePorts {
  /** `tg-1`, `tg-2` …: instance_id, the Call-ID host and the dispatcher attribute. */
  id: string;
  /** Dispatcher weight (algorithm 9): equal by default. */
  weight: number;
}

export interface KamailioPlan {
  /** Where carriers send (UDP). */
  port: number;
  /** Carrier source ACL: comma-separated CIDRs. */
  carrierNets: string;
  /** Requests per 2 s per source before pike blocks it. */
  pikeDensity: number;
  pingIntervalS: number;
  /** Failed pings (each `pingTimeoutMs` without an answer) before an instance is taken out. */
  probingThreshold: number;
  pingTimeoutMs: number;
  /** ms without any reply before an INVITE fails over. */
  frTimerMs: number;
  /**
   * UDP worker processes. One keeps each call's replies in order: with two, a 180 and the 200 right
   * behind it can overtake each other (harmless to a real UAC, an "unexpected message" to SIPp).
   * One stateful worker relays ~8,000 calls/s here (shared/notes/tooling.md), far above the instances.
   */
  workers: number;
  sourceHeader: string;
}

export const KAMAILIO_DEFAULTS: Omit<KamailioPlan, 'port'> = {
  carrierNets: '127.0.0.1/32', pikeDensity: 2000, pingIntervalS: 1, probingThreshold: 2, pingTimeoutMs: 3000, frTimerMs: 5000, workers: 1, sourceHeader: 'X-Carrier-Source',
};

/** Instance ids and weights for N instances on the given ports. */
export function planInstances(ports: InstancePorts[]): InstancePlan[] {
  return ports.map((p, i) => ({ ...p, id: `tg-${i + 1}`, weight: Math.max(1, Math.floor(100 / ports.length)) }));
}

/** dispatcher.list: set 1, one destination per instance (setid uri flags priority attrs). */
export function dispatcherList(instances: readonly InstancePlan[], host = '127.0.0.1'): string {
  return instances.map((i) => `1 sip:${host}:${i.sip} 0 0 weight=${i.weight};instance=${i.id}`).join('\n') + '\n';
}

/** kamailio's arguments: foreground, stderr logging, its own runtime dir and pid file. */
export function kamailioArgs(cfgPath: string, listPath: string, runDir: string, k: KamailioPlan): string[] {
  const def = (name: string, value: string | number): string[] => ['-A', typeof value === 'number' ? `${name}=${value}` : `${name}="${value}"`];
  return [
    '-DD', '-E', '-f', cfgPath, '-l', `udp:127.0.0.1:${k.port}`, '-Y', runDir, '-P', join(runDir, 'kamailio.pid'),
    '-m', '256', '-M', '16',
    ...def('DS_LIST', listPath), ...def('CARRIER_NETS', k.carrierNets), ...def('SOURCE_HEADER', k.sourceHeader),
    ...def('PIKE_DENSITY', k.pikeDensity), ...def('DS_PING_INTERVAL', k.pingIntervalS), ...def('DS_PROBING_THRESHOLD', k.probingThreshold), ...def('PING_TIMEOUT_MS', k.pingTimeoutMs), ...def('FR_TIMER_MS', k.frTimerMs),
    ...def('WORKERS', k.workers),
  ];
}

/**
 * One instance's config: the base (a gateway config as parsed YAML) with this instance's listener,
 * control port, media range and `cluster` section. Everything else (trunks, agents) is the base's.
 */
export function instanceConfig(base: Record<string, unknown>, inst: InstancePlan, proxy: { port: number; sourceHeader: string }): Record<string, unknown> {
  const drachtio = { embedded: { host: '127.0.0.1', port: inst.control, secret: embeddedSecret(base) } };
  const media = { ...(base.media as Record<string, unknown> | undefined), address: '127.0.0.1', port_min: inst.media.min, port_max: inst.media.max };
  return {
    ...base,
    sip: { listen: [{ address: '127.0.0.1', port: inst.sip, transport: 'udp' }] },
    drachtio,
    media,
    cluster: { instance_id: inst.id, trusted_proxies: [`127.0.0.1:${proxy.port}`], source_header: proxy.sourceHeader },
  };
}

function embeddedSecret(base: Record<string, unknown>): string {
  const d = base.drachtio as { embedded?: { secret?: unknown } } | undefined;
  return typeof d?.embedded?.secret === 'string' ? d.embedded.secret : 'cymru';
}

/** The fixed ports of a cluster from one base port: Kamailio on it, instance i at +i (SIP) and +100+i (control), media 30000+2000(i-1) … */
export function fixedPorts(basePort: number, instances: number, mediaPorts = 2000): { kamailio: number; instances: InstancePorts[] } {
  return {
    kamailio: basePort,
    instances: Array.from({ length: instances }, (_, i) => ({ sip: basePort + i + 1, control: basePort + 100 + i + 1, media: { min: 30000 + i * mediaPorts, max: 30000 + (i + 1) * mediaPorts - 1 } })),
  };
}

/** Where docker-compose.yml's Kamailio listens (the stand-alone gateway keeps 5060). */
export const COMPOSE_KAMAILIO_PORT = 5080;

/** sip-configs/cluster/*: dispatcher.list and tg-N.yaml for two instances from sip-configs/default.yaml. */
export function composeClusterFiles(): Record<string, string> {
  const base = parseYaml(readFileSync(join(REPO_ROOT, 'sip-configs', 'default.yaml'), 'utf8')) as Record<string, unknown>;
  const ports = fixedPorts(COMPOSE_KAMAILIO_PORT, 2);
  const plans = planInstances(ports.instances);
  const files: Record<string, string> = { 'dispatcher.list': dispatcherList(plans) };
  const header = '# Generated by scripts/cluster-configs.ts (src/cluster/plan.ts) from sip-configs/default.yaml: edit those, not this.\n';
  for (const p of plans) files[`${p.id}.yaml`] = header + stringifyYaml(instanceConfig(base, p, { port: ports.kamailio, sourceHeader: KAMAILIO_DEFAULTS.sourceHeader }));
  return files;
}
