/**
 * The `trunkgate` command as a user runs it: the built bin (dist/cli.js, what `npm start` and
 * `npx trunkgate` run) in a child process, a real SIPp caller, and the JSON log on its stdout.
 * `npm test` builds dist/ before it runs the suite; run `npm run build` before this file alone.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SCENARIO_DIR } from '../src/loadtest/peers.js';
import { portBound } from '../src/loadtest/ports.js';
import { freePort, freePortRange, sippMediaPort } from './helpers/ports.js';
import { runSipp } from './helpers/sipp.js';
import { BIN, bound, configFile, trunkgate } from './helpers/trunkgate-cli.js';

/** A gateway config on free ports whose only route sends every number to the agent `parrot` (an echo agent). */
async function gatewayConfig(drachtio: 'embedded' | 'external', control: number, sipPort: number): Promise<string> {
  const media = await freePortRange(20);
  return configFile(`sip: { listen: [{ address: 127.0.0.1, port: ${sipPort}, transport: udp }] }
drachtio: { ${drachtio}: { host: 127.0.0.1, port: ${control}, secret: s3cret } }
trunks: [{ name: local, sources: [127.0.0.1/32], codecs: [PCMU], routes: [{ pattern: "*", agent: parrot }] }]
agents: { parrot: { type: echo } }
media: { address: 127.0.0.1, port_min: ${media.min}, port_max: ${media.max}, workers: 0 }
shutdown: { grace_seconds: 2 }
`);
}

/** One SIPp call with 1.5 s of PCMU speech to `sipPort`; returns SIPp's exit code and error trace. */
async function call(sipPort: number): Promise<{ code: number | null; errors: string }> {
  const r = await runSipp({
    args: [`127.0.0.1:${sipPort}`, '-sf', join(SCENARIO_DIR, 'uac-pcmu-caller-hangs-up-expect-200.xml'), '-s', '919876543210',
      '-i', '127.0.0.1', '-p', String(await freePort()), '-mp', String(await sippMediaPort()), '-m', '1', '-d', '1500'],
    cwd: SCENARIO_DIR, timeoutMs: 40_000,
  });
  return { code: r.code, errors: r.errors };
}

const isEvent = (event: string) => (l: Record<string, unknown>): boolean => l.event === event;

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build (npm test does)`);
});

describe('trunkgate start (the built bin)', () => {
  it('--config FILE: answers a SIPp call with the agent the config routes to, logs call_end with RTP both ways, and exits 0 on SIGTERM', async () => {
    const [sipPort, control] = [await freePort(), await freePort()];
    const gw = trunkgate(['start', '--config', await gatewayConfig('embedded', control, sipPort)]);
    await gw.waitForLog((l) => l.msg === 'connected to drachtio server');
    await bound(sipPort, 'udp', gw);
    const r = await call(sipPort);
    expect(r.code, r.errors).toBe(0);
    expect(await gw.waitForLog(isEvent('call_answered'))).toMatchObject({ agent: 'parrot', trunk: 'local', codec: 'PCMU' });
    const end = await gw.waitForLog(isEvent('call_end'));
    expect(end).toMatchObject({ agent: 'parrot', hangupBy: 'caller' });
    expect(end.packetsIn as number).toBeGreaterThan(0);
    expect(end.packetsOut as number).toBeGreaterThan(0);
    gw.proc.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  }, 60_000);

  it('--agent NAME sends every call to that agent instead of the routes\' one', async () => {
    const [sipPort, control] = [await freePort(), await freePort()];
    const gw = trunkgate(['start', '--config', await gatewayConfig('embedded', control, sipPort), '--agent', 'echo']);
    await gw.waitForLog((l) => l.msg === 'connected to drachtio server');
    await bound(sipPort, 'udp', gw);
    const r = await call(sipPort);
    expect(r.code, r.errors).toBe(0);
    expect(await gw.waitForLog(isEvent('call_answered'))).toMatchObject({ agent: 'echo' });
    expect(await gw.waitForLog(isEvent('call_end'))).toMatchObject({ agent: 'echo' });
    gw.proc.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  }, 60_000);

  it('--agent with a name no config or built-in knows exits 2 with a configuration error naming --agent and the agents there are', async () => {
    const [sipPort, control] = [await freePort(), await freePort()];
    const gw = trunkgate(['start', '--config', await gatewayConfig('embedded', control, sipPort), '--agent', 'no-such-agent']);
    expect(await gw.exited).toBe(2);
    expect(gw.stderr()).toContain("--agent: unknown agent 'no-such-agent'");
    const fatal = gw.logs.find((l) => l.level === 60) as { code?: string; issues?: { path: string }[] } | undefined;
    expect(fatal).toMatchObject({ code: 'CONFIG_INVALID', issues: [{ path: '--agent' }] });
    expect(gw.logs.some(isEvent('call_answered'))).toBe(false);
  }, 60_000);
});

describe('trunkgate server + trunkgate start with drachtio.external (the application without the embedded server)', () => {
  it('the gateway connects to the separately running server and answers a SIPp call that reaches the server; both exit 0 on SIGTERM', async () => {
    const [sipPort, control] = [await freePort(), await freePort()];
    // As the README's command line shows it, on free ports.
    const server = trunkgate(['server', '--contact', `sip:127.0.0.1:${sipPort};transport=udp,tcp`, '--port', String(control), '--secret', 's3cret']);
    await bound(control, 'tcp', server);
    await bound(sipPort, 'udp', server);
    const gw = trunkgate(['start', '--config', await gatewayConfig('external', control, sipPort)]);
    await gw.waitForLog((l) => l.msg === 'connected to drachtio server');
    const r = await call(sipPort);
    expect(r.code, r.errors).toBe(0);
    expect(await gw.waitForLog(isEvent('call_answered'))).toMatchObject({ agent: 'parrot' });
    const end = await gw.waitForLog(isEvent('call_end'));
    expect(end.packetsIn as number).toBeGreaterThan(0);
    expect(end.packetsOut as number).toBeGreaterThan(0);
    gw.proc.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    server.proc.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(portBound(control, 'tcp')).toBe(false);
  }, 60_000);
});
