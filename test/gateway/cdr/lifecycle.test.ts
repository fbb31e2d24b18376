/**
 * What a CDR row holds for each way a call goes, with real SIPp calls through the gateway: an
 * answered call the caller ends, a call refused after admission (488, no common codec), and what
 * an INVITE refused at admission leaves (nothing: it never became a call).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { ackForNonSuccess, byeFromCaller, expectAnswer, invite, pause, scenario, scenarioFile } from '../helpers/scenarios.js';
import type { CdrRow } from '../../../src/gateway/cdr/store.js';

let gw: TestGateway | undefined;
afterEach(async () => { await gw?.stop(); gw = undefined; });

async function sipp(scn: string, user?: string): Promise<void> {
  const args = ['-sf', scn, `127.0.0.1:${gw!.sipPort}`, '-i', '127.0.0.1', '-p', String(await freePort()), '-mp', String(await sippMediaPort()), '-m', '1', ...(user ? ['-s', user] : [])];
  const r = await runSipp({ args, timeoutMs: 20_000 });
  expect(r.code, r.errors).toBe(0);
}

/**
 * The rows once the gateway that wrote them has stopped: a call's last write (its call_end figures)
 * is committed at the end of the event-loop turn after the call ended, which a read right after
 * waitIdle() can beat; stop() commits and closes the database.
 */
async function rowsOnceStopped(db: string): Promise<CdrRow[]> {
  await gw?.stop();
  gw = undefined;
  return rows(db);
}

function rows(db: string): CdrRow[] {
  const c = new Database(db, { readonly: true });
  try { return c.prepare('SELECT * FROM cdr').all() as CdrRow[]; } finally { c.close(); }
}

async function gatewayWithCdr(options: Parameters<typeof startTestGateway>[0] = {}): Promise<string> {
  const db = join(mkdtempSync(join(tmpdir(), 'tg-cdr-')), 'cdr.sqlite');
  gw = await startTestGateway({ ...options, extra: { ...options.extra, cdr: { path: db, instance: 'lifecycle' } } });
  return db;
}

const cancel = `  <send>
    <![CDATA[
      CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-3]
      From: sipp <sip:+919000000001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 CANCEL
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
`;

describe('a CDR row through the call', () => {
  it('an answered call the caller ends: invite, answer and end times, numbers, codec, media figures, the call_end record', async () => {
    const db = await gatewayWithCdr();
    await sipp(scenarioFile('uac-cdr', scenario('uac-cdr', `${invite()}${expectAnswer}${pause(600)}${byeFromCaller()}`)), '+919876543210');
    await gw!.waitIdle();
    const end = gw!.logs().find((l) => l.event === 'call_end')!;
    const [r, ...more] = await rowsOnceStopped(db);
    expect(more).toEqual([]);
    expect(r).toMatchObject({
      sip_call_id: end.callId, instance: 'lifecycle', direction: 'inbound', state: 'ended', trunk: 'test', from_number: '+919000000001', to_number: '+919876543210',
      dialled: '+919876543210', agent: 'echo', codec: 'PCMU', hangup_by: 'caller', sip_status: null, packets_in: end.packetsIn, packets_out: end.packetsOut,
      duration_ms: end.durationMs, webhook: null,
    });
    expect(r!.source).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(Date.parse(r!.invite_at)).toBeLessThanOrEqual(Date.parse(r!.answer_at!));
    expect(Date.parse(r!.answer_at!)).toBeLessThanOrEqual(Date.parse(r!.end_at!));
    expect(r!.setup_ms).toBe(Date.parse(r!.answer_at!) - Date.parse(r!.invite_at));
    expect(r!.setup_ms).toBeGreaterThanOrEqual(end.setupMs as number); // call_end counts from media up, the CDR from the INVITE
    expect(r!.hangup_reason).toBe(end.reason);
    expect(JSON.parse(r!.end_record!)).toMatchObject({ event: 'call_end', hangupBy: 'caller', packetsIn: end.packetsIn });
  }, 30_000);

  it('a call refused after admission (488 no common codec): ended, the status and reason, no answer', async () => {
    const db = await gatewayWithCdr();
    await sipp(scenarioFile('uac-cdr-488', scenario('uac-cdr-488', `${invite({ sdpMedia: 'm=audio [media_port] RTP/AVP 18\na=rtpmap:18 G729/8000' })}  <recv response="100" optional="true"/>
  <recv response="488"/>
${ackForNonSuccess(3)}`)));
    await gw!.waitIdle();
    expect(await rowsOnceStopped(db)).toMatchObject([{ state: 'ended', sip_status: 488, hangup_by: 'gateway', hangup_reason: 'no_common_codec', answer_at: null, end_record: null }]);
  }, 30_000);

  it('a call the caller cancels before the answer: ended by the caller, 487, no answer time', async () => {
    const db = await gatewayWithCdr({ agent: 'slow', agents: { slow: { type: 'module', module: fileURLToPath(new URL('../fixtures/slow-start-agent.ts', import.meta.url)), settings: { delay_ms: 3000 } } } });
    await sipp(scenarioFile('uac-cdr-cancel', scenario('uac-cdr-cancel', `${invite()}  <recv response="100" optional="true"/>
  <recv response="180"/>
${cancel}  <recv response="200"/>
  <recv response="487"/>
${ackForNonSuccess(6)}`)));
    await gw!.waitIdle();
    expect(await rowsOnceStopped(db)).toMatchObject([{ state: 'ended', sip_status: 487, hangup_by: 'caller', hangup_reason: 'canceled before answer', answer_at: null, duration_ms: 0 }]);
  }, 30_000);

  it('an INVITE refused at admission (no route for the number) leaves no row: it never became a call', async () => {
    const db = await gatewayWithCdr({ trunk: { routes: [{ pattern: '+9180*', agent: 'echo' }] } });
    await sipp(scenarioFile('uac-cdr-404', scenario('uac-cdr-404', `${invite()}  <recv response="100" optional="true"/>
  <recv response="404"/>
${ackForNonSuccess(3)}`)), '+919876543210');
    await gw!.waitIdle();
    expect(gw!.logs().find((l) => l.event === 'call_refused')).toMatchObject({ reason: 'no_route_for_number' });
    expect(await rowsOnceStopped(db)).toEqual([]);
  }, 30_000);
});
