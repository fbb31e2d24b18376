/**
 * The gateway application on drachtio-srf. It speaks SIP only through Srf, so it runs unchanged
 * against the embedded server or a real drachtio-server.
 *
 * INVITE → trunk by source address → digest (if the trunk has credentials) → route by number →
 * capacity → SDP answer (488 if no common codec) → 180/183 → MediaSession → agent → 200 OK.
 */
import Srf from 'drachtio-srf';
import { Counter, Gauge, Registry } from 'prom-client';
import { callLogger, type Logger } from '../../log.js';
import { PortAllocator, PortExhaustedError, type NegotiatedMedia, type PacketTap, type PortLease, type SdpAnswer, type SdpOffer } from '../../media/index.js';
import { applyAnswer, createOffer, negotiateAnswer } from '../../media/sdp/negotiate.js';
import { NoCommonCodecError, SdpError } from '../../media/sdp/errors.js';
import type { MediaSession } from '../../media/session/types.js';
import { setDatagramIoMode } from '../../media/udp/index.js';
import { createMediaSessionFactory, type MediaSessionFactory } from '../../media/worker/factory.js';
import type { Agent, CallInfo } from '../../agents/types.js';
import { BUILTIN_AGENTS, resolveAgent, type ResolvedAgent } from '../../agents/registry.js';
import { loadDemoPrompts } from '../../agents/builtin/demo.js';
import { userOf } from '../routing/numbers.js';
import { DigestServer } from '../auth/digest.js';
import type { GatewayConfig, TrunkConfig } from '../config/schema.js';
import { isRefusal, Router } from '../routing/router.js';
import { createAgentIO } from './agent-io.js';
import { Call, type HangupSide } from './call.js';
import { decideSessionTimer, SessionTimer, type SessionTimerConfig, type SessionTimerDecision } from './session-timer.js';

export interface GatewayAppOptions {
  config: GatewayConfig;
  /** Folder custom agent module paths are resolved against (the config file's folder). */
  baseDir: string;
  logger: Logger;
  /** Route every call to this agent instead of the configured one. */
  agentOverride?: string | undefined;
  registry?: Registry;
  /** Packet tap per call (tests, recording): every RTP/RTCP datagram in and out. */
  mediaTap?: ((callId: string) => PacketTap | undefined) | undefined;
  /** Where MediaSessions are made (default: from `media.workers`; one the caller passes is not closed by stop()). */
  mediaSessions?: MediaSessionFactory | undefined;
}

export interface GatewayStats {
  activeCalls: number;
  /** INVITEs being set up (not answered yet). */
  pendingCalls: number;
  mediaPortsInUse: number;
  callsTotal: number;
  draining: boolean;
}

export type RejectReason =
  | 'no_trunk_for_source' | 'auth_required' | 'auth_failed' | 'no_route_for_number' | 'over_capacity'
  | 'shutting_down' | 'no_common_codec' | 'bad_sdp' | 'no_sdp' | 'media_ports_exhausted'
  | 'session_interval_too_small' | 'agent_failed' | 'media_port_unavailable' | 'setup_failed' | 'canceled';

