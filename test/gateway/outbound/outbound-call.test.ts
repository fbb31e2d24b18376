import { mkdtempSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestResponse, parseDigestParams } from '../../../src/digest/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { api, apiConfig } from '../helpers/api.js';
import { startCallbackServer, type CallbackServer } from '../helpers/callback-server.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { ackForNonSuccess, invite, scenario, scenarioFile } from '../helpers/scenarios.js';
import { startSippHuman, type SippPeer } from '../transfer/helpers.js';
import type { CdrRow } from '../../../src/gateway/cdr/store.js';

const TONE_AGENT = join(import.meta.dirname, '../fixtures/tone-agent.ts');

let gw: TestGateway | undefined;
let carrier: SippPeer | undefined;
let callbacks: CallbackServer | undefined;
afterEach(async () => {
  carrier?.kill();
  carrier = undefined;
  await gw?.stop();
  gw = undefined;
  await callbacks?.close();
  callbacks = undefined;
});

/** An RTP packet whose PCMU payload is not silence (0xFF / 0x7F and their neighbours). */
function carriesSound(packet: Buffer): boolean {
  if (packet.length < 12 + 160 || (packet[1]! & 0x7f) !== 0) return false;
  let loud = 0;
  for (let i = 12; i < packet.length; i++) if ((packet[i]! & 0x7f) < 0x70) loud++;
  return loud > 40;
}

/** A CDR database in a fresh folder, and its rows once the gateway that wrote them has stopped. */
function cdrDatabase(): { extra: { cdr: { path: string; instance: string } }; rows(): CdrRow[] } {
  const path = join(mkdtempSync(join(tmpdir(), 'tg-cdr-out-')), 'cdr.sqlite');
  return {
    extra: { cdr: { path, instance: 'outbound' } },
    rows: () => {
      const db = new Database(path, { readonly: true });
      try { return db.prepare('SELECT * FROM cdr').all() as CdrRow[]; } finally { db.close(); }
    },
  };
}

