/**
 * The pieces of RFC 3515 transfer signalling the gateway reads: the status line of a NOTIFY's
 * `message/sipfrag` body (RFC 3420), the Subscription-State header (RFC 6665 §8.2.3) and the Event
 * header's id (RFC 3515 §2.4.6: `refer;id=<REFER's CSeq>`). Lenient on form, strict on meaning:
 * anything without a readable status line is `undefined`, never a guess.
 */

/** `SIP/2.0 180 Ringing` → 180. The body may carry headers after the status line. */
export function sipfragStatus(body: string | undefined): number | undefined {
  if (!body) return undefined;
  const m = /^\s*SIP\/2\.0\s+([1-6]\d\d)\b/i.exec(body);
  return m ? Number(m[1]) : undefined;
}

export interface SubscriptionState {
  state: 'active' | 'pending' | 'terminated' | string;
  reason?: string;
  expires?: number;
}

/** `terminated;reason=noresource` → { state: 'terminated', reason: 'noresource' }. */
export function parseSubscriptionState(value: string | undefined): SubscriptionState | undefined {
  if (!value) return undefined;
  const [head, ...params] = value.split(';').map((s) => s.trim());
  if (!head) return undefined;
  const out: SubscriptionState = { state: head.toLowerCase() };
  for (const p of params) {
    const [k, v] = p.split('=').map((s) => s.trim());
    if (k?.toLowerCase() === 'reason' && v) out.reason = v.toLowerCase();
    if (k?.toLowerCase() === 'expires' && v && /^\d+$/.test(v)) out.expires = Number(v);
  }
  return out;
}

/** `refer;id=93809824` → { package: 'refer', id: '93809824' }. */
export function parseEvent(value: string | undefined): { package: string; id?: string } | undefined {
  if (!value) return undefined;
  const [head, ...params] = value.split(';').map((s) => s.trim());
  if (!head) return undefined;
  const id = params.map((p) => p.split('=')).find(([k]) => k?.trim().toLowerCase() === 'id')?.[1]?.trim();
  return { package: head.toLowerCase(), ...(id ? { id } : {}) };
}

/** A NOTIFY body for our own implicit subscription (we are the REFER recipient). */
export function sipfragBody(status: number, reason: string): string {
  return `SIP/2.0 ${status} ${reason}\r\n`;
}
