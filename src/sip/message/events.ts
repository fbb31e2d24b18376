/** RFC 6665 §8.2 typed headers: Event (§8.2.1) and Subscription-State (§8.2.3). */
import { SipParseError } from './errors.js';
import { isTokenChar, parseParams, skipWs } from './scan.js';
import type { Params } from './types.js';

export interface EventHeader {
  /** event-type as sent (`refer`, `presence`, `dialog` …). */
  type: string;
  /** The `id` parameter, which tells subscriptions in one dialog apart (§8.2.1). */
  id?: string;
  params: Params;
}

export interface SubscriptionState {
  /** substate-value lower-cased: `active`, `pending`, `terminated`, or an extension token. */
  state: string;
  /** `reason` (§8.2.3: deactivated, probation, rejected, timeout, giveup, noresource, invariant). */
  reason?: string;
  expires?: number;
  retryAfter?: number;
  params: Params;
}

/**
 * Leading token, then parameters — the shape of both headers, read as sofia-sip's sip_event_d and
 * sip_subscription_state_d (sip_event.c) do: Event must end after its parameters; after the
 * substate of Subscription-State, text that does not start parameters is ignored (`lenient`).
 */
function tokenWithParams(value: string, what: string, lenient: boolean): { token: string; params: Params } {
  let i = skipWs(value, 0);
  const start = i;
  while (i < value.length && isTokenChar(value.charCodeAt(i))) i++;
  const token = value.slice(start, i);
  if (!token) throw new SipParseError('BAD_HEADER_VALUE', `Bad ${what}`);
  i = skipWs(value, i);
  if (i < value.length && value[i] !== ';') {
    if (lenient) return { token, params: {} };
    throw new SipParseError('BAD_HEADER_VALUE', `Bad ${what}`);
  }
  return { token, params: i < value.length ? parseParams(value, i, 'BAD_HEADER_VALUE') : {} };
}

/** Event (RFC 6665 §8.2.1): `event-type *( SEMI event-param )`. Throws SipParseError BAD_HEADER_VALUE. */
export function parseEvent(value: string): EventHeader {
  const { token, params } = tokenWithParams(value, 'Event', false);
  const ev: EventHeader = { type: token, params };
  if (typeof params.id === 'string') ev.id = params.id;
  return ev;
}

/** Subscription-State (RFC 6665 §8.2.3): `substate-value *( SEMI subexp-params )`. Throws SipParseError BAD_HEADER_VALUE. */
export function parseSubscriptionState(value: string): SubscriptionState {
  const { token, params } = tokenWithParams(value, 'Subscription-State', true);
  const ss: SubscriptionState = { state: token.toLowerCase(), params };
  if (typeof params.reason === 'string') ss.reason = params.reason.toLowerCase();
  const expires = Number(params.expires);
  if (typeof params.expires === 'string' && /^\d+$/.test(params.expires)) ss.expires = expires;
  if (typeof params['retry-after'] === 'string' && /^\d+$/.test(params['retry-after'])) ss.retryAfter = Number(params['retry-after']);
  return ss;
}

/**
 * Whether a NOTIFY ends its subscription (RFC 6665 §4.1.3: "terminated"). drachtio-server tests
 * the substate with strstr(…, "terminated") (sip-dialog-controller.cpp); a Subscription-State that
 * cannot be parsed ends nothing here.
 */
export function endsSubscription(request: { method: string; headers: { get(name: string): string | undefined } }): boolean {
  if (request.method !== 'NOTIFY') return false;
  const value = request.headers.get('subscription-state');
  if (!value) return false;
  try {
    return parseSubscriptionState(value).state === 'terminated';
  } catch {
    return false;
  }
}
