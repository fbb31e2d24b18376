/**
 * Does a TLS server's certificate name the host a request is for? RFC 5922 §7.3: the client
 * compares the domain of the URI it set out to reach with the SIP domain identities of the
 * server's certificate, and the server is authenticated only on a match.
 *
 * The matching is Node's tls.checkServerIdentity (RFC 6125: subjectAltName DNS names, a wildcard
 * in the left-most label; IP addresses against IP SANs only; the subject CN only when the
 * certificate has no DNS SAN), plus the `URI:sip:<domain>` SAN that RFC 5922 §7.1 names as the
 * preferred form of a SIP domain identity (a sip URI with no user part: its host part).
 * Differences from RFC 5922 §7.2, kept for interoperability with carriers' web-PKI certificates:
 * wildcards are honoured, and DNS SANs count even when a sip URI SAN is present.
 */
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';

/** undefined when `cert` names one of `names`; else the error for the first name (code ERR_TLS_CERT_ALTNAME_INVALID). */
export function serverIdentityError(names: readonly string[], cert: PeerCertificate): Error | undefined {
  let first: Error | undefined;
  for (const name of names) {
    const err = checkServerIdentity(name, cert);
    if (!err) return undefined;
    if (!isIP(name) && sipUriIdentities(cert).includes(name.toLowerCase())) return undefined;
    first ??= err;
  }
  return first;
}

/** RFC 5922 §7.1: the host parts of `URI:sip:<host>` subjectAltName entries without a user part, lower case. */
export function sipUriIdentities(cert: Pick<PeerCertificate, 'subjectaltname'>): string[] {
  const out: string[] = [];
  for (const entry of (cert.subjectaltname ?? '').split(/,\s*/)) {
    const m = /^URI:"?sip:([^@;?>"]+)"?$/i.exec(entry.trim());
    if (m) out.push(m[1]!.toLowerCase());
  }
  return out;
}
