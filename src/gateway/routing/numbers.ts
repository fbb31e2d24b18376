/**
 * Lenient number normalisation. Carriers write the same number as +919876543210,
 * 919876543210, 00919876543210 or 09876543210 (national prefix 0). With the trunk's country code
 * all of these become the E.164 digits `919876543210` (ITU-T E.164 §6: country code + national
 * significant number), and routes compare on that form.
 */
import { TrunkgateError } from '../../errors.js';

export interface NumberContext {
  /** Country calling code of the trunk, e.g. '91'. Without it national numbers stay as dialled. */
  countryCode?: string | undefined;
  /** National trunk prefix (default '0'). */
  nationalPrefix?: string | undefined;
}

/** Visual separators allowed in telephone-subscriber (RFC 3966 §3: '-', '.', '(', ')'). */
const SEPARATORS = /[\s\-.()]/g;

/** The user part of a SIP/tel URI: `sip:+919876543210@host;user=phone` → `+919876543210`. */
export function userOf(uri: string): string {
  const m = /^(?:sips?|tel):([^@;?>]*)/i.exec(uri.trim().replace(/^<|>$/g, ''));
  const user = m ? m[1]! : uri;
  try { return decodeURIComponent(user); } catch { return user; }
}

/**
 * E.164 digits without '+' when the form is recognisable, else the dialled digits (with * and #
 * kept) so that short codes still match exact patterns.
 */
export function normalizeNumber(dialled: string, ctx: NumberContext = {}): string {
  const raw = dialled.replace(SEPARATORS, '');
  const national = ctx.nationalPrefix ?? '0';
  const cc = ctx.countryCode;
  if (raw.startsWith('+')) return raw.slice(1);
  if (raw.startsWith('00')) return raw.slice(2);
  if (!cc) return raw;
  if (national && raw.startsWith(national) && raw.length > national.length) return cc + raw.slice(national.length);
  // Country code + a national significant number of 9+ digits (E.164 allows 15 in all). A bare
  // 10-digit national number may itself begin with the country code digits (91… in India).
  if (raw.startsWith(cc) && raw.length - cc.length >= 9 && raw.length <= 15 && !/^\d{10}$/.test(raw)) return raw;
  // A bare national significant number (no prefix at all) of typical length.
  if (/^\d{8,12}$/.test(raw)) return cc + raw;
  return raw;
}

export type NumberPattern =
  | { kind: 'any' }
  | { kind: 'exact'; digits: string }
  | { kind: 'prefix'; digits: string }
  | { kind: 'regex'; regex: RegExp };

export class InvalidPatternError extends TrunkgateError<'ROUTING_PATTERN_INVALID'> {
  constructor(readonly pattern: string) {
    super('ROUTING_PATTERN_INVALID', `invalid number pattern: ${pattern}`);
  }
}

/**
 * '*' any number; '+91987*' a prefix; '+919876543210' exact; '/^91(98|99)\d{8}$/' a regular
 * expression tested on the normalised digits. Prefix and exact patterns are normalised with the
 * same context as the numbers, so '+91…', '91…' and '0…' patterns all mean the same.
 */
export function compilePattern(pattern: string, ctx: NumberContext = {}): NumberPattern {
  const p = pattern.trim();
  if (p === '*' || p === '') return { kind: 'any' };
  if (p.length > 2 && p.startsWith('/') && p.endsWith('/')) {
    try { return { kind: 'regex', regex: new RegExp(p.slice(1, -1)) }; } catch { throw new InvalidPatternError(pattern); }
  }
  if (!/^\+?[\d\s\-.()*#]+$/.test(p)) throw new InvalidPatternError(pattern);
  if (p.endsWith('*') && p.length > 1) {
    const body = p.slice(0, -1);
    return { kind: 'prefix', digits: normalizePrefix(body, ctx) };
  }
  return { kind: 'exact', digits: normalizeNumber(p, ctx) };
}

/** Prefixes are short, so the "bare national number" rule must not apply to them. */
function normalizePrefix(prefix: string, ctx: NumberContext): string {
  const raw = prefix.replace(SEPARATORS, '');
  const national = ctx.nationalPrefix ?? '0';
  if (raw.startsWith('+')) return raw.slice(1);
  if (raw.startsWith('00')) return raw.slice(2);
  if (ctx.countryCode && national && raw.startsWith(national)) return ctx.countryCode + raw.slice(national.length);
  return raw;
}

export function matchesPattern(pattern: NumberPattern, normalized: string): boolean {
  switch (pattern.kind) {
    case 'any': return true;
    case 'exact': return normalized === pattern.digits;
    case 'prefix': return normalized.startsWith(pattern.digits);
    case 'regex': return pattern.regex.test(normalized);
  }
}
