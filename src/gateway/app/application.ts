/**
 * The gateway application on drachtio-srf. It speaks SIP only through Srf, so it runs unchanged
 * against the embedded server or a real drachtio-server.
 *
 * INVITE → trunk by source address → digest (if the trunk has credentials) → route by number →
 * capacity → SDP answer (488 if no common codec) → 180/183 → MediaSession → agent → 200 OK.
 */
import Srf from 'drachtio-srf';
import { Registry } from 'prom-client';
import { callLogger, type Logger } from '../../log.js';
import { MediaEngine, MediaSocketError, PortAllocator, PortExhaustedError, type PacketTap } from '../../media/index.js';
import { SdpError } from '../../media/sdp/errors.js';
import { RtpengineAnchor } from '../../media/anchor/rtpengine.js';
import { createMediaSessionFactory, type MediaSessionFactory, type MediaSessionFactoryOptions } from '../../media/worker/factory.js';
import { BUILTIN_AGENTS, resolveAgent, type ResolvedAgent } from '../../agents/registry.js';
import { loadDemoPrompts } from '../../agents/builtin/demo.js';
import { DigestServer } from '../../digest/index.js';
import type { GatewayConfig, TrunkConfig } from '../config/schema.js';
import { Router } from '../routing/router.js';
import { TrustedProxies } from '../edge/trusted-source.js';
import { acceptRefer } from '../transfer/accept-refer.js';
import { Transferor } from '../transfer/transferor.js';
import { admit, isAdmitted, RETRY_AFTER_SECONDS, type RejectReason, type Refusal } from './admission.js';
import type { Call } from './call.js';
import { watchCallerDialog } from './in-dialog.js';
import { ALLOW, InboundSetup } from './inbound-setup.js';
import type { SessionTimerConfig, SessionTimerDecision } from './session-timer.js';
import type { TransferOptions, TransferOutcome } from '../../agents/types.js';
import { OutboundDialer } from '../outbound/dialer.js';
import { Registration } from '../outbound/registration.js';
import { readiness, type Readiness } from './readiness.js';
import { Observers, type CallEndRecord, type GatewayObserver } from './observer.js';
import { drainCalls } from './drain.js';
import { RtpWatchdog } from './rtp-watchdog.js';
import { disconnectSrf } from './srf-disconnect.js';
import type { CallRecorder } from '../cdr/recorder.js';

/** What the transfer code needs to know about a call's trunk side, inbound or outbound. */
type CallSide = { trunk: TrunkConfig; carrierAddress: string; callerAllowsRefer: boolean; dialledUri: string };

export type { RejectReason } from './admission.js';

export interface GatewayAppOptions {
  config: GatewayConfig;
  /** Folder custom agent module paths are resolved against (the config file's folder). */
  baseDir: string;
  logger: Logger;
  /** Route every call to this agent instead of the configured one. */
  agentOverride?: string | undefined;
  /** Where the gateway's metrics are registered (src/gateway/metrics); default a new one. */
  registry?: Registry;
  /** Packet tap per call (tests, recording): every RTP/RTCP datagram in and out. */
  mediaTap?: ((callId: string) => PacketTap | undefined) | undefined;
  /** Where MediaSessions are made (default: from `media.workers`; one the caller passes is not closed by stop()). */
  mediaSessions?: MediaSessionFactory | undefined;
  /** Told of each admitted call's set-up and its Call (the CDRs, src/gateway/cdr). */
  recorder?: CallRecorder | undefined;
}

/** The media session factory's options from the config (workers, nice, the UDP layer). */
export function mediaSessionOptions(config: GatewayConfig, logger?: Logger): MediaSessionFactoryOptions {
  return { workers: config.media.workers, logger, nice: config.media.worker_nice, realtime: config.media.worker_realtime_priority, udp: config.media.udp };
}

export interface GatewayStats {
  activeCalls: number;
  /** INVITEs being set up (not answered yet). */
  pendingCalls: number;
  mediaPortsInUse: number;
  callsTotal: number;
  draining: boolean;
}

