/**
 * How createGatewayMetrics classifies what the GatewayApp observer reports: one outcome per
 * INVITE (a call refused after it started is counted once, as its refusal), the active gauge
 * back to 0 on the series the call was counted on, gateway hang-ups by cause, transfers, agent
 * errors and the SIP tap's label bounds. The SIPp test beside it compares a real scrape.
 */
import { describe, expect, it } from 'vitest';
import type { Call } from '../../../src/gateway/app/call.js';
import type { CallEndRecord } from '../../../src/gateway/app/observer.js';
import { createGatewayMetrics } from '../../../src/gateway/metrics/gateway-metrics.js';

function call(o: { trunk?: string; outbound?: boolean; transfers?: { method: string; result: string }[] } = {}): Call {
  return { info: { trunk: o.trunk ?? 't' }, target: 'bot', transfers: o.transfers ?? [], endFields: o.outbound ? { direction: 'outbound' } : {} } as unknown as Call;
}

function end(over: Partial<CallEndRecord> = {}): CallEndRecord {
  return { event: 'call_end', trunk: 't', answered: true, durationMs: 2000, setupMs: 100, hangupBy: 'caller', reason: 'bye', packetsIn: 100, packetsOut: 90, packetsLost: 2, lateFrames: 1, jitterMs: 3, ...over };
}

async function value(text: Promise<string>, line: RegExp): Promise<number> {
  const m = new RegExp(`^${line.source} (\\S+)$`, 'm').exec(await text);
  return m ? Number(m[1]) : 0;
}

describe('createGatewayMetrics()', () => {
  it('counts each INVITE once: completed, canceled, unanswered, and a refusal after the call started only as its refusal', async () => {
    const m = createGatewayMetrics({ defaultMetrics: false });
    const o = m.observer;
    const calls = [call(), call(), call(), call()];
    for (const c of calls) o.callStarted!(c);
    o.callEnded!(calls[0]!, end());
    o.callEnded!(calls[1]!, end({ answered: false, durationMs: 0, setupMs: undefined, sipStatus: 487 }));
    o.callEnded!(calls[2]!, end({ answered: false, durationMs: 0, setupMs: undefined }));
    o.callRefused!({ callId: 'x', trunk: 't', reason: 'agent_failed', status: 500, agent: 'bot' });
    o.callEnded!(calls[3]!, end({ answered: false, durationMs: 0, setupMs: undefined, sipStatus: 500, hangupBy: 'gateway', reason: 'agent failed to start: x' }));
    const text = m.registry.metrics();
    const outcome = (x: string): Promise<number> => value(text, new RegExp(`trunkgate_calls_total\\{trunk="t",direction="inbound",outcome="${x}"\\}`));
    expect([await outcome('completed'), await outcome('canceled'), await outcome('unanswered'), await outcome('agent_failed')]).toEqual([1, 1, 1, 1]);
    expect(await value(text, /trunkgate_calls_active\{trunk="t",direction="inbound"\}/)).toBe(0);
    expect(await value(text, /trunkgate_agent_errors_total\{agent="bot"\}/)).toBe(1);
    expect(await value(text, /trunkgate_call_duration_seconds_count\{trunk="t",direction="inbound"\}/)).toBe(1);
  });

  it('the active gauge goes back to 0 on the series the call was counted on; outbound calls are labelled outbound', async () => {
    const m = createGatewayMetrics({ defaultMetrics: false });
    const out = call({ outbound: true });
    m.observer.callStarted!(out);
    expect(await value(m.registry.metrics(), /trunkgate_calls_active\{trunk="t",direction="outbound"\}/)).toBe(1);
    m.observer.callEnded!(out, end());
    const text = m.registry.metrics();
    expect(await value(text, /trunkgate_calls_active\{trunk="t",direction="outbound"\}/)).toBe(0);
    expect(await value(text, /trunkgate_calls_total\{trunk="t",direction="outbound",outcome="completed"\}/)).toBe(1);
  });

  it('gateway hang-ups by endCause, transfers by method and result, RTP sums over both legs', async () => {
    const m = createGatewayMetrics({ defaultMetrics: false });
    const c = call({ transfers: [{ method: 'bridge', result: 'busy' }, { method: 'bridge', result: 'transferred' }] });
    m.observer.callStarted!(c);
    m.observer.callEnded!(c, end({ hangupBy: 'gateway', endCause: 'human_rtp_timeout', human: { packetsIn: 50, packetsOut: 40, packetsLost: 1, lateFrames: 0 } }));
    const text = m.registry.metrics();
    expect(await value(text, /trunkgate_gateway_hangups_total\{cause="human_rtp_timeout"\}/)).toBe(1);
    expect(await value(text, /trunkgate_transfers_total\{method="bridge",result="busy"\}/)).toBe(1);
    expect(await value(text, /trunkgate_transfers_total\{method="bridge",result="transferred"\}/)).toBe(1);
    expect(await value(text, /trunkgate_rtp_packets_total\{direction="in"\}/)).toBe(150);
    expect(await value(text, /trunkgate_rtp_packets_lost_total/)).toBe(3);
  });

  it('SIP messages: unknown methods count as OTHER and impossible statuses as invalid (bounded label values)', async () => {
    const m = createGatewayMetrics({ defaultMetrics: false });
    m.sipMessage('in', 'INVITE');
    m.sipMessage('in', 'INVITE');
    m.sipMessage('in', 'XYZZY');
    m.sipMessage('out', 'INVITE', 200);
    m.sipMessage('out', 'INVITE', 999);
    const text = m.registry.metrics();
    expect(await value(text, /trunkgate_sip_messages_total\{direction="in",method="INVITE",status=""\}/)).toBe(2);
    expect(await value(text, /trunkgate_sip_messages_total\{direction="in",method="OTHER",status=""\}/)).toBe(1);
    expect(await value(text, /trunkgate_sip_messages_total\{direction="out",method="INVITE",status="200"\}/)).toBe(1);
    expect(await value(text, /trunkgate_sip_messages_total\{direction="out",method="INVITE",status="invalid"\}/)).toBe(1);
  });
});
