/**
 * A trunk's registration with its carrier (RFC 3261 §10): REGISTER with digest credentials
 * (drachtio-srf answers the 401/407), refresh before the binding expires, and after a failure
 * (refused, no answer) a new attempt after `retry_s`. One Call-ID for the whole life of the
 * registration and a rising CSeq (§10.2.4: "a UA SHOULD use the same Call-ID for all
 * registrations during a single boot cycle"). stop() removes the binding (Expires: 0, §10.2.2).
 */
import { randomUUID } from 'node:crypto';
import type Srf from 'drachtio-srf';
import type { Logger } from '../../log.js';

/** srf.request as drachtio-srf has it (its typings know only the socket form). */
interface SrfRequestFn {
  request(uri: string, opts: { method: string; headers: Record<string, string>; proxy?: string; auth?: { username: string; password: string } }, cb: (err: Error | null, req?: Srf.SrfRequest) => void): void;
}

/** How long stop() waits for the registrar to confirm the binding is gone. */
const UNREGISTER_WAIT_MS = 2000;

export type RegistrationState = 'idle' | 'registering' | 'registered' | 'failed' | 'stopped';

export interface RegistrationOptions {
  srf: Srf;
  trunk: string;
  /** The carrier: host[:port] or a SIP URI (REGISTER goes to sip:<host>, through it). */
  proxy: string;
  /** The address-of-record's user part. */
  user: string;
  auth?: { username: string; password: string } | undefined;
  /** Expiry asked for, seconds. */
  expires: number;
  /** Seconds before trying again after a failure. */
  retryS: number;
  log: Logger;
}

export interface RegistrationStatus {
  state: RegistrationState;
  /** Seconds the registrar granted (last success). */
  expires?: number;
  /** Status of the last final response, when there was one. */
  lastStatus?: number;
  lastError?: string;
  /** Successful REGISTERs so far (the first and each refresh). */
  registrations: number;
}

/** Host[:port] of a proxy written as host, host:port or a SIP URI. */
export function proxyHost(proxy: string): string {
  const m = /^sips?:(?:[^@]*@)?([^;>]+)/i.exec(proxy);
  return m ? m[1]! : proxy;
}

/** The proxy as a SIP URI (drachtio-srf's `proxy` option). */
export function proxyUri(proxy: string): string {
  return /^sips?:/i.test(proxy) ? proxy : `sip:${proxy}`;
}

/**
 * When to refresh a binding granted for `expires` seconds: half-way for short ones, a minute
 * before expiry for long ones (whichever is later), so a lost refresh still has time for another.
 */
export function refreshDelayMs(expires: number): number {
  return Math.max(expires / 2, expires - 60) * 1000;
}

/** The expiry the registrar granted our contact (§10.2.4: the Contact's expires, else Expires). */
export function grantedExpires(res: Srf.SrfResponse, asked: number): number {
  const contact = res.get('Contact') ?? '';
  const m = /;\s*expires\s*=\s*(\d+)/i.exec(contact);
  if (m) return Number(m[1]);
  const e = Number(res.get('Expires'));
  return Number.isFinite(e) && e > 0 ? e : asked;
}

export class Registration {
  readonly #o: RegistrationOptions;
  readonly #callId = `${randomUUID()}@trunkgate`;
  #cseq = 1;
  #expires: number;
  #timer: NodeJS.Timeout | undefined;
  #status: RegistrationStatus = { state: 'idle', registrations: 0 };
  readonly #listeners = new Set<(s: RegistrationStatus) => void>();

  constructor(options: RegistrationOptions) {
    this.#o = options;
    this.#expires = options.expires;
  }

