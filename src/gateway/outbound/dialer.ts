/**
 * Outbound calls: the gateway dials a number through a trunk's carrier and puts an agent on the
 * call once it is answered. The leg is placed as a transfer places a human's (transfer/human-leg.ts:
 * INVITE with our offer, digest answers to 401/407, ring timeout by CANCEL), and once answered it
 * becomes an ordinary Call (app/call.ts) with the same agent start, in-dialog handling, transfers
 * and call_end as an inbound call. The trunk's `max_calls` counts both directions.
 *
 * `place()` returns the call's id (its SIP Call-ID) at once; progress comes through `onProgress`:
 * ringing (first 18x), answered, completed (with the reason), in that order, each at most once.
 */
import { randomUUID } from 'node:crypto';
import type Srf from 'drachtio-srf';
import { callLogger, type Logger } from '../../log.js';
import type { MediaEngine, PacketTap, SdpAnswer } from '../../media/index.js';
import type { CallInfo } from '../../agents/types.js';
import { TrunkgateError } from '../../errors.js';
import { BUILTIN_SETTINGS } from '../../agents/registry.js';
import { BUILTIN_AGENT_NAMES, type TrunkConfig } from '../config/schema.js';
import { normalizeNumber } from '../routing/numbers.js';
import { resolveTarget } from '../transfer/targets.js';
import { placeLeg, type LegAttempt } from '../transfer/human-leg.js';
import { startAgent, type AgentStartDeps } from '../app/agent-start.js';
import { Call, type HangupSide } from '../app/call.js';
import { proxyHost } from './registration.js';
import type { CallRecorder } from '../cdr/recorder.js';

export type OutboundErrorCode = 'OUTBOUND_UNKNOWN_AGENT' | 'OUTBOUND_BAD_AGENT_SETTINGS' | 'OUTBOUND_UNKNOWN_TRUNK' | 'OUTBOUND_NOT_CONFIGURED' | 'OUTBOUND_OVER_CAPACITY' | 'OUTBOUND_SHUTTING_DOWN' | 'OUTBOUND_BAD_NUMBER';

export class OutboundError extends TrunkgateError<OutboundErrorCode> {
  constructor(code: OutboundErrorCode, message: string, readonly field?: string) {
    super(code, message);
  }
}

export interface OutboundRequest {
  /** The number to dial (E.164 with +, national, or tel:). */
  to: string;
  /** Caller ID (default: the trunk's outbound.from_number). */
  from?: string | undefined;
  trunk: string;
  agent: string;
  /** Per-call settings merged over the agent's configured ones. */
  agentSettings?: Record<string, unknown> | undefined;
  /** Ring time, seconds (default: the trunk's outbound.ring_timeout_s). */
  ringTimeoutS?: number | undefined;
  /** Extra headers on the INVITE. */
  headers?: Record<string, string> | undefined;
}

export type OutboundProgress =
  | { event: 'ringing'; status: number }
  | { event: 'answered'; codec: string }
  /** `result`: answered calls say `hangup`; others no_answer, busy, rejected, failed, canceled. */
  | { event: 'completed'; result: string; reason: string; hangupBy?: HangupSide; sipStatus?: number; durationMs: number };

/** An outbound call before it is answered (GET /v1/calls lists these with the live Calls). */
export interface DialingCall {
  id: string;
  trunk: string;
  to: string;
  from: string;
  agent: string;
  state: 'dialing' | 'ringing';
  startedAt: number;
  /** Hang up before the answer: CANCEL. */
  cancel(reason: string): void;
}

/** Who answers a channel request: the trunk's count shared with inbound calls. */
export interface ChannelGate {
  /** Takes one of the trunk's channels, or says why not. */
  acquire(trunk: TrunkConfig): { ok: true } | { ok: false; code: 'OUTBOUND_OVER_CAPACITY' | 'OUTBOUND_SHUTTING_DOWN' };
  /** Gives it back (the call never became a Call; a Call's channel is released when it closes). */
  release(trunk: string): void;
}

