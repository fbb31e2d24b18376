/**
 * Low-level scanning shared by the header parsers (RFC 3261 §25.1): token characters, quoted
 * strings, comma-separated lists and `;param` lists. Written as index loops over the string
 * (no backtracking regexes), since every received message goes through here.
 */
import { SipParseError, type SipParseErrorCode } from './errors.js';
import type { Params } from './types.js';

const TOKEN = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`\'~') TOKEN[c.charCodeAt(0)] = 1;

// generic-param values: token / host, including IPv6 references (RFC 3261 §25.1 gen-value)
const PARAM_VALUE = new Uint8Array(128);
for (let c = 0; c < 128; c++) PARAM_VALUE[c] = TOKEN[c]!;
for (const c of ':[]') PARAM_VALUE[c.charCodeAt(0)] = 1;

/** RFC 3261 §25.1 token character. */
export function isTokenChar(code: number): boolean {
  return code < 128 && TOKEN[code] === 1;
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

export function isWs(code: number): boolean {
  return code === 32 || code === 9 || code === 13 || code === 10;
}

/** Trims SP / HTAB / CR / LF only (String.prototype.trim would also eat Unicode spaces of UTF-8 values). */
export function trimLws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isWs(s.charCodeAt(a))) a++;
  while (b > a && isWs(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

export function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}

/**
 * Index just past the closing quote of the quoted-string starting at `start` (which must be `"`),
 * honouring quoted-pair escapes (RFC 3261 §25.1). Returns -1 when the quote is not closed.
 */
export function endOfQuoted(s: string, start: number): number {
  for (let i = start + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 /* \ */) i++;
    else if (c === 34 /* " */) return i + 1;
  }
  return -1;
}

/** Removes the surrounding quotes and the quoted-pair escapes of a quoted-string. */
export function unquote(s: string): string {
  if (s.length < 2 || s.charCodeAt(0) !== 34 || s.charCodeAt(s.length - 1) !== 34) return s;
  const inner = s.slice(1, -1);
  if (inner.indexOf('\\') < 0) return inner;
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i]!;
    if (ch === '\\' && i + 1 < inner.length) { out += inner[i + 1]; i++; } else out += ch;
  }
  return out;
}

/** Wraps a string in quotes, escaping `"` and `\` as quoted-pairs. */
export function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '"' || ch === '\\') out += '\\';
    out += ch;
  }
  return out + '"';
}

/**
 * Splits a header value on top-level commas, ignoring commas inside quoted strings and `<…>`
 * (RFC 3261 §7.3.1: multiple values of one header may be combined with commas).
 * Empty elements are dropped; elements are trimmed.
 */
export function splitList(value: string, code: SipParseErrorCode = 'BAD_HEADER_VALUE'): string[] {
  if (value.indexOf(',') < 0) {
    const t = trimLws(value);
    return t ? [t] : [];
  }
  const out: string[] = [];
  let start = 0;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 34) {
      const end = endOfQuoted(value, i);
      if (end < 0) throw new SipParseError(code, 'Unbalanced quotes');
      i = end - 1;
    } else if (c === 60 /* < */) angle = true;
    else if (c === 62 /* > */) angle = false;
    else if (c === 44 /* , */ && !angle) {
      const part = trimLws(value.slice(start, i));
      if (part) out.push(part);
      start = i + 1;
    }
  }
  const last = trimLws(value.slice(start));
  if (last) out.push(last);
  return out;
}

/**
 * Parses `;name[=value]` parameters from `s` starting at index `i` (at a `;` or whitespace) until
 * the end of the string. Names are lower-cased; values are kept as written (quoted values keep
 * their quotes so the header re-serializes unchanged). LWS around `;` and `=` is allowed (§25.1 SEMI, EQUAL).
 */
export function parseParams(s: string, i: number, code: SipParseErrorCode, out: Params = {}): Params {
  const n = s.length;
  for (;;) {
    i = skipWs(s, i);
    if (i >= n) return out;
    if (s.charCodeAt(i) !== 59 /* ; */) throw new SipParseError(code, 'Bad parameter list');
    i = skipWs(s, i + 1);
    const nameStart = i;
    let upper = false;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128 || TOKEN[c] !== 1) break;
      if (c >= 65 && c <= 90) upper = true;
    }
    if (i === nameStart) throw new SipParseError(code, 'Empty parameter name');
    const name = upper ? s.slice(nameStart, i).toLowerCase() : s.slice(nameStart, i);
    i = skipWs(s, i);
    if (i < n && s.charCodeAt(i) === 61 /* = */) {
      i = skipWs(s, i + 1);
      if (i < n && s.charCodeAt(i) === 34) {
        const end = endOfQuoted(s, i);
        if (end < 0) throw new SipParseError(code, 'Unbalanced quotes');
        out[name] = s.slice(i, end);
        i = end;
      } else {
        const vs = i;
        // token / host (IPv6 reference) characters
        while (i < n) {
          const c = s.charCodeAt(i);
          if (c > 127 || PARAM_VALUE[c] === 1) i++;
          else break;
        }
        if (i === vs) throw new SipParseError(code, 'Empty parameter value');
        out[name] = s.slice(vs, i);
      }
    } else {
      out[name] = null;
    }
  }
}

/** Serializes parameters as `;name=value` / `;name`. */
export function formatParams(params: Params): string {
  let out = '';
  for (const k in params) {
    const v = params[k];
    out += v === null || v === undefined ? `;${k}` : `;${k}=${v}`;
  }
  return out;
}
