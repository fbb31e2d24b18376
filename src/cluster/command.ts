/**
 * `trunkgate cluster --instances N`: Kamailio's dispatcher on 127.0.0.1:PORT in front of N gateway
 * instances, each with a config generated from one base file (its own SIP port PORT+i, control port PORT+100+i,
 * media range, instance id tg-i, Kamailio as its trusted proxy). Runs until SIGINT/SIGTERM,
 * then stops Kamailio and drains the instances. Instance log lines go to stdout (each names its
 * instance); the generated files stay in the work directory.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import type { Logger } from '../log.js';
import { REPO_ROOT } from '../loadtest/peers.js';
import { startCluster } from './run.js';

export interface ClusterCommandOptions {
  instances: number;
  port: number;
  config: string;
  workDir: string;
  agent?: string;
}

export function parseClusterArgs(argv: string[]): ClusterCommandOptions {
  const { values } = parseArgs({
    args: argv, strict: true,
    options: { instances: { type: 'string', default: '2' }, port: { type: 'string', default: '5060' }, config: { type: 'string' }, 'work-dir': { type: 'string' }, agent: { type: 'string' } },
  });
  const instances = Number(values.instances);
  const port = Number(values.port);
  if (!Number.isInteger(instances) || instances < 1 || instances > 32) throw new Error('--instances must be a whole number from 1 to 32');
  if (!Number.isInteger(port) || port < 1024 || port + instances > 65535) throw new Error('--port must leave room for the instances above it (1024–65535)');
  return {
    instances, port,
    config: resolve(values.config ?? join(REPO_ROOT, 'sip-configs', 'default.yaml')),
    workDir: resolve(values['work-dir'] ?? mkdtempSync(join(tmpdir(), 'trunkgate-cluster-'))),
    ...(values.agent ? { agent: values.agent } : {}),
  };
}

export async function clusterMain(argv: string[], logger: Logger): Promise<number> {
  let opts: ClusterCommandOptions;
  try {
    opts = parseClusterArgs(argv);
  } catch (err) {
    process.stderr.write(`trunkgate cluster: ${(err as Error).message}\n`);
    return 2;
  }
  let signalled: (s: string) => void = () => undefined;
  const signal = new Promise<string>((r) => { signalled = r; });
  process.once('SIGINT', signalled);
  process.once('SIGTERM', signalled);
  const base = parseYaml(readFileSync(opts.config, 'utf8')) as Record<string, unknown>;
  const cluster = await startCluster({
    instances: opts.instances, workDir: opts.workDir, base, basePort: opts.port,
    ...(opts.agent ? { agent: opts.agent } : {}),
    onLogRecord: (_instance, rec) => { process.stdout.write(`${JSON.stringify(rec)}\n`); },
  });
  logger.info({
    event: 'cluster_started', kamailio: cluster.target, workDir: opts.workDir,
    instances: cluster.instances.map((i) => ({ id: i.plan.id, sip: `127.0.0.1:${i.plan.sip}`, media: `${i.plan.media.min}-${i.plan.media.max}` })),
  }, `Kamailio on ${cluster.target} dispatching to ${cluster.instances.length} trunkgate instances (generated files in ${opts.workDir})`);
  const received = await signal;
  logger.info({ signal: received }, 'stopping the cluster: Kamailio, then the instances drain');
  await cluster.stop();
  return 0;
}