export interface DialerDeps {
  srf: Srf;
  engine: MediaEngine;
  log: Logger;
  trunks: readonly TrunkConfig[];
  /** The configured agents (`agents:`), for checking a request's agent and per-call settings. */
  agentDefs: Readonly<Record<string, { type: string; settings: Record<string, unknown> }>>;
  channels: ChannelGate;
  agents: AgentStartDeps;
  tap(callId: string): PacketTap | undefined;
  /** The call is answered and exists: count it (its channel is released when it closes). */
  register(call: Call): void;
  closed(call: Call): void;
  /** The answered dialog: in-dialog requests, and what transfers need to know about the far end. */
  watch(call: Call, dialog: Srf.Dialog, ctx: { trunk: TrunkConfig; carrierAddress: string; callerAllowsRefer: boolean; dialledUri: string }): void;
  /** Setting up begins / ends (the application's pending count, for a graceful stop). */
  pending(delta: 1 | -1): void;
  /** The CDRs (src/gateway/cdr): told of each call from its INVITE. */
  recorder?: Pick<CallRecorder, 'dialing' | 'dialed' | 'notAnswered'> | undefined;
}

/** From / P-Asserted-Identity / Remote-Party-ID for the caller ID, as the trunk's carrier wants. */
export function callerIdHeaders(trunk: TrunkConfig, callerId: string, domain: string): Record<string, string> {
  const user = /^\+?[\w.-]+$/.test(callerId) ? callerId : 'anonymous';
  const uri = `sip:${user}@${domain}`;
  const headers: Record<string, string> = { From: `<${uri}>` };
  const how = trunk.outbound?.caller_id_header ?? 'from';
  // RFC 3325 §9.1: P-Asserted-Identity is the identity the trusted carrier passes on.
  if (how === 'pai') headers['P-Asserted-Identity'] = `<${uri}>`;
  // draft-ietf-sip-privacy-04 §6: party=calling, screened, not private.
  if (how === 'rpid') headers['Remote-Party-ID'] = `<${uri}>;party=calling;screen=yes;privacy=off`;
  return headers;
}

export class OutboundDialer {
  readonly #deps: DialerDeps;
  readonly dialing = new Map<string, DialingCall>();

  constructor(deps: DialerDeps) {
    this.#deps = deps;
  }