/** The media session could not open its RTP/RTCP sockets (the leased port is held by another process). */
class MediaSocketError extends Error {
  readonly code = 'MEDIA_SOCKET_FAILED';
  constructor(readonly port: number, override readonly cause: unknown) {
    super(`RTP port ${port} could not be opened: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'MediaSocketError';
  }
}

/** What the agent is told about a call (start()). */
function callInfo(req: Srf.SrfRequest, trunk: TrunkConfig, dialled: string, codec: { name: CallInfo['codec']['name']; clockRate: number }): CallInfo {
  const from = req.getParsedHeader('From').uri;
  return {
    from: userOf(from), fromUri: from, to: dialled, toUri: req.uri, trunk: trunk.name, callId: req.get('Call-ID'),
    codec: { name: codec.name, clockRate: codec.clockRate },
    customParameters: { ...trunk.custom_parameters },
  };
}

/** The agent's scalar settings ride in customParameters too (what a websocket bot sees); the trunk's values win. */
function addAgentSettings(info: CallInfo, settings: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(settings)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') info.customParameters[k] ??= String(v);
  }
}

const RETRY_AFTER_SECONDS = '30';

export class GatewayApp {
  readonly srf: Srf;
  readonly calls = new Map<string, Call>();
  readonly registry: Registry;
  readonly #cfg: GatewayConfig;
  readonly #log: Logger;
  readonly #router: Router;
  readonly #ports: PortAllocator;
  /** Where this gateway's MediaSessions run (worker pool or this thread). */
  readonly mediaSessions: MediaSessionFactory;
  readonly #ownsMedia: boolean;
  readonly #auth = new Map<string, DigestServer>();
  readonly #agents = new Map<string, ResolvedAgent>();
  readonly #perTrunk = new Map<string, number>();
  readonly #timers: SessionTimerConfig;
  readonly #opts: GatewayAppOptions;
  readonly #callsCounter: Counter<'trunk' | 'result'>;
  readonly #activeGauge: Gauge;
  #pending = 0;
  #callsTotal = 0;
  #draining = false;
  #idleWaiters: (() => void)[] = [];

  constructor(options: GatewayAppOptions) {
    this.#opts = options;
    this.#cfg = options.config;
    this.#log = options.logger;
    this.#router = new Router(options.config);
    this.#ports = new PortAllocator({ min: options.config.media.port_min, max: options.config.media.port_max });
    // MediaSessions run on worker threads (media.workers, default one per core) or in this thread.
    this.#ownsMedia = !options.mediaSessions;
    // Throws (DatagramIoError) when media.udp is 'native' and the addon is not built: a start error, not a call error.
    const udp = setDatagramIoMode(options.config.media.udp);
    this.mediaSessions = options.mediaSessions ?? createMediaSessionFactory({ workers: options.config.media.workers, logger: options.logger, nice: options.config.media.worker_nice });
    this.#log.info({ mediaWorkers: this.mediaSessions.workers, mediaUdp: udp.kind }, this.mediaSessions.workers > 0 ? `media sessions on ${this.mediaSessions.workers} worker threads` : 'media sessions in the main thread');
    this.#timers = { enabled: options.config.session_timers.enabled, sessionExpires: options.config.session_timers.session_expires, minSe: options.config.session_timers.min_se };
    for (const t of options.config.trunks) {
      if (t.auth) this.#auth.set(t.name, new DigestServer({ username: t.auth.username, password: t.auth.password, realm: t.auth.realm ?? t.name }));
    }
    this.registry = options.registry ?? new Registry();
    this.#callsCounter = new Counter({ name: 'trunkgate_calls_total', help: 'INVITEs by trunk and outcome', labelNames: ['trunk', 'result'], registers: [this.registry] });
    this.#activeGauge = new Gauge({ name: 'trunkgate_active_calls', help: 'Calls in progress', registers: [this.registry] });
    this.srf = new Srf();
    this.srf.on('error', (err) => this.#log.warn({ err }, 'drachtio connection error'));
    this.srf.use('options', (req, res) => this.#onOptions(req, res));
    this.srf.invite((req, res) => { void this.#onInvite(req, res); });
  }

  /** Loads every agent the routes name (custom modules, demo prompts) before the first call. */
  async prepare(): Promise<void> {
    await this.mediaSessions.ready();
    const names = this.#opts.agentOverride
      ? new Set([this.#opts.agentOverride])
      : new Set(this.#cfg.trunks.flatMap((t) => t.routes.map((r) => r.agent)));
    for (const name of names) this.#agents.set(name, await resolveAgent(name, this.#cfg.agents[name], this.#opts.baseDir));
    // Warm up agents that do work at startup (demo synthesises its prompts here).
    for (const a of this.#agents.values()) {
      if (a.factory === BUILTIN_AGENTS.demo) await loadDemoPrompts(typeof a.settings.cache_dir === 'string' ? a.settings.cache_dir : undefined);
    }
  }

  async connect(target: { host: string; port: number; secret: string }): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onErr = (err: Error): void => reject(err);
      this.srf.once('error', onErr);
      this.srf.connect({ host: target.host, port: target.port, secret: target.secret });
      this.srf.once('connect', (err: Error | null, hostport: string) => {
        this.srf.off('error', onErr);
        if (err) return reject(err);
        this.#log.info({ hostport }, 'connected to drachtio server');
        resolve();
      });
    });
  }

  stats(): GatewayStats {
    return { activeCalls: this.calls.size, pendingCalls: this.#pending, mediaPortsInUse: this.#ports.inUse, callsTotal: this.#callsTotal, draining: this.#draining };
  }

  /**
   * Graceful stop: new calls get 503; live calls may run for `graceMs`, then get BYE. Resolves
   * when every call is gone and the drachtio connection is closed.
   */
  async stop(graceMs = this.#cfg.shutdown.grace_seconds * 1000): Promise<void> {
    this.#draining = true;
    if (this.calls.size + this.#pending > 0) {
      this.#log.info({ calls: this.calls.size, graceMs }, 'shutting down: waiting for calls to finish');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((r) => this.#idleWaiters.push(r)),
        new Promise<void>((r) => { timer = setTimeout(r, graceMs); }),
      ]);
      clearTimeout(timer);
      await Promise.all([...this.calls.values()].map((c) => c.end('gateway', 'shutdown grace period over')));
    }
    // The last 200 OK to a caller's BYE may still be on its way through the drachtio server; the
    // embedded server drops what an application had in flight when it disconnects.
    await new Promise((r) => setTimeout(r, 250));
    this.srf.disconnect();
    if (this.#ownsMedia) await this.mediaSessions.close();
  }

  #refuse(log: Logger, trunk: string, reason: RejectReason, status: number, res: Srf.SrfResponse, detail: Record<string, unknown> = {}, headers: Record<string, string> = {}): void {
    this.#callsCounter.inc({ trunk, result: reason });
    log.info({ event: 'call_refused', reason, status, ...detail }, `call refused: ${reason.replace(/_/g, ' ')}`);
    if (!res.finalResponseSent) res.send(status, { headers });
  }

  #onOptions(req: Srf.SrfRequest, res: Srf.SrfResponse): void {
    // Carrier keep-alive (RFC 3261 §11.2): 200 to a trunk, 403 to anyone else the edge let in.
    if (!this.#router.trunkFor(req.source_address)) return void res.send(403);
    res.send(this.#draining ? 503 : 200, { headers: { Allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE', Accept: 'application/sdp' } });
  }

  async #onInvite(req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> {
    const callId = req.get('Call-ID');
    const log = callLogger(this.#log, callId, { source: `${req.source_address}:${req.source_port}` });
    if (this.#draining) return this.#refuse(log, '-', 'shutting_down', 503, res, {}, { 'Retry-After': RETRY_AFTER_SECONDS });

    const trunk = this.#router.trunkFor(req.source_address);
    if (!trunk) return this.#refuse(log, '-', 'no_trunk_for_source', 403, res, { address: req.source_address });

    const digest = this.#auth.get(trunk.name);
    if (digest) {
      const verdict = digest.verify('INVITE', req.get('Authorization') || undefined);
      if (!verdict.ok) {
        const reason = verdict.code === 'AUTH_MISSING' ? 'auth_required' : 'auth_failed';
        return this.#refuse(log, trunk.name, reason, 401, res, { trunk: trunk.name, code: verdict.code }, { 'WWW-Authenticate': digest.challenge(verdict.code === 'AUTH_STALE') });
      }
    }

    const match = this.#router.routeOnTrunk(trunk.name, req.uri);
    if (isRefusal(match)) return this.#refuse(log, trunk.name, match.reason, 404, res, { ...match });
    const agentName = this.#opts.agentOverride ?? match.agent;

    const inUse = this.#perTrunk.get(trunk.name) ?? 0;
    if (inUse >= trunk.max_calls) return this.#refuse(log, trunk.name, 'over_capacity', 503, res, { trunk: trunk.name, maxCalls: trunk.max_calls }, { 'Retry-After': RETRY_AFTER_SECONDS });


    const timer = decideSessionTimer({ sessionExpires: req.get('Session-Expires') || undefined, minSe: req.get('Min-SE') || undefined, supported: req.get('Supported') || undefined, require: req.get('Require') || undefined }, this.#timers);
    if (timer.kind === 'too-small') return this.#refuse(log, trunk.name, 'session_interval_too_small', 422, res, {}, { 'Min-SE': String(timer.minSe) });

    this.#perTrunk.set(trunk.name, inUse + 1);
    this.#pending++;
    let call: Call | undefined;
    let canceled = false;
    req.on('cancel', () => {
      canceled = true;
      log.info({ event: 'call_canceled' }, 'caller canceled before answer');
      this.#callsCounter.inc({ trunk: trunk.name, result: 'canceled' });
      void call?.end('caller', 'canceled before answer');
    });
    try {
      call = req.body
        ? await this.#setUpCall(req, res, log, trunk, agentName, match.dialled, timer, () => canceled)
        : await this.#setUpLateOffer(req, res, log, trunk, agentName, match.dialled, timer);
    } catch (err) {
      this.#setupFailed(log, trunk, res, err);
    } finally {
      this.#pending--;
      if (!call) this.#release(trunk.name);
    }
  }

  #setupFailed(log: Logger, trunk: TrunkConfig, res: Srf.SrfResponse, err: unknown): void {
    if (err instanceof SdpError) {
      const reason = err.code === 'MEDIA_NO_COMMON_CODEC' ? 'no_common_codec' : 'bad_sdp';
      return this.#refuse(log, trunk.name, reason, 488, res, { code: err.code, error: err.message });
    }
    if (err instanceof PortExhaustedError) return this.#refuse(log, trunk.name, 'media_ports_exhausted', 503, res, {}, { 'Retry-After': RETRY_AFTER_SECONDS });
    // A transient local shortage (RFC 3261 §21.5.4): 503 with Retry-After, not 500.
    if (err instanceof MediaSocketError) {
      return this.#refuse(log, trunk.name, 'media_port_unavailable', 503, res, { port: err.port, code: (err.cause as { code?: string })?.code, error: err.message }, { 'Retry-After': '1' });
    }
    if ((err as { status?: number }).status === 487) return; // canceled: srf/server answered 487
    this.#refuse(log, trunk.name, 'setup_failed', 500, res, { err });
  }

  /** The call's MediaSession (in this thread or on a media worker), with the gateway's media settings. */
  #openSession(req: Srf.SrfRequest, lease: PortLease, negotiated: NegotiatedMedia, log: Logger): Promise<MediaSession> {
    const tap = this.#opts.mediaTap?.(req.get('Call-ID'));
    return this.mediaSessions.create({
      lease, negotiated, localAddress: this.#cfg.media.address, logger: log, id: req.get('Call-ID'),
      jitterTargetMs: Math.max(this.#cfg.media.jitter_min_ms, Math.min(40, this.#cfg.media.jitter_max_ms)),
      ...(tap ? { tap } : {}),
    });
  }

  async #setUpCall(req: Srf.SrfRequest, res: Srf.SrfResponse, log: Logger, trunk: TrunkConfig, agentName: string, dialled: string,
    timer: SessionTimerDecision, isCanceled: () => boolean): Promise<Call | undefined> {
    const mediaAddress = this.#cfg.media.public_address ?? this.#cfg.media.address;
    const lease = this.#ports.allocate();
    let answer: SdpAnswer;
    try {
      answer = negotiateAnswer(req.body, { codecs: trunk.codecs, localAddress: mediaAddress, localPort: lease.port, ptime: this.#cfg.media.ptime });
    } catch (err) {
      lease.release();
      throw err;
    }
    if (trunk.early_media) res.send(183, { body: answer.sdp, headers: { 'Content-Type': 'application/sdp' } });
    else res.send(180);

    let session: MediaSession;
    try {
      session = await this.#openSession(req, lease, answer, log);
    } catch (err) {
      lease.release();
      throw new MediaSocketError(lease.port, err);
    }
    const info = callInfo(req, trunk, dialled, answer.codec);
    const resolved = this.#agents.get(agentName) ?? await this.#resolveAgent(agentName);
    addAgentSettings(info, resolved.settings);

    const call: Call = new Call({ info, log, session, answer, agentName }, (c) => this.#closed(c));
    this.#endWithMedia(call);
    this.calls.set(info.callId, call);
    this.#activeGauge.set(this.calls.size);
    this.#callsTotal++;
    const fail = (err: unknown): void => {
      if (call.ended) return;
      log.error({ event: 'agent_failed', err, agent: agentName }, 'agent failed: ending the call');
      void call.end('gateway', `agent failed: ${(err as Error)?.message ?? String(err)}`);
    };
    let agent: Agent;
    try {
      agent = await resolved.factory(resolved.settings, { transferTargets: Object.fromEntries(Object.entries(this.#cfg.transfer_targets).map(([k, v]) => [k, v.uri])), log });
      call.agent = agent;
      call.io = createAgentIO(session, { hangup: (reason) => call.end('agent', reason), onFailure: fail, log });
      await agent.start(info, call.io.io);
    } catch (err) {
      await call.end('gateway', `agent failed to start: ${(err as Error)?.message ?? String(err)}`);
      this.#refuse(log, trunk.name, 'agent_failed', 500, res, { err, agent: agentName });
      return call;
    }
    if (isCanceled() || call.ended) {
      await call.end('caller', 'canceled before answer');
      return call;
    }

    const headers: Record<string, string> = { 'Content-Type': 'application/sdp', Allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE' };
    if (timer.kind === 'on') Object.assign(headers, timer.headers);
    let dialog: Srf.Dialog;
    try {
      dialog = await this.srf.createUAS(req, res, { localSdp: answer.sdp, headers });
    } catch (err) {
      const canceled = (err as { status?: number }).status === 487;
      await call.end('caller', canceled ? 'canceled before answer' : `answer failed: ${(err as Error).message}`);
      return call;
    }
    call.dialog = dialog;
    call.answeredAt = Date.now();
    log.info({ event: 'call_answered', trunk: trunk.name, agent: agentName, codec: answer.codec.name, ptime: answer.ptime, from: info.from, to: info.to }, 'call answered');
    if (call.ended) {
      // The agent hung up (or failed) while the 200 OK was on its way: BYE now.
      dialog.destroy();
      return call;
    }
    this.#watchDialog(call, dialog, trunk, timer);
    return call;
  }

  /**
   * Delayed offer (RFC 3261 §13.2.1, RFC 3264 §4): an INVITE without SDP. Our offer goes in the
   * 200 OK and the caller's answer comes in the ACK; media and agent start once it arrives.
   */
  async #setUpLateOffer(req: Srf.SrfRequest, res: Srf.SrfResponse, log: Logger, trunk: TrunkConfig, agentName: string, dialled: string,
    timer: SessionTimerDecision): Promise<Call | undefined> {
    const lease = this.#ports.allocate();
    let dialog: Srf.Dialog;
    let offer: SdpOffer;
    try {
      offer = createOffer({ codecs: trunk.codecs, localAddress: this.#cfg.media.public_address ?? this.#cfg.media.address, localPort: lease.port, ptime: this.#cfg.media.ptime });
      res.send(180);
      const headers: Record<string, string> = { 'Content-Type': 'application/sdp', Allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE' };
      if (timer.kind === 'on') Object.assign(headers, timer.headers);
      dialog = await this.srf.createUAS(req, res, { localSdp: offer.sdp, headers });
    } catch (err) {
      lease.release();
      throw err;
    }
    const ackBody = await new Promise<string | undefined>((resolve) => {
      const t = setTimeout(() => resolve(undefined), 32_000);
      dialog.once('ack', (ack: { body?: string }) => { clearTimeout(t); resolve(ack.body || undefined); });
      dialog.once('destroy', () => { clearTimeout(t); resolve(undefined); });
    });
    let negotiated: NegotiatedMedia;
    try {
      if (!ackBody) throw new SdpError('SDP_INVALID', 'no SDP answer in the ACK of a delayed-offer call');
      negotiated = applyAnswer(offer, ackBody);
    } catch (err) {
      lease.release();
      this.#callsCounter.inc({ trunk: trunk.name, result: 'no_common_codec' });
      log.info({ event: 'call_refused', reason: err instanceof NoCommonCodecError ? 'no_common_codec' : 'bad_sdp', err }, 'delayed-offer call without a usable answer: BYE');
      if ((dialog as unknown as { connected: boolean }).connected) dialog.destroy();
      return undefined;
    }
    const answer: SdpAnswer = { ...negotiated, sdp: offer.sdp, origin: offer.origin };
    // The caller may hang up while the session starts (a worker thread answers asynchronously).
    let hungUp = false;
    const onHangup = (): void => { hungUp = true; };
    dialog.once('destroy', onHangup);
    const session = await this.#openSession(req, lease, negotiated, log);
    const info = callInfo(req, trunk, dialled, negotiated.codec);
    const resolved = this.#agents.get(agentName) ?? await this.#resolveAgent(agentName);
    addAgentSettings(info, resolved.settings);
    const call: Call = new Call({ info, log, session, answer, agentName }, (c) => this.#closed(c));
    this.#endWithMedia(call);
    call.dialog = dialog;
    call.answeredAt = Date.now();
    this.calls.set(info.callId, call);
    this.#activeGauge.set(this.calls.size);
    this.#callsTotal++;
    log.info({ event: 'call_answered', trunk: trunk.name, agent: agentName, codec: negotiated.codec.name, ptime: negotiated.ptime, from: info.from, to: info.to, offer: 'delayed' }, 'call answered');
    dialog.off('destroy', onHangup);
    this.#watchDialog(call, dialog, trunk, timer);
    if (hungUp) {
      await call.end('caller', 'caller hung up before media started');
      return call;
    }
    const fail = (err: unknown): void => {
      if (call.ended) return;
      log.error({ event: 'agent_failed', err, agent: agentName }, 'agent failed: ending the call');
      void call.end('gateway', `agent failed: ${(err as Error)?.message ?? String(err)}`);
    };
    try {
      const agent = await resolved.factory(resolved.settings, { transferTargets: Object.fromEntries(Object.entries(this.#cfg.transfer_targets).map(([k, v]) => [k, v.uri])), log });
      call.agent = agent;
      call.io = createAgentIO(session, { hangup: (reason) => call.end('agent', reason), onFailure: fail, log });
      await agent.start(info, call.io.io);
    } catch (err) {
      fail(err);
    }
    return call;
  }

  /** Media that ends on its own (its worker thread died) ends the call: BYE, call_end with the reason. */
  #endWithMedia(call: Call): void {
    call.session.once('close', (reason) => {
      if (call.ended) return;
      call.log.error({ event: 'media_lost', reason }, 'media session ended during the call: hanging up');
      void call.end('gateway', `media ended: ${reason}`);
    });
  }

  #watchDialog(call: Call, dialog: Srf.Dialog, trunk: TrunkConfig, initial: SessionTimerDecision): void {
    const contact = (dialog as unknown as { local: { contact?: string } }).local.contact;
    const end = (by: HangupSide, reason: string): void => { void call.end(by, reason); };
    dialog.on('destroy', (_msg: unknown, reason?: string) => end('caller', typeof reason === 'string' ? `caller hung up (${reason})` : 'caller hung up'));
    if (initial.kind === 'on') {
      call.timer = new SessionTimer({
        refresh: async (headers) => {
          call.log.debug({ event: 'session_refresh' }, 'refreshing session (re-INVITE)');
          await dialog.modify(dialog.local.sdp, { headers: { ...headers, 'Content-Type': 'application/sdp' } } as never);
          call.log.info({ event: 'session_refreshed', by: 'gateway' }, 'session refreshed');
        },
        expire: (reason) => end('gateway', reason),
      });
      call.timer.restart(initial);
    }
    const renewTimer = (req: Srf.SrfRequest): Record<string, string> => {
      if (!call.timer) return {};
      const d = decideSessionTimer({ sessionExpires: req.get('Session-Expires') || undefined, minSe: req.get('Min-SE') || undefined, supported: req.get('Supported') || undefined, require: req.get('Require') || undefined }, this.#timers);
      if (d.kind !== 'on') return {};
      call.timer.restart(d);
      return d.headers;
    };
    // Every re-INVITE comes here (no hold/unhold/refresh listeners): RFC 3264 §8 re-offer.
    dialog.on('modify', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
      const timerHeaders = renewTimer(req);
      const base = { Contact: contact ?? '', ...timerHeaders };
      if (!req.body) {
        // Offer-less re-INVITE (session refresh): our current SDP is the offer (RFC 3261 §14.2).
        res.send(200, { body: call.answer.sdp, headers: { ...base, 'Content-Type': 'application/sdp' } });
        return;
      }
      try {
        const codecs = [call.answer.codec.name, ...trunk.codecs.filter((c) => c !== call.answer.codec.name)];
        const next = negotiateAnswer(req.body, { codecs, localAddress: this.#cfg.media.public_address ?? this.#cfg.media.address, localPort: call.session.localPort, ptime: call.answer.ptime, origin: call.answer.origin });
        const wasHeld = call.answer.remoteHold;
        call.session.updateRemote(next);
        call.answer = next;
        dialog.local.sdp = next.sdp;
        if (next.remoteHold !== wasHeld) call.log.info({ event: next.remoteHold ? 'hold' : 'unhold' }, next.remoteHold ? 'caller put the call on hold' : 'caller resumed the call');
        else call.log.info({ event: 'reinvite', remote: next.remote }, 're-INVITE: media updated');
        res.send(200, { body: next.sdp, headers: { ...base, 'Content-Type': 'application/sdp' } });
      } catch (err) {
        call.log.warn({ event: 'reinvite_rejected', err }, 're-INVITE rejected (488), call continues');
        res.send(488);
      }
    });
    dialog.on('update', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
      const timerHeaders = renewTimer(req);
      res.send(200, { headers: { Contact: contact ?? '', ...timerHeaders } });
    });
  }

  async #resolveAgent(name: string): Promise<ResolvedAgent> {
    const resolved = await resolveAgent(name, this.#cfg.agents[name], this.#opts.baseDir);
    this.#agents.set(name, resolved);
    return resolved;
  }

  #release(trunk: string): void {
    const n = (this.#perTrunk.get(trunk) ?? 1) - 1;
    if (n <= 0) this.#perTrunk.delete(trunk);
    else this.#perTrunk.set(trunk, n);
    this.#checkIdle();
  }

  #closed(call: Call): void {
    this.calls.delete(call.info.callId);
    this.#activeGauge.set(this.calls.size);
    this.#callsCounter.inc({ trunk: call.info.trunk, result: 'completed' });
    this.#release(call.info.trunk);
  }

  #checkIdle(): void {
    if (this.calls.size === 0 && this.#pending === 0) for (const w of this.#idleWaiters.splice(0)) w();
  }
}
