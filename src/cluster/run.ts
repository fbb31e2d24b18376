/**
 * A local cluster on 127.0.0.1: N trunkgate instances (each a gateway process with its generated
 * config) behind Kamailio's dispatcher. Used by `trunkgate cluster`, test/cluster and
 * bench/cluster. Instances can be killed (-9), terminated (SIGTERM: drain) and restarted on their
 * own ports, so the dispatcher entry stays theirs.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { startGatewayChild, type RunningPeer } from '../loadtest/peers.js';
import { freeLoopbackPort, freeLoopbackRange } from '../loadtest/ports.js';
import type { PortRange } from '../loadtest/udp-drops.js';
import { startKamailio, type RunningKamailio } from './kamailio.js';
import { fixedPorts, instanceConfig, KAMAILIO_DEFAULTS, planInstances, type InstancePlan, type InstancePorts, type KamailioPlan } from './plan.js';

export interface ClusterOptions {
  instances: number;
  workDir: string;
  /** A gateway config (parsed YAML) the instances start from; default: the load-test config (echo agent, one trunk from 127.0.0.1). */
  base?: Record<string, unknown>;
  /** Edits the base before each instance's ports and cluster section are set. */
  configure?: (config: Record<string, unknown>) => Record<string, unknown>;
  /** Fixed ports: Kamailio on `basePort`, instance i SIP on basePort+i, control basePort+100+i, media 30000+2000(i-1) …; default: free ports. */
  basePort?: number;
  kamailio?: Partial<Omit<KamailioPlan, 'port'>>;
  /** Media ports per instance (2 per call; default 2000). */
  mediaPorts?: number;
  /** The agent every call goes to (--agent), if any. */
  agent?: string;
  logLevel?: string;
  /** Every JSON log line of every instance (its `instance` field names it). */
  onLogRecord?: (instance: string, rec: Record<string, unknown>) => void;
}

export interface ClusterInstance {
  plan: InstancePlan;
  /** The running gateway (replaced by restart()). */
  peer: RunningPeer;
  /** The dispatcher's name for it. */
  uri: string;
  /** SIGKILL, resolves when it is gone. */
  kill(): Promise<void>;
  /** SIGTERM (drain: new calls 503, live calls finish), resolves with the exit code. */
  terminate(): Promise<number | null>;
  /** Starts it again on the same ports. */
  restart(): Promise<void>;
}

export interface Cluster {
  kamailio: RunningKamailio;
  instances: ClusterInstance[];
  /** host:port carriers (SIPp) send to. */
  target: string;
  /** Every port range the cluster uses (SIPp's own ports stay out of them). */
  portRanges: PortRange[];
  stop(): Promise<void>;
}

async function choosePorts(o: ClusterOptions): Promise<{ kamailio: number; instances: InstancePorts[] }> {
  const mediaPorts = o.mediaPorts ?? 2000;
  if (o.basePort !== undefined) return fixedPorts(o.basePort, o.instances, mediaPorts);
  const taken: PortRange[] = [];
  const one = async (): Promise<number> => {
    const p = await freeLoopbackPort(taken);
    taken.push({ min: p, max: p });
    return p;
  };
  const kamailio = await one();
  const instances: InstancePorts[] = [];
  for (let i = 0; i < o.instances; i++) {
    const sip = await one();
    const control = await one();
    const media = await freeLoopbackRange(mediaPorts, taken);
    taken.push(media);
    instances.push({ sip, control, media });
  }
  return { kamailio, instances };
}

export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  mkdirSync(o.workDir, { recursive: true });
  const ports = await choosePorts(o);
  const k: KamailioPlan = { ...KAMAILIO_DEFAULTS, ...o.kamailio, port: ports.kamailio };
  const plans = planInstances(ports.instances);
  const proxy = { port: k.port, sourceHeader: k.sourceHeader };
  const startInstance = (plan: InstancePlan): Promise<RunningPeer> => startGatewayChild({
    workDir: o.workDir,
    ports: { sip: plan.sip, control: plan.control, media: plan.media },
    configure: (loadtestDefault) => {
      const base = o.base ?? { ...loadtestDefault, shutdown: { grace_seconds: 30 } };
      return instanceConfig(o.configure ? o.configure(base) : base, plan, proxy);
    },
    ...(o.agent ? { agent: o.agent } : { forceAgent: false }),
    logLevel: o.logLevel ?? 'info',
    onLogRecord: (rec) => o.onLogRecord?.(plan.id, rec),
  });

  const instances: ClusterInstance[] = [];
  const stopAll = async (): Promise<void> => { await Promise.all(instances.map((i) => i.peer.stop())); };
  const makeInstance = (plan: InstancePlan, peer: RunningPeer): ClusterInstance => {
    const inst: ClusterInstance = {
      plan, peer, uri: `sip:127.0.0.1:${plan.sip}`,
      async kill() {
        if (inst.peer.pid) process.kill(inst.peer.pid, 'SIGKILL');
        await inst.peer.exited;
      },
      async terminate() {
        if (inst.peer.pid) process.kill(inst.peer.pid, 'SIGTERM');
        return (await inst.peer.exited) ?? null;
      },
      async restart() {
        inst.peer = await startInstance(plan);
      },
    };
    return inst;
  };
  // All at once: each takes seconds to load its agents and media workers.
  const started = await Promise.allSettled(plans.map(async (plan) => {
    const inst = makeInstance(plan, await startInstance(plan));
    instances.push(inst);
    return inst;
  }));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await stopAll();
    throw failed.reason;
  }
  instances.sort((x, y) => plans.indexOf(x.plan) - plans.indexOf(y.plan));
  let kamailio: RunningKamailio;
  try {
    kamailio = await startKamailio({ workDir: join(o.workDir), plan: k, instances: plans });
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    kamailio, instances, target: `127.0.0.1:${k.port}`,
    portRanges: [{ min: k.port, max: k.port }, ...plans.flatMap((p) => [p.media, { min: p.sip, max: p.sip }, { min: p.control, max: p.control }])],
    async stop() {
      await kamailio.stop();
      await stopAll();
    },
  };
}
