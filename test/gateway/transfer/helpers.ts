import { join } from 'node:path';
import { udpPortFree } from '../../../src/loadtest/ports.js';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp, type SippResult } from '../../helpers/sipp.js';

export const SCENARIOS = join(import.meta.dirname, '../../../sipp-scenarios');
export const TRANSFER_AGENT = join(import.meta.dirname, '../fixtures/transfer-agent.ts');

export interface SippPeer {
  uri: string;
  port: number;
  /** SIPp's media port (-mp): where its RTP is received. */
  mediaPort: number;
  result: Promise<SippResult>;
  kill(): void;
}

/** A SIPp UAS playing the human (a scenario of sipp-scenarios/), listening before anyone dials it. */
export async function startSippHuman(scenario: string, extra: string[] = [], user = 'human'): Promise<SippPeer> {
  const port = await freePort();
  const mp = await sippMediaPort();
  const run = runSipp({ args: ['-sf', join(SCENARIOS, scenario), '-i', '127.0.0.1', '-p', String(port), '-mp', String(mp), '-m', '1', ...extra], cwd: SCENARIOS, timeoutMs: 90_000 });
  const until = Date.now() + 10_000;
  while (await udpPortFree(port) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  return { uri: `sip:${user}@127.0.0.1:${port}`, port, mediaPort: mp, result: run, kill: run.kill };
}

/** The carrier's caller: a SIPp UAC scenario of sipp-scenarios/ against the gateway. */
export async function runSippCaller(scenario: string, gatewayPort: number, extra: string[] = []): Promise<SippResult> {
  const port = await freePort();
  const mp = await sippMediaPort();
  return runSipp({ args: ['-sf', join(SCENARIOS, scenario), `127.0.0.1:${gatewayPort}`, '-s', '919876543210', '-i', '127.0.0.1', '-p', String(port), '-mp', String(mp), '-m', '1', ...extra], cwd: SCENARIOS, timeoutMs: 90_000 });
}
