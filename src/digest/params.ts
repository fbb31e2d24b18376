/**
 * The auth-param list of a Digest challenge or credentials (RFC 7616 §3.3, §3.4), read leniently:
 * `Digest k=v, k="v"`, names lower-cased, quoted values unquoted. The SIP header parser
 * (src/sip/message/auth.ts) is the strict one; this one serves the digest server, which answers
 * anything it cannot read with AUTH_MALFORMED.
 */

/** The parameters of `Digest …`, or undefined when the scheme is not Digest. */
export function parseDigestParams(header: string): Record<string, string> | undefined {
  const m = /^\s*Digest\s+(.*)$/is.exec(header);
  if (!m) return undefined;
  const out: Record<string, string> = {};
  const re = /([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))\s*(?:,|$)/g;
  let hit: RegExpExecArray | null;
  while ((hit = re.exec(m[1]!)) !== null) out[hit[1]!.toLowerCase()] = hit[2] !== undefined ? hit[2].replace(/\\(.)/g, '$1') : hit[3]!;
  return out;
}

// RFC 7616 §3.3: in a challenge `algorithm` and `stale` are tokens, everything else quoted.
const TOKENS = new Set(['algorithm', 'stale']);

/** `Digest realm="…", nonce="…", algorithm=…` from challenge parameters, in their order. */
export function formatDigestChallenge(params: Record<string, string>): string {
  const parts = Object.entries(params).map(([k, v]) => `${k}=${TOKENS.has(k) ? v : `"${v.replace(/(["\\])/g, '\\$1')}"`}`);
  return `Digest ${parts.join(', ')}`;
}
