/** A live call as the REST API shows it (GET /v1/calls): an answered Call, or an outbound call still dialing. */
import type { Call } from '../app/call.js';
import type { DialingCall } from '../outbound/dialer.js';
import type { CallView } from './schemas.js';

const iso = (ms: number): string => new Date(ms).toISOString();

export function viewOfCall(call: Call, now = Date.now()): CallView {
  const stats = call.mediaOffloaded ? undefined : call.session.stats();
  return {
    id: call.info.callId,
    direction: call.endFields.direction === 'outbound' ? 'outbound' : 'inbound',
    state: call.state,
    trunk: call.info.trunk,
    from: call.info.from,
    to: call.info.to,
    agent: call.target,
    codec: call.caller.media.codec.name,
    started_at: iso(call.startedAt),
    answered_at: call.answeredAt === undefined ? null : iso(call.answeredAt),
    duration_ms: call.answeredAt === undefined ? 0 : Math.max(0, now - call.answeredAt),
    media: stats ? {
      packets_in: stats.packetsIn, packets_out: stats.packetsOut, packets_lost: stats.packetsLost,
      jitter_ms: Math.round(stats.jitterMs * 10) / 10, late_frames: stats.lateFrames, dtmf_in: stats.dtmfIn,
      ...(stats.rttMs !== undefined ? { rtt_ms: Math.round(stats.rttMs * 10) / 10 } : {}),
    } : null,
    transfers: call.transfers.length,
  };
}

export function viewOfDialing(d: DialingCall): CallView {
  return {
    id: d.id, direction: 'outbound', state: d.state, trunk: d.trunk, from: d.from, to: d.to, agent: d.agent, codec: null,
    started_at: iso(d.startedAt), answered_at: null, duration_ms: 0, media: null, transfers: 0,
  };
}
