/**
 * Blind transfer by REFER (RFC 3515) through the whole gateway: the carrier is a real SIPp UAC that
 * calls in and then plays the REFER recipient as each scenario in sipp-scenarios/ says; the agent is
 * test/gateway/fixtures/transfer-agent.ts, which calls `io.transfer(target)` and logs the outcome;
 * the human, where a fall-back bridge needs one, is a SIPp UAS. Every wait is for a named message:
 * SIPp's exit, or a log line carrying the call's Call-ID.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp, type SippResult } from '../../helpers/sipp.js';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from '../helpers/gateway.js';

const SCENARIOS = fileURLToPath(new URL('../../../sipp-scenarios/', import.meta.url));
const AGENT = fileURLToPath(new URL('../fixtures/transfer-agent.ts', import.meta.url));

let gw: TestGateway | undefined;
const peers: (Promise<SippResult> & { kill(): void })[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.kill();
  await gw?.stop();
  gw = undefined;
});

type Log = Record<string, unknown>;

interface Setup {
  transfer: Record<string, unknown>;
  settings?: Record<string, unknown>;
  trunk?: Record<string, unknown>;
  extra?: TestGatewayOptions['extra'];
}

async function gateway(s: Setup): Promise<TestGateway> {
  gw = await startTestGateway({
    agent: 'xfer',
    agents: { xfer: { type: 'module', module: AGENT, settings: { target: 'sip:human@127.0.0.1:5999', after_ms: 300, ...s.settings } } },
    trunk: { transfer: s.transfer, ...s.trunk },
    ...(s.extra ? { extra: s.extra } : {}),
  });
  return gw;
}

/** The carrier: a SIPp UAC running one of sipp-scenarios/ against the gateway. */
async function carrier(g: TestGateway, scenario: string, extra: string[] = []): Promise<SippResult> {
  const port = await freePort();
  const media = await sippMediaPort();
  return runSipp({
    args: ['-sf', join(SCENARIOS, scenario), `127.0.0.1:${g.sipPort}`, '-s', '15551234567', '-i', '127.0.0.1', '-p', String(port), '-mp', String(media), '-m', '1', ...extra],
    cwd: SCENARIOS, timeoutMs: 60_000,
  });
}

/** The human: a SIPp UAS on its own port; resolves with its result when its one call is over. */
async function human(args: string[]): Promise<{ uri: string; done: Promise<SippResult> }> {
  const port = await freePort();
  const media = await sippMediaPort();
  const done = runSipp({ args: [...args, '-i', '127.0.0.1', '-p', String(port), '-mp', String(media), '-m', '1'], cwd: SCENARIOS, timeoutMs: 60_000 });
  peers.push(done);
  return { uri: `sip:human@127.0.0.1:${port}`, done };
}

/** The one call's Call-ID (each test places one call). */
function callIdOf(g: TestGateway): string | undefined {
  return g.logs().find((l) => l.event === 'call_answered')?.callId as string | undefined;
}

/** The call's `test_transfer_outcome`, `transfer` and `call_end` lines, once all three are logged. */
async function outcomeOf(g: TestGateway): Promise<{ agent: Log; transfer: Log; end: Log; callId: string }> {
  const find = (event: string): Log | undefined => {
    const callId = callIdOf(g);
    return callId === undefined ? undefined : g.logs().find((l) => l.event === event && l.callId === callId);
  };
  await g.waitFor(() => ['test_transfer_outcome', 'transfer', 'call_end'].every((e) => find(e) !== undefined), 30_000);
  const transfers = g.logs().filter((l) => l.event === 'transfer' && l.callId === callIdOf(g));
  expect(transfers, 'one transfer event per transfer').toHaveLength(1);
  return { agent: find('test_transfer_outcome')!, transfer: find('transfer')!, end: find('call_end')!, callId: callIdOf(g)! };
}

describe('blind transfer by REFER (RFC 3515)', () => {
  it('a carrier that honours the REFER (202, NOTIFY 100 active, NOTIFY 200 terminated): transferred by refer, and the gateway BYEs the caller', async () => {
    const g = await gateway({ transfer: { method: 'refer', refer_timeout_s: 10 } });
    const r = await carrier(g, 'uac-accept-refer-expect-bye.xml');
    expect(r.code, r.errors).toBe(0);
    const o = await outcomeOf(g);
    expect(o.agent).toMatchObject({ result: 'transferred', method: 'refer', sipStatus: 200 });
    expect(o.transfer).toMatchObject({ result: 'transferred', method: 'refer' });
    expect(o.end).toMatchObject({ hangupBy: 'gateway', transfer: { result: 'transferred', method: 'refer' } });
    await g.waitIdle();
    expect(g.proc.gateway.stats()).toMatchObject({ activeCalls: 0, mediaPortsInUse: 0 });
  }, 60_000);
});
