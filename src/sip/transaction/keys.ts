/**
 * Transaction matching keys.
 *
 * Client side, RFC 3261 §17.1.3: a response matches the client transaction whose request had the
 * same top-Via branch and the same CSeq method (a CANCEL has its own transaction).
 *
 * Server side, §17.2.3: with the magic cookie `z9hG4bK`, a request matches on branch + sent-by of
 * the top Via + method, "except for ACK, where the method of the request that created the
 * transaction is INVITE". Without the cookie (RFC 2543 peers) the request matches on Request-URI,
 * To tag, From tag, Call-ID, CSeq and top Via; for an ACK the To tag is the one of the response
 * the transaction sent, so the To tag is compared separately (see ServerTransaction.matches2543).
 */
import type { SipRequest, SipResponse, Via } from '../message/index.js';

export const MAGIC_COOKIE = 'z9hG4bK';

function topVia(m: SipRequest | SipResponse): Via | undefined {
  return m.vias[0];
}

export function clientKey(branch: string, method: string): string {
  return `${branch}\u0000${method}`;
}

/** Key of the client transaction a response belongs to, or undefined if it has no branch. */
export function clientKeyOfResponse(res: SipResponse): string | undefined {
  const branch = topVia(res)?.params.branch;
  if (!branch) return undefined;
  return clientKey(branch, res.cseq.method);
}

function sentBy(via: Via): string {
  return `${via.host.toLowerCase()}:${via.port ?? ''}`;
}

/**
 * Server-transaction key of a request. `asMethod` overrides the method (ACK and CANCEL look up
 * the INVITE transaction with 'INVITE').
 */
export function serverKey(req: SipRequest, asMethod?: string): string | undefined {
  const via = topVia(req);
  if (!via) return undefined;
  const method = asMethod ?? (req.method === 'ACK' ? 'INVITE' : req.method);
  const branch = via.params.branch;
  if (branch && branch.startsWith(MAGIC_COOKIE)) return `${branch}\u0000${sentBy(via)}\u0000${method}`;
  // RFC 2543 fallback (§17.2.3, last paragraphs): everything but the To tag, which the caller checks.
  return [
    '2543',
    req.uri,
    req.from.params.tag ?? '',
    req.callId,
    String(req.cseq.seq),
    `${via.transport}/${sentBy(via)}/${via.params.branch ?? ''}`,
    method,
  ].join('\u0000');
}

export function isRfc3261Branch(req: SipRequest): boolean {
  return (topVia(req)?.params.branch ?? '').startsWith(MAGIC_COOKIE);
}
