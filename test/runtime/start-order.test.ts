/**
 * Issue 19: `trunkgate start` opens SIP only once its application is connected and routing, so a
 * caller that dials the moment the process starts is answered by the gateway, never refused with
 * the 503 the embedded server gives while no application routes a method. The caller sends a new
 * OPTIONS every 10 ms from the moment the process is spawned (a request a closed port drops, as
 * UDP does) and collects every answer.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startChild } from '../../src/loadtest/child.js';
import { loadtestGatewayConfig, REPO_ROOT } from '../../src/loadtest/peers.js';
import { GATEWAY_NODE_FLAGS } from '../../src/runtime/node-flags.js';
import { freePort, freePortRange } from '../helpers/ports.js';

const workDir = mkdtempSync(join(tmpdir(), 'start-order-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function options(n: number, target: number, local: number): Buffer {
  return Buffer.from([
    `OPTIONS sip:keepalive@127.0.0.1:${target} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-start-${n};rport`,
    'Max-Forwards: 70',
    `From: <sip:carrier@127.0.0.1:${local}>;tag=s${n}`,
    `To: <sip:keepalive@127.0.0.1:${target}>`,
    `Call-ID: start-order-${n}@127.0.0.1`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '', '',
  ].join('\r\n'));
}

describe('trunkgate start: the start-up order (issue 19)', () => {
  it('answers a caller who dials the moment the process starts with the gateway\'s answer, not a 503', async () => {
    const sipPort = await freePort();
    const controlPort = await freePort();
    const media = await freePortRange(8);
    const configPath = join(workDir, 'gateway.yaml');
    writeFileSync(configPath, stringify(loadtestGatewayConfig({ sipPort, controlPort, media, agent: 'echo', logLevel: 'info' })));

    const caller = createSocket('udp4');
    await new Promise<void>((r) => caller.bind(0, '127.0.0.1', () => r()));
    const local = caller.address().port;
    const answers = new Map<string, number>();
    const waiting = new Map<string, () => void>();
    let firstAnswer: () => void = () => undefined;
    const answered = new Promise<void>((r) => { firstAnswer = r; });
    caller.on('message', (m) => {
      const text = m.toString('latin1');
      const status = /^SIP\/2\.0 (\d{3})/.exec(text);
      const callId = /\r\nCall-ID: *([^\r]+)/i.exec(text)?.[1];
      if (!status || !callId) return;
      answers.set(callId, Number(status[1]));
      firstAnswer();
      waiting.get(callId)?.();
    });

    const entry = join(REPO_ROOT, 'src/runtime/start-command.ts');
    const child = startChild(process.execPath, [...GATEWAY_NODE_FLAGS, '--import', 'tsx', entry, '--config', configPath], { name: 'gateway', cwd: REPO_ROOT });
    let n = 0;
    const dial = setInterval(() => caller.send(options(n++, sipPort, local), sipPort, '127.0.0.1'), 10);
    try {
      const exited = child.exited.then((code) => { throw new Error(`gateway exited (${code}): ${child.stderrTail().slice(-800)}`); });
      await Promise.race([answered, exited]);
      clearInterval(dial);
      // One more request, and its own answer: those sent before it have been answered by then.
      const last = n++;
      const lastAnswered = new Promise<void>((r) => waiting.set(`start-order-${last}@127.0.0.1`, r));
      caller.send(options(last, sipPort, local), sipPort, '127.0.0.1');
      await Promise.race([lastAnswered, exited]);
    } finally {
      clearInterval(dial);
      await child.stop();
      caller.close();
    }
    // It dialled before SIP was open (those requests met a closed port and were dropped).
    expect(answers.size).toBeLessThan(n);
    expect([...answers.values()].filter((s) => s !== 200)).toEqual([]);
  }, 60_000);
});
