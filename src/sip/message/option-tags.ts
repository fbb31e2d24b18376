/**
 * Option tags on a message (Supported §20.37, Require §20.32, Unsupported §20.40): the look-ups
 * RFC 3262 (100rel) and the §8.2.2.3 Require check need. Tags are tokens, compared
 * case-insensitively (§7.3.1), so they are returned lower-cased.
 */
import { splitList } from './scan.js';
import type { SipHeaders } from './sip-headers.js';

/** Every option tag of every `name` header, lower-cased. Throws SipParseError on a malformed list. */
export function optionTags(headers: SipHeaders, name: string): string[] {
  const out: string[] = [];
  for (const v of headers.getAll(name)) {
    for (const t of splitList(v)) if (t) out.push(t.toLowerCase());
  }
  return out;
}

/** True when a `name` header (Supported, Require …) lists `tag`. A malformed list counts as absent. */
export function hasOptionTag(headers: SipHeaders, name: string, tag: string): boolean {
  try {
    return optionTags(headers, name).includes(tag.toLowerCase());
  } catch {
    return false;
  }
}

/**
 * §8.2.2.3: the Require option tags of a request that are not in `supported` (each once, as the
 * request wrote them, lower-cased) — what a UAS lists in Unsupported with its 420 (Bad Extension).
 * A malformed Require yields nothing (the request goes on and is judged elsewhere).
 */
export function unsupportedRequired(headers: SipHeaders, supported: readonly string[]): string[] {
  let required: string[];
  try {
    required = optionTags(headers, 'require');
  } catch {
    return [];
  }
  const known = new Set(supported.map((s) => s.toLowerCase()));
  return [...new Set(required.filter((t) => !known.has(t)))];
}
