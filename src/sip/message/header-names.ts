/** Header names: compact forms (RFC 3261 §7.3.3 and extensions) and which headers are comma lists. */

/** Canonical spelling of the headers a SIP stack meets on every message. */
const COMMON_NAMES = [
  'Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Max-Forwards', 'Content-Length', 'Content-Type', 'Route',
  'Record-Route', 'Allow', 'Supported', 'Require', 'User-Agent', 'Server', 'Expires', 'Session-Expires', 'Min-SE',
  'P-Asserted-Identity', 'Reason', 'Accept', 'Authorization', 'WWW-Authenticate', 'Proxy-Authorization',
  'Proxy-Authenticate', 'Event', 'Subscription-State', 'Refer-To', 'Referred-By', 'Replaces', 'Date', 'Timestamp',
  'Content-Disposition', 'Allow-Events', 'RSeq', 'RAck', 'Privacy', 'Diversion', 'Subject', 'Organization', 'Warning',
];

const KNOWN_KEYS = COMMON_NAMES.map((n) => n.toLowerCase());
const BY_LENGTH: number[][] = [];
COMMON_NAMES.forEach((name, i) => (BY_LENGTH[name.length] ??= []).push(i));

/** The canonical spelling and lookup key of the result of matchCommonName. */
export function commonName(match: number): string {
  return COMMON_NAMES[match < 0 ? -match - 1 : match]!;
}

export function commonKey(match: number): string {
  return KNOWN_KEYS[match < 0 ? -match - 1 : match]!;
}

/**
 * Recognizes a common header name written in `text` between `start` and `end` without slicing it
 * (the parse loop's hot path). Returns the index of the name when the text is spelled exactly
 * like it, `-(index + 1)` when it matches only case-insensitively, and NaN otherwise.
 */
export function matchCommonName(text: string, start: number, end: number): number {
  const list = BY_LENGTH[end - start];
  if (list === undefined) return NaN;
  for (let k = 0; k < list.length; k++) {
    const idx = list[k]!;
    const name = COMMON_NAMES[idx]!;
    const key = KNOWN_KEYS[idx]!;
    let exact = true;
    let i = 0;
    for (; i < key.length; i++) {
      const c = text.charCodeAt(start + i);
      if (c === name.charCodeAt(i)) continue;
      exact = false;
      // letters compare case-insensitively; everything else must be equal
      const lower = c | 32;
      if (lower !== key.charCodeAt(i) || lower < 97 || lower > 122) break;
    }
    if (i === key.length) return exact ? idx : -idx - 1;
  }
  return NaN;
}

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
/**
 * The canonical spelling of a header name when it is a common one (`require` → `Require`,
 * compact forms expanded), else the name as given — what a stack that re-serializes the headers it
 * knows (sofia-sip, under drachtio-server) puts on the wire.
 */
export function canonicalHeaderName(name: string): string {
  const full = normalizeHeaderName(name);
  const i = KNOWN_KEYS.indexOf(full.toLowerCase());
  return i < 0 ? full : COMMON_NAMES[i]!;
}

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
