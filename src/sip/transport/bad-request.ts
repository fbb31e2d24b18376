/**
 * Builds the 400 for a request that failed to parse (RFC 3261 §8.2.6 / §21.4.1), from the raw
 * bytes alone so it works whatever part of the message was broken. The reason phrase carries the
 * parser's reason. Returns undefined when the bytes are not a request or lack the headers a
 * response needs (Via, From, To, Call-ID, CSeq): then the packet is dropped.
 */

const COMPACT: Record<string, string> = { v: 'via', f: 'from', t: 'to', i: 'call-id' };
const NEEDED = ['via', 'from', 'to', 'call-id', 'cseq'] as const;

export function buildBadRequestResponse(raw: Buffer, reason: string): Buffer | undefined {
  const text = raw.toString('latin1');
  const headEnd = text.indexOf('\r\n\r\n');
  const head = headEnd >= 0 ? text.slice(0, headEnd) : text;
  const lines = head.split(/\r?\n/);
  const first = lines[0] ?? '';
  if (/^SIP\//i.test(first) || !/^\S+ /.test(first)) return undefined; // responses are dropped, not answered
  if (/^ACK /i.test(first)) return undefined; // §17.2.1: never answer an ACK
  // Unfold continuation lines (§7.3.1).
  const unfolded: string[] = [];
  for (const line of lines.slice(1)) {
    if (/^[ \t]/.test(line) && unfolded.length > 0) unfolded[unfolded.length - 1] += ' ' + line.trim();
    else unfolded.push(line);
  }
  const found: Record<string, string[]> = {};
  for (const line of unfolded) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const rawName = line.slice(0, colon).trim().toLowerCase();
    const name = COMPACT[rawName] ?? rawName;
    if (!(NEEDED as readonly string[]).includes(name)) continue;
    (found[name] ??= []).push(line.slice(colon + 1).trim());
  }
  if (!NEEDED.every((n) => found[n] && found[n]!.length > 0)) return undefined;
  const phrase = (reason || 'Bad Request').replace(/[\r\n]+/g, ' ').slice(0, 200);
  const out = [`SIP/2.0 400 ${phrase}`];
  for (const v of found.via!) out.push(`Via: ${v}`);
  out.push(`From: ${found.from![0]}`);
  let to = found.to![0]!;
  if (!/;\s*tag=/i.test(to)) to += `;tag=${Math.random().toString(36).slice(2, 12)}`;
  out.push(`To: ${to}`);
  out.push(`Call-ID: ${found['call-id']![0]}`);
  out.push(`CSeq: ${found.cseq![0]}`);
  out.push('Content-Length: 0', '', '');
  return Buffer.from(out.join('\r\n'), 'latin1');
}
