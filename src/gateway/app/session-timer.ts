/**
 * RFC 4028 session timers, UAS side: what to answer (422 / Session-Expires / Require), and the
 * timers that follow: as refresher we send a refresh at half the interval (§10); otherwise we
 * expect one and send BYE if none arrives by interval − min(32, interval/3) seconds (§10).
 */

export interface SessionTimerConfig {
  enabled: boolean;
  /** Interval we want, seconds. */
  sessionExpires: number;
  /** Smallest interval we accept (Min-SE), seconds. */
  minSe: number;
}

export interface TimerRequestHeaders {
  sessionExpires?: string | undefined;
  minSe?: string | undefined;
  supported?: string | undefined;
  require?: string | undefined;
}

export type Refresher = 'uac' | 'uas';

export type SessionTimerDecision =
  | { kind: 'off' }
  /** §8.1 / §9: the requested interval is below our Min-SE: 422 with this Min-SE. */
  | { kind: 'too-small'; minSe: number }
  | { kind: 'on'; interval: number; refresher: Refresher; headers: Record<string, string> };

function tokens(list: string | undefined): string[] {
  return (list ?? '').split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
}

/** Session-Expires: delta-seconds *(;se-params) with refresher=uac|uas (§4). */
export function parseSessionExpires(value: string | undefined): { interval: number; refresher?: Refresher } | undefined {
  if (!value) return undefined;
  const [delta, ...params] = value.split(';').map((s) => s.trim());
  if (!delta || !/^\d+$/.test(delta)) return undefined;
  const refresherParam = params.find((p) => /^refresher\s*=/i.test(p));
  const r = refresherParam?.split('=')[1]?.trim().toLowerCase();
  return { interval: Number(delta), ...(r === 'uac' || r === 'uas' ? { refresher: r } : {}) };
}

/** Decides the session timer for an INVITE (or a refreshing re-INVITE / UPDATE). */
export function decideSessionTimer(req: TimerRequestHeaders, cfg: SessionTimerConfig): SessionTimerDecision {
  const se = parseSessionExpires(req.sessionExpires);
  const uacSupports = tokens(req.supported).includes('timer') || tokens(req.require).includes('timer');
  if (!cfg.enabled && !se) return { kind: 'off' };
  const requestMinSe = req.minSe && /^\s*\d+/.test(req.minSe) ? parseInt(req.minSe, 10) : 0;
  const floor = Math.max(cfg.minSe, requestMinSe);
  // §9: a UAS MUST reject with 422 if the Session-Expires is below its Min-SE.
  if (se && se.interval < cfg.minSe) return { kind: 'too-small', minSe: cfg.minSe };
  // §9: the UAS may lower the interval, but not below the Min-SE of the request (or ours).
  const interval = Math.max(floor, se ? Math.min(se.interval, cfg.enabled ? cfg.sessionExpires : se.interval) : cfg.sessionExpires);
  // §9: without timer support at the UAC, only the UAS can refresh.
  const refresher: Refresher = !uacSupports ? 'uas' : se?.refresher ?? 'uas';
  const headers: Record<string, string> = { 'Session-Expires': `${interval};refresher=${refresher}`, Supported: 'timer' };
  if (uacSupports) headers.Require = 'timer';
  return { kind: 'on', interval, refresher, headers };
}

export interface SessionTimerHooks {
  /** Send a refresh (re-INVITE); resolve on 2xx, reject otherwise. */
  refresh(headers: Record<string, string>): Promise<void>;
  /** The session expired or a refresh failed: end the call. */
  expire(reason: string): void;
}

/** Runs the timer of one dialog. `restart` on every refresh seen in either direction. */
export class SessionTimer {
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  constructor(readonly hooks: SessionTimerHooks) {}

  restart(decision: Extract<SessionTimerDecision, { kind: 'on' }>): void {
    this.clear();
    if (this.#stopped) return;
    const ms = decision.interval * 1000;
    if (decision.refresher === 'uas') {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.hooks.refresh({ 'Session-Expires': `${decision.interval};refresher=uas`, Supported: 'timer' })
          .then(() => this.restart(decision))
          .catch((err: unknown) => this.hooks.expire(`session refresh failed: ${(err as Error).message ?? String(err)}`));
      }, ms / 2);
    } else {
      const grace = Math.min(32_000, ms / 3);
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.hooks.expire('session expired: no refresh from the caller (RFC 4028 §10)');
      }, ms - grace);
    }
    this.#timer.unref?.();
  }

  clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  stop(): void {
    this.#stopped = true;
    this.clear();
  }
}
