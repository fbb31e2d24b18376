/**
 * Admission of a new INVITE, before any media is touched: draining, trunk by source address,
 * digest authentication, route by dialled number, the trunk's call limit and the session timer
 * (RFC 4028). Each refusal carries the status and headers the caller gets and the reason logged.
 */
import type Srf from 'drachtio-srf';
import type { DigestServer } from '../../digest/index.js';
import type { TrunkConfig } from '../config/schema.js';
import { isRefusal, type RouteTarget, type Router } from '../routing/router.js';
import { decideSessionTimer, type SessionTimerConfig, type SessionTimerDecision } from './session-timer.js';

export type RejectReason =
  | 'no_trunk_for_source' | 'auth_required' | 'auth_failed' | 'no_route_for_number' | 'over_capacity'
  | 'shutting_down' | 'no_common_codec' | 'bad_sdp' | 'no_sdp' | 'media_ports_exhausted'
  | 'session_interval_too_small' | 'agent_failed' | 'agent_unavailable' | 'media_port_unavailable' | 'setup_failed' | 'canceled'
  | 'sip_route_failed' | 'srtp_required';

/** Why a call is refused, and what the caller is told. */
export interface Refusal {
  reason: RejectReason;
  status: number;
  trunk: string;
  detail?: Record<string, unknown>;
  headers?: Record<string, string>;
}

export interface Admitted {
  trunk: TrunkConfig;
  target: RouteTarget;
  dialled: string;
  /** E.164 digits without '+' when recognisable (routing/numbers.ts normalizeNumber). */
  normalized: string;
  timer: SessionTimerDecision;
}

/** RFC 3261 §21.5.4: a transient shortage; the caller may try again after this many seconds. */
export const RETRY_AFTER_SECONDS = '30';

export interface AdmissionContext {
  draining: boolean;
  /** The carrier's address: the packet's source, or a trusted proxy's source header (edge/trusted-source.ts). */
  carrierAddress: string;
  router: Router;
  auth: ReadonlyMap<string, DigestServer>;
  callsOnTrunk(trunk: string): number;
  timers: SessionTimerConfig;
  /** Every call goes to this agent instead (trunkgate start --agent). */
  agentOverride?: string | undefined;
}

/** The RFC 4028 headers of a request, as decideSessionTimer reads them. */
export function timerHeaders(req: Srf.SrfRequest): Parameters<typeof decideSessionTimer>[0] {
  return { sessionExpires: req.get('Session-Expires') || undefined, minSe: req.get('Min-SE') || undefined, supported: req.get('Supported') || undefined, require: req.get('Require') || undefined };
}

export function admit(req: Srf.SrfRequest, ctx: AdmissionContext): Admitted | Refusal {
  if (ctx.draining) return { reason: 'shutting_down', status: 503, trunk: '-', headers: { 'Retry-After': RETRY_AFTER_SECONDS } };

  const trunk = ctx.router.trunkFor(ctx.carrierAddress);
  if (!trunk) return { reason: 'no_trunk_for_source', status: 403, trunk: '-', detail: { address: ctx.carrierAddress, ...(ctx.carrierAddress !== req.source_address ? { proxy: req.source_address } : {}) } };

  const digest = ctx.auth.get(trunk.name);
  if (digest) {
    const verdict = digest.verify('INVITE', req.get('Authorization') || undefined);
    if (!verdict.ok) {
      return {
        reason: verdict.code === 'AUTH_MISSING' ? 'auth_required' : 'auth_failed', status: 401, trunk: trunk.name,
        // The gateway's servers offer one algorithm (MD5, what carriers answer), so one header value.
        detail: { trunk: trunk.name, code: verdict.code }, headers: { 'WWW-Authenticate': digest.challenge({ stale: verdict.code === 'AUTH_STALE' }).values[0]! },
      };
    }
  }

  const match = ctx.router.routeOnTrunk(trunk.name, req.uri);
  if (isRefusal(match)) return { reason: match.reason, status: 404, trunk: trunk.name, detail: { ...match } };
  const target: RouteTarget = ctx.agentOverride ? { kind: 'agent', agent: ctx.agentOverride } : match.target;

  if (ctx.callsOnTrunk(trunk.name) >= trunk.max_calls) {
    return { reason: 'over_capacity', status: 503, trunk: trunk.name, detail: { trunk: trunk.name, maxCalls: trunk.max_calls }, headers: { 'Retry-After': RETRY_AFTER_SECONDS } };
  }

  const timer = decideSessionTimer(timerHeaders(req), ctx.timers);
  if (timer.kind === 'too-small') return { reason: 'session_interval_too_small', status: 422, trunk: trunk.name, headers: { 'Min-SE': String(timer.minSe) } };

  return { trunk, target, dialled: match.dialled, normalized: match.normalized, timer };
}

export function isAdmitted(a: Admitted | Refusal): a is Admitted {
  return 'target' in a;
}