describe('outbound calls through a trunk (POST /v1/calls)', () => {
  it('answers the carrier\'s 407 with the trunk\'s credentials, sends P-Asserted-Identity, puts the agent on the answered call (its audio reaches the carrier) and reports ringing, answered, completed in order', async () => {
    const messages = join(mkdtempSync(join(tmpdir(), 'carrier-')), 'messages.log');
    carrier = await startSippHuman('uas-carrier-407-pai-answer.xml', ['-rtp_echo', '-trace_msg', '-message_file', messages], 'carrier');
    callbacks = await startCallbackServer();
    const cdr = cdrDatabase();
    let soundBack = 0;
    gw = await startTestGateway({
      trunk: { codecs: ['PCMU'], outbound: { proxy: `127.0.0.1:${carrier.port}`, username: 'trunkuser', password: 'trunkpass', from_number: '+14155550100', caller_id_header: 'pai' } },
      agents: { tone: { type: 'module', module: TONE_AGENT } },
      extra: { ...apiConfig, ...cdr.extra },
      // What SIPp sends back (-rtp_echo) is what it received from the agent.
      mediaTap: () => (direction, packet) => { if (direction === 'in' && carriesSound(packet)) soundBack++; },
    });
    const placed = await api(gw, 'POST', '/v1/calls', { to: '+919876543210', trunk: 'test', agent: 'tone', status_callback: callbacks.url });
    expect(placed.status).toBe(202);
    const id = placed.body.id as string;
    expect(placed.body).toMatchObject({ status: 'dialing' });

    const bodies = await callbacks.until('completed');
    expect(bodies.map((b) => b.event)).toEqual(['ringing', 'answered', 'completed']);
    expect(bodies.every((b) => b.id === id)).toBe(true);
    expect(bodies[1]).toMatchObject({ codec: 'PCMU' });
    expect(bodies[2]).toMatchObject({ result: 'hangup', hangup_by: 'agent', reason: 'greeting played' });
    expect((bodies[2]!.duration_ms as number)).toBeGreaterThan(0);

    const sipp = await carrier.result;
    expect(sipp.code, sipp.errors).toBe(0);
    // SIPp checked the credentials' fields; the digest itself is recomputed from its trace (RFC 2617 §3.2.2).
    const retried = readFileSync(messages, 'utf8').split(/\n(?=INVITE sip:)/).find((m) => /^Proxy-Authorization:/im.test(m))!;
    const auth = parseDigestParams(/^Proxy-Authorization:\s*(.+)$/im.exec(retried)![1]!)!;
    expect(auth.response).toBe(digestResponse({ algorithm: 'MD5', username: 'trunkuser', realm: 'carrier.test', password: 'trunkpass', method: 'INVITE', uri: auth.uri!, nonce: auth.nonce! }));
    await gw.waitIdle();
    const end = gw.logs().find((l) => l.event === 'call_end' && l.callId === id)!;
    expect(end).toMatchObject({ direction: 'outbound', answered: true, agent: 'tone', trunk: 'test', hangupBy: 'agent', to: '+919876543210', from: '+14155550100' });
    // One second of tone is 50 packets of 20 ms; SIPp echoed the agent's tone back.
    expect(end.packetsOut as number).toBeGreaterThanOrEqual(50);
    expect(soundBack).toBeGreaterThanOrEqual(25);
    expect(gw.proc.gateway.stats().mediaPortsInUse).toBe(0);

    // Its CDR is an outbound row like an inbound call's (issue 15: the same CDRs in both directions).
    await gw.stop();
    gw = undefined;
    const rows = cdr.rows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      sip_call_id: id, direction: 'outbound', state: 'ended', trunk: 'test', from_number: '+14155550100', to_number: '+919876543210',
      agent: 'tone', codec: 'PCMU', hangup_by: 'agent', hangup_reason: 'greeting played',
    });
    expect(rows[0]!.answer_at).not.toBeNull();
    expect(rows[0]!.packets_out as number).toBeGreaterThanOrEqual(50);
  }, 60_000);

  it('shares the trunk\'s max_calls between directions: with an outbound call up, an inbound INVITE gets 503 and a second outbound call 503 over_capacity', async () => {
    carrier = await startSippHuman('uas-human-agent-echo.xml', ['-rtp_echo'], 'carrier');
    callbacks = await startCallbackServer();
    gw = await startTestGateway({
      trunk: { codecs: ['PCMU'], max_calls: 1, outbound: { proxy: `127.0.0.1:${carrier.port}`, from_number: '+14155550100' } },
      agents: { tone: { type: 'module', module: TONE_AGENT, settings: { stay: true } } },
      extra: apiConfig,
    });
    const placed = await api(gw, 'POST', '/v1/calls', { to: '+919876543210', trunk: 'test', agent: 'tone', status_callback: callbacks.url });
    expect(placed.status).toBe(202);
    await callbacks.until('answered');

    const scn = scenarioFile('uac-expect-503', scenario('uac-expect-503', `${invite()}  <recv response="100" optional="true"/>
  <recv response="503"/>
${ackForNonSuccess(3)}`));
    const inbound = await runSipp({ args: ['-sf', scn, `127.0.0.1:${gw.sipPort}`, '-i', '127.0.0.1', '-p', String(await freePort()), '-mp', String(await sippMediaPort()), '-m', '1'], timeoutMs: 30_000 });
    expect(inbound.code, inbound.errors).toBe(0);
    expect(gw.logs().find((l) => l.event === 'call_refused' && l.reason === 'over_capacity')).toBeDefined();

    const second = await api(gw, 'POST', '/v1/calls', { to: '+919876543211', trunk: 'test', agent: 'tone' });
    expect(second.status).toBe(503);
    expect(second.body.error).toMatchObject({ code: 'over_capacity', field: 'trunk' });
    expect(second.headers.get('retry-after')).toBe('30');

    expect((await api(gw, 'POST', `/v1/calls/${encodeURIComponent(placed.body.id as string)}/hangup`, {})).status).toBe(200);
    const bodies = await callbacks.until('completed');
    expect(bodies.at(-1)).toMatchObject({ result: 'hangup', hangup_by: 'gateway' });
    expect((await carrier.result).code).toBe(0);
    await gw.waitIdle();
  }, 60_000);

  it('gives up after ring_timeout_s with CANCEL (RFC 3261 §9.1): the callback says no_answer and the channel is free again', async () => {
    // Two calls: -m 2 after the helper's -m 1 (SIPp takes the last).
    carrier = await startSippHuman('peers/uas-ring-until-cancel.xml', ['-m', '2'], 'carrier');
    callbacks = await startCallbackServer();
    const cdr = cdrDatabase();
    gw = await startTestGateway({ trunk: { max_calls: 1, outbound: { proxy: `127.0.0.1:${carrier.port}` } }, extra: { ...apiConfig, ...cdr.extra } });
    const placed = await api(gw, 'POST', '/v1/calls', { to: '+919876543210', trunk: 'test', agent: 'echo', ring_timeout_s: 1, status_callback: callbacks.url });
    expect(placed.status).toBe(202);
    const bodies = await callbacks.until('completed');
    expect(bodies.map((b) => b.event)).toEqual(['ringing', 'completed']);
    expect(bodies[1]).toMatchObject({ result: 'no_answer', sip_status: 487 });
    await gw.waitIdle();
    expect(gw.logs().find((l) => l.event === 'call_end' && l.callId === placed.body.id)).toMatchObject({ direction: 'outbound', answered: false, result: 'no_answer' });
    // max_calls 1: the channel the call held is free again (the next call is placed, not refused).
    const next = await api(gw, 'POST', '/v1/calls', { to: '+919876543210', trunk: 'test', agent: 'echo', ring_timeout_s: 1 });
    expect(next.status).toBe(202);
    await gw.waitFor(() => gw!.logs().some((l) => l.event === 'call_end' && l.callId === next.body.id));
    expect((await carrier.result).code).toBe(0);
    await gw.stop();
    gw = undefined;
    // Both unanswered calls have a finished outbound CDR: no answer time, the carrier's 487.
    const rows = cdr.rows();
    expect(rows.map((r) => r.sip_call_id).sort()).toEqual([placed.body.id, next.body.id].sort());
    for (const r of rows) expect(r).toMatchObject({ direction: 'outbound', state: 'ended', answer_at: null, sip_status: 487, to_number: '+919876543210' });
  }, 60_000);
});