export class GatewayApp {
  readonly srf: Srf;
  readonly calls = new Map<string, Call>();
  readonly registry: Registry;
  readonly #cfg: GatewayConfig;
  readonly #log: Logger;
  readonly #router: Router;
  readonly #proxies: TrustedProxies;
  readonly #ports: PortAllocator;
  /** Where this gateway's MediaSessions run (worker pool or this thread). */
  readonly mediaSessions: MediaSessionFactory;
  /** Port lease → SDP negotiation → session, for every leg (caller, human, SIP route). */
  readonly #engine: MediaEngine;
  /** media.anchor: rtpengine — set by prepare(). */
  #anchor: RtpengineAnchor | undefined;
  readonly #ownsMedia: boolean;
  readonly #auth = new Map<string, DigestServer>();
  readonly #agents = new Map<string, ResolvedAgent>();
  readonly #perTrunk = new Map<string, number>();
  readonly #timers: SessionTimerConfig;
  readonly #opts: GatewayAppOptions;
  readonly #setup: InboundSetup;
  readonly #transferor: Transferor;
  /** NOTIFYs that arrive after their dialog ended (a BYE overtook the final NOTIFY), by Call-ID. */
  readonly #lateNotify = new Map<string, Set<(req: Srf.SrfRequest) => void>>();
  /** Per call: the admission result the transfer code needs (trunk, carrier address, Allow). */
  readonly #callCtx = new WeakMap<Call, CallSide>();
  /** Outbound calls (the REST API's POST /v1/calls): src/gateway/outbound. */
  readonly outbound: OutboundDialer;
  /** Trunks that REGISTER with their carrier (outbound.register). */
  readonly registrations = new Map<string, Registration>();
  #pending = 0;
  #callsTotal = 0;
  #draining = false;
  #drachtioConnected = false;
  #idleWaiters: (() => void)[] = [];
  readonly #observers: Observers;
  readonly #watchdog: RtpWatchdog;

