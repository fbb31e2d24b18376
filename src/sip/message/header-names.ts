/** Header names: compact forms (RFC 3261 §7.3.3 and extensions) and which headers are comma lists. */

/** Compact form → canonical full name. */
export const COMPACT_FORMS: Readonly<Record<string, string>> = {
  v: 'Via', f: 'From', t: 'To', m: 'Contact', i: 'Call-ID', l: 'Content-Length', c: 'Content-Type',
  e: 'Content-Encoding', k: 'Supported', s: 'Subject', r: 'Refer-To', b: 'Referred-By', o: 'Event',
  u: 'Allow-Events', x: 'Session-Expires', a: 'Accept-Contact', j: 'Reject-Contact', d: 'Request-Disposition', y: 'Identity', n: 'Identity-Info',
};

// Header names repeat endlessly; remembering their keys saves a lower-casing allocation per header.
const KEY_CACHE = new Map<string, string>();
const KEY_CACHE_MAX = 1024;

/** Lower-case key used for lookups: compact forms are expanded. */
export function headerKey(name: string): string {
  const cached = KEY_CACHE.get(name);
  if (cached !== undefined) return cached;
  let key = name.toLowerCase();
  if (key.length === 1) {
    const full = COMPACT_FORMS[key];
    if (full) key = full.toLowerCase();
  }
  if (KEY_CACHE.size < KEY_CACHE_MAX) KEY_CACHE.set(name, key);
  return key;
}

/** The full name to store for a header as received: compact forms are expanded, others kept as written. */
export function normalizeHeaderName(name: string): string {
  if (name.length === 1) return COMPACT_FORMS[name.toLowerCase()] ?? name;
  return name;
}

/**
 * Headers whose grammar is a comma-separated list (RFC 3261 §7.3.1). WWW-Authenticate and friends are
 * NOT here: their parameters are comma-separated too, so they cannot be split naively.
 */
export const LIST_HEADERS: ReadonlySet<string> = new Set([
  'via', 'route', 'record-route', 'contact', 'supported', 'require', 'proxy-require', 'unsupported',
  'allow', 'accept', 'accept-encoding', 'accept-language', 'allow-events', 'content-encoding',
  'content-language', 'in-reply-to', 'path', 'service-route', 'p-asserted-identity',
  'p-preferred-identity', 'security-client', 'security-server', 'security-verify', 'privacy',
  'accept-contact', 'reject-contact', 'request-disposition', 'history-info', 'diversion', 'error-info',
  'alert-info', 'call-info', 'reason',
]);