  get status(): RegistrationStatus {
    return { ...this.#status };
  }

  /** Called after every change of status until the returned function is called. */
  onStatus(listener: (s: RegistrationStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    if (this.#status.state !== 'idle') return;
    this.#register();
  }

  /** Stops refreshing and removes the binding if there is one (waits for the registrar's answer, at most a few seconds). */
  async stop(): Promise<void> {
    if (this.#status.state === 'stopped') return;
    clearTimeout(this.#timer);
    const wasRegistered = this.#status.state === 'registered';
    this.#set({ state: 'stopped' });
    if (!wasRegistered) return;
    // A registrar that is gone would hold the stop for the transaction's 32 s (RFC 3261 §17.1.2.2).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#send(0).catch(() => undefined), new Promise((r) => { timer = setTimeout(r, UNREGISTER_WAIT_MS); })]);
    clearTimeout(timer);
  }

  #set(patch: Partial<RegistrationStatus>): void {
    this.#status = { ...this.#status, ...patch };
    const s = this.status;
    for (const l of this.#listeners) l(s);
  }

  #register(): void {
    if (this.#status.state === 'stopped') return;
    this.#set({ state: 'registering' });
    void this.#send(this.#expires).then((res) => {
      if (this.#status.state === 'stopped') return;
      if (res.status >= 200 && res.status < 300) {
        const granted = grantedExpires(res, this.#expires);
        this.#o.log.info({ event: 'trunk_registered', trunk: this.#o.trunk, expires: granted, refreshInS: refreshDelayMs(granted) / 1000 }, 'registered with the carrier');
        this.#set({ state: 'registered', expires: granted, lastStatus: res.status, registrations: this.#status.registrations + 1 });
        return this.#schedule(refreshDelayMs(granted));
      }
      // RFC 3261 §10.2.8: 423 Interval Too Brief carries the registrar's Min-Expires; ask again with it.
      const min = Number(res.get('Min-Expires'));
      if (res.status === 423 && Number.isFinite(min) && min > this.#expires) {
        this.#expires = min;
        this.#o.log.info({ event: 'trunk_register_interval', trunk: this.#o.trunk, minExpires: min }, 'registrar wants a longer expiry: registering again');
        return this.#register();
      }
      this.#failed(`${res.status} ${res.reason ?? ''}`.trim(), res.status);
    }, (err: unknown) => this.#failed((err as Error)?.message ?? String(err)));
  }

  #failed(reason: string, status?: number): void {
    if (this.#status.state === 'stopped') return;
    this.#o.log.warn({ event: 'trunk_register_failed', trunk: this.#o.trunk, status, reason, retryInS: this.#o.retryS }, 'registration with the carrier failed: trying again later');
    this.#set({ state: 'failed', lastError: reason, ...(status !== undefined ? { lastStatus: status } : {}) });
    this.#schedule(this.#o.retryS * 1000);
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#register(), ms);
    this.#timer.unref();
  }

  /** One REGISTER transaction (with the digest round drachtio-srf adds); resolves with the final response. */
  #send(expires: number): Promise<Srf.SrfResponse> {
    const host = proxyHost(this.#o.proxy);
    const domain = host.replace(/:\d+$/, '');
    const aor = `<sip:${this.#o.user}@${domain}>`;
    const uri = `sip:${domain}`;
    // drachtio (and the embedded server) write our own address for 'localhost'.
    const headers: Record<string, string> = {
      From: aor, To: aor, 'Call-ID': this.#callId, CSeq: `${this.#cseq++} REGISTER`,
      Contact: `<sip:${this.#o.user}@localhost>`, Expires: String(expires),
    };
    return new Promise<Srf.SrfResponse>((resolve, reject) => {
      (this.#o.srf as unknown as SrfRequestFn).request(uri, {
        method: 'REGISTER', headers, proxy: proxyUri(this.#o.proxy),
        ...(this.#o.auth ? { auth: this.#o.auth } : {}),
      }, (err, req) => {
        if (err || !req) return reject(err ?? new Error('REGISTER not sent'));
        req.on('response', (res?: Srf.SrfResponse) => {
          if (!res || res.status < 200) return;
          // drachtio-srf re-sent the REGISTER with credentials under a higher CSeq: continue above it.
          const seq = Number(/^\s*(\d+)/.exec(res.get('CSeq') ?? '')?.[1]);
          if (Number.isFinite(seq) && seq >= this.#cseq) this.#cseq = seq + 1;
          resolve(res);
        });
      });
    });
  }
}