  /** Starts the call and returns its id; throws OutboundError when it cannot be placed at all. */
  place(r: OutboundRequest, onProgress: (p: OutboundProgress) => void = () => undefined): { id: string } {
    const trunk = this.#deps.trunks.find((t) => t.name === r.trunk);
    if (!trunk) throw new OutboundError('OUTBOUND_UNKNOWN_TRUNK', `no trunk named '${r.trunk}' (trunks: ${this.#deps.trunks.map((t) => t.name).join(', ')})`, 'trunk');
    const outbound = trunk.outbound;
    if (!outbound) throw new OutboundError('OUTBOUND_NOT_CONFIGURED', `trunk '${trunk.name}' has no outbound settings (outbound: { proxy })`, 'trunk');
    this.#checkAgent(r.agent, r.agentSettings);
    const digits = r.to.replace(/^tel:/i, '');
    const dialled = normalizeNumber(digits, { countryCode: trunk.country_code, nationalPrefix: trunk.national_prefix });
    if (!/^\d{3,20}$/.test(dialled)) throw new OutboundError('OUTBOUND_BAD_NUMBER', `'${r.to}' is not a phone number`, 'to');
    const callerId = r.from ?? outbound.from_number ?? 'anonymous';
    const id = `${randomUUID()}@trunkgate`;
    const log = callLogger(this.#deps.log, id, { direction: 'outbound', trunk: trunk.name });
    // The same resolution as a transfer to a number: the carrier's URI form, proxy and credentials.
    const target = resolveTarget(digits, { config: { transfer_targets: {} }, trunk, callerNumber: callerId, carrierAddress: proxyHost(outbound.proxy) });
    const gate = this.#deps.channels.acquire(trunk);
    if (!gate.ok) {
      log.info({ event: 'call_refused', reason: gate.code === 'OUTBOUND_OVER_CAPACITY' ? 'over_capacity' : 'shutting_down', maxCalls: trunk.max_calls }, 'outbound call refused');
      throw new OutboundError(gate.code, gate.code === 'OUTBOUND_OVER_CAPACITY'
        ? `trunk '${trunk.name}' is full (max_calls ${trunk.max_calls}, counting both directions)`
        : 'the gateway is shutting down', 'trunk');
    }
    const domain = proxyHost(outbound.proxy).replace(/:\d+$/, '');
    const headers = { ...callerIdHeaders(trunk, callerId, domain), 'Call-ID': id, ...r.headers };
    const started = Date.now();
    let progressed: OutboundProgress['event'] | undefined;
    const emit = (p: OutboundProgress): void => {
      const order = ['ringing', 'answered', 'completed'];
      if (progressed && order.indexOf(p.event) <= order.indexOf(progressed)) return;
      progressed = p.event;
      try { onProgress(p); } catch (err) { log.warn({ err }, 'outbound progress listener threw'); }
    };
    const dialing: DialingCall = { id, trunk: trunk.name, to: target.inviteUri, from: callerId, agent: r.agent, state: 'dialing', startedAt: started, cancel: (reason) => attempt.cancel(reason) };
    log.info({ event: 'outbound_dialing', to: target.inviteUri, from: callerId, agent: r.agent, proxy: target.proxy }, 'placing an outbound call');
    const attempt: LegAttempt = placeLeg(this.#deps.srf, this.#deps.engine, {
      uri: target.inviteUri, proxy: target.proxy, auth: target.auth, headers,
      codecs: trunk.codecs, timeoutSec: r.ringTimeoutS ?? outbound.ring_timeout_s, log, id, tap: this.#deps.tap(id), sourceCheck: trunk.rtp_source,
      onProgress: (status) => {
        if (status < 180) return;
        dialing.state = 'ringing';
        emit({ event: 'ringing', status });
      },
    });
    this.dialing.set(id, dialing);
    this.#deps.recorder?.dialing({ callId: id, trunk: trunk.name, from: callerId, to: dialling(target.inviteUri, dialled).e164, dialled: r.to, agent: r.agent, proxy: target.proxy ?? outbound.proxy });
    this.#deps.pending(1);
    void this.#run(r, trunk, dialling(target.inviteUri, dialled), attempt, log, id, callerId, started, emit).finally(() => {
      this.dialing.delete(id);
      this.#deps.pending(-1);
    });
    return { id };
  }

  /** An agent the gateway has, and per-call settings its type accepts (the config's own checks). */
  #checkAgent(name: string, overrides: Record<string, unknown> | undefined): void {
    const def = this.#deps.agentDefs[name];
    if (!def && !BUILTIN_AGENT_NAMES.includes(name)) {
      throw new OutboundError('OUTBOUND_UNKNOWN_AGENT', `no agent named '${name}' (agents: ${[...Object.keys(this.#deps.agentDefs), ...BUILTIN_AGENT_NAMES].join(', ')})`, 'agent');
    }
    const check = def ? BUILTIN_SETTINGS[def.type] : undefined;
    if (!check || !overrides) return;
    try {
      check({ ...def!.settings, ...overrides });
    } catch (err) {
      throw new OutboundError('OUTBOUND_BAD_AGENT_SETTINGS', `agent_settings: ${(err as Error).message}`, 'agent_settings');
    }
  }

  async #run(r: OutboundRequest, trunk: TrunkConfig, to: { uri: string; e164: string; digits: string }, attempt: LegAttempt, log: Logger, id: string, callerId: string, started: number,
    emit: (p: OutboundProgress) => void): Promise<void> {
    const outcome = await attempt.outcome;
    if (!outcome.ok) {
      this.#deps.channels.release(trunk.name);
      log.info({
        event: 'call_end', direction: 'outbound', answered: false, sipStatus: outcome.sipStatus, trunk: trunk.name, agent: r.agent, from: callerId, to: to.e164,
        durationMs: 0, hangupBy: outcome.result === 'canceled' ? 'gateway' : 'caller', reason: outcome.reason, result: outcome.result,
      }, 'outbound call not answered');
      this.#deps.recorder?.notAnswered(id, { sipStatus: outcome.sipStatus, by: outcome.result === 'canceled' ? 'gateway' : 'caller', reason: outcome.reason });
      emit({ event: 'completed', result: outcome.result, reason: outcome.reason, ...(outcome.sipStatus ? { sipStatus: outcome.sipStatus } : {}), durationMs: 0 });
      return;
    }
    const { leg, offer } = outcome;
    const media: SdpAnswer = { ...leg.session.negotiated, sdp: offer.sdp, origin: offer.origin };
    const info: CallInfo = {
      from: callerId, fromUri: `sip:${callerId}@trunkgate`, to: to.e164, dialled: r.to, toUri: to.uri, trunk: trunk.name, callId: id,
      codec: { name: media.codec.name, clockRate: media.codec.clockRate },
      customParameters: { ...trunk.custom_parameters, direction: 'outbound' },
    };
    const call = new Call({ info, log, caller: { dialog: leg.dialog, session: leg.session, media }, target: r.agent }, (c) => this.#deps.closed(c));
    call.endFields.direction = 'outbound';
    leg.session.once('close', (reason) => {
      if (call.ended || call.mediaOffloaded) return;
      call.log.error({ event: 'media_lost', reason }, 'media session ended during the call: hanging up');
      void call.end('gateway', `media ended: ${reason}`);
    });
    this.#deps.register(call);
    // From here on it is one of the gateway's calls (listed once, as answered), no longer being dialled.
    this.dialing.delete(id);
    call.answeredAt = Date.now();
    this.#deps.recorder?.dialed(id, call);
    call.to('answered');
    call.onState((s) => {
      if (s !== 'ended') return;
      const end = call.endedBy;
      emit({ event: 'completed', result: 'hangup', reason: end?.reason ?? 'ended', ...(end ? { hangupBy: end.by } : {}), durationMs: Date.now() - call.answeredAt! });
    });
    log.info({ event: 'call_answered', direction: 'outbound', trunk: trunk.name, agent: r.agent, codec: media.codec.name, ptime: media.ptime, from: callerId, to: to.e164, setupMs: call.answeredAt - started }, 'outbound call answered');
    emit({ event: 'answered', codec: media.codec.name });
    const allow = (leg.dialog as unknown as { res?: { get(h: string): string | undefined } }).res?.get('Allow') ?? '';
    this.#deps.watch(call, leg.dialog, { trunk, carrierAddress: proxyHost(trunk.outbound!.proxy), callerAllowsRefer: /\bREFER\b/i.test(allow), dialledUri: to.uri });
    try {
      await startAgent(call, r.agent, (by, reason) => call.end(by, reason), this.#deps.agents, r.agentSettings);
    } catch (err) {
      if (!call.ended) {
        log.error({ event: 'agent_failed', err, agent: r.agent }, 'agent failed: ending the call');
        await call.end('gateway', `agent failed: ${(err as Error)?.message ?? String(err)}`);
      }
    }
  }
}

/** The dialled number as the agent sees it: E.164 with '+' when the Request-URI's user has it. */
function dialling(uri: string, digits: string): { uri: string; e164: string; digits: string } {
  const user = /^sips?:([^@;]+)@/i.exec(uri)?.[1] ?? digits;
  return { uri, e164: user, digits };
}