  constructor(options: GatewayAppOptions) {
    this.#opts = options;
    this.#cfg = options.config;
    this.#log = options.logger;
    const media = options.config.media;
    this.#router = new Router(options.config);
    this.#proxies = new TrustedProxies(options.config.cluster);
    this.#ports = new PortAllocator({ min: media.port_min, max: media.port_max });
    // MediaSessions run on worker threads (media.workers, default one per core) or in this thread.
    this.#ownsMedia = !options.mediaSessions;
    // The process entry (src/runtime) passes its factory; without one, one from the config.
    this.mediaSessions = options.mediaSessions ?? createMediaSessionFactory(mediaSessionOptions(options.config, options.logger));
    this.#log.info({ mediaWorkers: this.mediaSessions.workers, mediaUdp: this.mediaSessions.udp }, this.mediaSessions.workers > 0 ? `media sessions on ${this.mediaSessions.workers} worker threads` : 'media sessions in the main thread');
    this.#engine = new MediaEngine({
      localAddress: media.address,
      sdpAddress: media.sdp_address,
      ports: this.#ports,
      ptime: media.ptime,
      session: { jitterTargetMs: Math.max(media.jitter_min_ms, Math.min(40, media.jitter_max_ms)) },
      createSession: (o) => this.mediaSessions.create(o),
    });
    this.#timers = { enabled: options.config.session_timers.enabled, sessionExpires: options.config.session_timers.session_expires, minSe: options.config.session_timers.min_se };
    for (const t of options.config.trunks) {
      if (!t.auth) continue;
      const { username, password } = t.auth;
      this.#auth.set(t.name, new DigestServer({ realm: t.auth.realm ?? t.name, lookup: (u) => (u === username ? password : undefined), algorithms: ['MD5'] }));
    }
    this.#observers = new Observers(this.#log);
    this.#watchdog = new RtpWatchdog({ rtpTimeoutMs: media.rtp_timeout_s * 1000, holdTimeoutMs: media.hold_timeout_s * 1000 });
    this.registry = options.registry ?? new Registry();
    this.srf = new Srf();
    this.#transferor = new Transferor({
      srf: this.srf, engine: this.#engine, config: options.config, mediaTap: options.mediaTap,
      lateNotify: (callId, l) => this.#onLateNotify(callId, l),
      anchor: () => this.#anchor,
    });
    const transferTargets = Object.fromEntries(Object.entries(options.config.transfer_targets).map(([k, v]) => [k, v.uri]));
    this.#setup = new InboundSetup({
      srf: this.srf, engine: this.#engine, log: this.#log, transferTargets,
      anchor: () => this.#anchor,
      agent: (name) => this.#agent(name),
      tap: (callId) => this.#opts.mediaTap?.(callId),
      register: (call) => this.#register(call),
      closed: (call) => this.#closed(call),
      refuse: (log, refusal, res) => this.#refuse(log, refusal, res),
      watch: (call, dialog, admitted) => this.#watch(call, dialog, admitted.timer),
      transfer: (call, target, options) => this.transferCall(call, target, options),
    });
    this.outbound = new OutboundDialer({
      srf: this.srf, engine: this.#engine, log: this.#log, trunks: options.config.trunks, agentDefs: options.config.agents,
      agents: { agent: (name) => this.#agent(name), transferTargets, transfer: (call, target, o) => this.transferCall(call, target, o) },
      tap: (callId) => this.#opts.mediaTap?.(callId),
      channels: {
        acquire: (trunk) => {
          if (this.#draining) return { ok: false, code: 'OUTBOUND_SHUTTING_DOWN' };
          if ((this.#perTrunk.get(trunk.name) ?? 0) >= trunk.max_calls) return { ok: false, code: 'OUTBOUND_OVER_CAPACITY' };
          this.#perTrunk.set(trunk.name, (this.#perTrunk.get(trunk.name) ?? 0) + 1);
          return { ok: true };
        },
        release: (trunk) => this.#release(trunk),
      },
      register: (call) => this.#register(call),
      closed: (call) => this.#closed(call),
      watch: (call, dialog, side) => { this.#callCtx.set(call, side); this.#watch(call, dialog, { kind: 'off' }); },
      pending: (d) => { this.#pending += d; if (d < 0) this.#checkIdle(); },
      recorder: options.recorder,
    });
    for (const t of options.config.trunks) {
      const o = t.outbound;
      if (!o || o.register === false) continue;
      this.registrations.set(t.name, new Registration({
        srf: this.srf, trunk: t.name, proxy: o.proxy, user: o.register.user ?? o.username ?? o.from_number!, expires: o.register.expires, retryS: o.register.retry_s,
        auth: o.username && o.password ? { username: o.username, password: o.password } : undefined, log: this.#log,
      }));
    }
    this.srf.on('error', (err) => this.#log.warn({ err }, 'drachtio connection error'));
    this.srf.on('connect', (err: Error | null) => { if (!err) this.#drachtioConnected = true; });
    // drachtio-srf re-emits its connection's 'close' (lib/proto.js); its typings omit the event.
    (this.srf as unknown as NodeJS.EventEmitter).on('close', () => { this.#drachtioConnected = false; });
    this.srf.use('options', (req, res) => this.#onOptions(req, res));
    this.srf.use('notify', (req, res) => this.#onOutOfDialogNotify(req, res));
    this.srf.use('refer', (_req, res) => res.send(481));
    this.srf.invite((req, res) => { void this.#onInvite(req, res); });
  }

  /** Loads every agent the routes name (custom modules, demo prompts) before the first call. */
  async prepare(): Promise<void> {
    await this.mediaSessions.ready();
    const media = this.#cfg.media;
    // Throws RtpengineError naming the ng addresses when no daemon answers: a start error.
    if (media.anchor === 'rtpengine' && media.rtpengine) this.#anchor = await RtpengineAnchor.connect({ ng: media.rtpengine.ng, timeoutMs: media.rtpengine.timeout_ms, recordingDir: media.rtpengine.recording_dir, transcode: media.rtpengine.transcode });
    const names = this.#opts.agentOverride
      ? new Set([this.#opts.agentOverride])
      : new Set(this.#cfg.trunks.flatMap((t) => t.routes.flatMap((r) => (r.agent === undefined ? [] : [r.agent]))));
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
        for (const r of this.registrations.values()) r.start();
        resolve();
      });
    });
  }

  /** Tells `observer` about calls and the drain from now on; returns an unsubscribe. */
  observe(observer: GatewayObserver): () => void {
    return this.#observers.add(observer);
  }

  /**
   * Whether this instance takes new calls now (drachtio connected, media workers up, not
   * draining, below max_calls): of `trunk` when given, else of any trunk.
   */
  readiness(trunk?: string): Readiness {
    const pool = this.mediaSessions.pool;
    return readiness({
      draining: () => this.#draining,
      drachtioConnected: () => this.#drachtioConnected,
      mediaUp: () => !pool || pool.liveWorkers > 0,
      callsOnTrunk: (t) => this.#perTrunk.get(t) ?? 0,
      trunks: this.#cfg.trunks,
    }, trunk);
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
    const channels = (): number => [...this.#perTrunk.values()].reduce((a, b) => a + b, 0);
    this.#observers.notify('drainStarted', { graceMs, liveCalls: channels() });
    await drainCalls({
      log: this.#log,
      // Trunk channels held: INVITEs admitted and not yet refused, and calls not yet ended.
      busy: channels,
      idle: () => new Promise<void>((r) => { this.#idleWaiters.push(r); this.#checkIdle(); }),
      endLive: async (reason, cause) => {
        // Outbound calls still ringing are cancelled (CANCEL), answered ones get BYE.
        for (const d of this.outbound.dialing.values()) d.cancel(reason);
        await Promise.all([...this.calls.values()].map((c) => {
          if (!c.ended) c.endFields.endCause = cause;
          return c.end('gateway', reason);
        }));
      },
    }, graceMs);
    this.#watchdog.close();
    await this.#observers.stopping();
    // The last 200 OK to a caller's BYE may still be on its way through the drachtio server; the
    // embedded server drops what an application had in flight when it disconnects.
    await new Promise((r) => setTimeout(r, 250));
    await Promise.all([...this.registrations.values()].map((r) => r.stop()));
    disconnectSrf(this.srf, this.#drachtioConnected);
    if (this.#ownsMedia) await this.mediaSessions.close();
    this.#anchor?.close();
  }

  #refuse(log: Logger, r: Refusal, res: Srf.SrfResponse): void {
    this.#observers.notify('callRefused', { callId: String((log.bindings() as { callId?: unknown }).callId ?? ''), trunk: r.trunk, reason: r.reason, status: r.status, agent: typeof r.detail?.agent === 'string' ? r.detail.agent : undefined });
    this.#opts.recorder?.refused(res, r);
    log.info({ event: 'call_refused', reason: r.reason, status: r.status, ...r.detail }, `call refused: ${r.reason.replace(/_/g, ' ')}`);
    if (!res.finalResponseSent) res.send(r.status, { headers: r.headers ?? {} });
  }

  #onOptions(req: Srf.SrfRequest, res: Srf.SrfResponse): void {
    // Carrier keep-alive and dispatcher ping (RFC 3261 §11.2): 200 to a trunk while this instance
    // takes its calls, else 503 with Retry-After (§21.5.4) so a dispatcher sends elsewhere; 403 to
    // anyone else the edge let in. A trusted proxy's own pings (Kamailio's dispatcher) learn
    // whether this instance takes calls on any trunk.
    const fromProxy = this.#proxies.trusts(req.source_address, Number(req.source_port));
    const trunk = this.#router.trunkFor(this.#carrierAddress(req));
    if (!fromProxy && !trunk) return void res.send(403);
    const r = this.readiness(trunk?.name);
    if (r.ready) return void res.send(200, { headers: { Allow: ALLOW, Accept: 'application/sdp' } });
    res.send(503, { headers: { 'Retry-After': r.reasons.includes('draining') ? RETRY_AFTER_SECONDS : '1', Warning: `399 trunkgate "not ready: ${r.reasons.join(', ')}"` } });
  }

  /** The carrier's address of a request: its source, or a trusted proxy's source header. */
  #carrierAddress(req: Srf.SrfRequest): string {
    return this.#proxies.carrierSource(req.source_address, Number(req.source_port), req.get(this.#proxies.header) || undefined).address;
  }

  /** A NOTIFY no dialog took: one a transfer still waits for (its BYE came first), else 481 (RFC 6665 §4.1.3). */
  #onOutOfDialogNotify(req: Srf.SrfRequest, res: Srf.SrfResponse): void {
    const listeners = this.#lateNotify.get(req.get('Call-ID'));
    if (!listeners?.size) return void res.send(481);
    res.send(200);
    for (const l of listeners) l(req);
  }

  #onLateNotify(callId: string, listener: (req: Srf.SrfRequest) => void): () => void {
    let set = this.#lateNotify.get(callId);
    if (!set) this.#lateNotify.set(callId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#lateNotify.delete(callId);
    };
  }

  async #onInvite(req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> {
    const callId = req.get('Call-ID');
    const carrier = this.#proxies.carrierSource(req.source_address, Number(req.source_port), req.get(this.#proxies.header) || undefined);
    const log = callLogger(this.#log, callId, { source: `${req.source_address}:${req.source_port}`, ...(carrier.proxy ? { carrier: carrier.address } : {}) });
    const admitted = admit(req, {
      draining: this.#draining, carrierAddress: carrier.address, router: this.#router, auth: this.#auth, timers: this.#timers, agentOverride: this.#opts.agentOverride,
      callsOnTrunk: (t) => this.#perTrunk.get(t) ?? 0,
    });
    if (!isAdmitted(admitted)) return this.#refuse(log, admitted, res);
    const { trunk } = admitted;
    this.#opts.recorder?.invited(req, res, admitted);

    this.#perTrunk.set(trunk.name, (this.#perTrunk.get(trunk.name) ?? 0) + 1);
    this.#pending++;
    let call: Call | undefined;
    let canceled = false;
    req.on('cancel', () => {
      canceled = true;
      log.info({ event: 'call_canceled' }, 'caller canceled before answer');
      if (call) call.finalStatus = 487;
      else this.#observers.notify('callRefused', { callId, trunk: trunk.name, reason: 'canceled', status: 487 });
      void call?.end('caller', 'canceled before answer');
    });
    try {
      await this.#setup.run(req, res, log, admitted, () => canceled, (c) => {
        call = c;
        this.#callCtx.set(c, { trunk, carrierAddress: req.source_address, callerAllowsRefer: /\bREFER\b/i.test(req.get('Allow') ?? ''), dialledUri: req.uri });
        this.#opts.recorder?.attach(res, c);
      });
    } catch (err) {
      this.#setupFailed(log, trunk, res, err);
    } finally {
      this.#pending--;
      this.#opts.recorder?.settled(res);
      if (!call) this.#release(trunk.name);
      else this.#checkIdle();
    }
  }

  #setupFailed(log: Logger, trunk: TrunkConfig, res: Srf.SrfResponse, err: unknown): void {
    const refuse = (reason: RejectReason, status: number, detail: Record<string, unknown> = {}, headers: Record<string, string> = {}): void =>
      this.#refuse(log, { reason, status, trunk: trunk.name, detail, headers }, res);
    if (err instanceof SdpError) return refuse(err.code === 'MEDIA_NO_COMMON_CODEC' ? 'no_common_codec' : err.code === 'SDP_SRTP_REQUIRED' ? 'srtp_required' : 'bad_sdp', 488, { code: err.code, error: err.message });
    if (err instanceof PortExhaustedError) return refuse('media_ports_exhausted', 503, {}, { 'Retry-After': RETRY_AFTER_SECONDS });
    // A transient local shortage (RFC 3261 §21.5.4): 503 with Retry-After, not 500.
    if (err instanceof MediaSocketError) {
      return refuse('media_port_unavailable', 503, { port: err.port, code: (err.cause as { code?: string })?.code, error: err.message }, { 'Retry-After': '1' });
    }
    if ((err as { status?: number }).status === 487) return; // canceled: srf/server answered 487
    refuse('setup_failed', 500, { err });
  }

  /** Hands a call to a human (agents' io.transfer and the REST API): src/gateway/transfer. */
  transferCall(call: Call, target: string, options: TransferOptions): Promise<TransferOutcome> {
    const side = this.#callCtx.get(call)!;
    return this.#transferor.transfer({ call, ...side, onBridged: () => call.stopAgent('transferred') }, target, options);
  }

  #watch(call: Call, dialog: Srf.Dialog, timer: SessionTimerDecision): void {
    const { trunk } = this.#callCtx.get(call)!;
    const sdpAddress = this.#cfg.media.sdp_address;
    const targets = this.#cfg.transfer_targets;
    const adopt = (d: Srf.Dialog): void => {
      call.caller.dialog = d;
      watch(d);
    };
    const watch = (d: Srf.Dialog): void => watchCallerDialog(call, d, {
      trunk, timers: this.#timers, initialTimer: call.timer ? { kind: 'off' } : timer, sdpAddress, anchor: this.#anchor,
      onRefer: (req, res) => acceptRefer(req, res, d, {
        call, trunk, targets, srf: this.srf, sdpAddress, adoptDialog: adopt,
        carrierAddress: this.#callCtx.get(call)!.carrierAddress, anchor: this.#anchor,
      }),
    });
    watch(dialog);
  }

  async #agent(name: string): Promise<ResolvedAgent> {
    const known = this.#agents.get(name);
    if (known) return known;
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

  /** A call the gateway now has (inbound once set up, outbound once placed). */
  #register(call: Call): void {
    this.calls.set(call.info.callId, call);
    // Dead calls end (rtp-watchdog.ts): watched from the answer (or a SIP route's bridge).
    call.onState((s) => { if (s === 'answered' || s === 'bridged') this.#watchdog.watch(call); });
    this.#callsTotal++;
    this.#observers.notify('callStarted', call);
  }

  #closed(call: Call): void {
    this.calls.delete(call.info.callId);
    this.#release(call.info.trunk);
    // Call#logEnd writes these fields (event, trunk, answered, durationMs, hangupBy, reason …).
    if (call.endRecord) this.#observers.notify('callEnded', call, call.endRecord as CallEndRecord);
  }

  #checkIdle(): void {
    if (this.calls.size === 0 && this.#pending === 0) for (const w of this.#idleWaiters.splice(0)) w();
  }
}
