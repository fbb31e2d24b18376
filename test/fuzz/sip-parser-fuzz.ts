/**
 * `npm run fuzz`: mutates the RFC 4475 / RFC 5118 torture messages and feeds them to parseMessage.
 * The only acceptable failure is a SipParseError; a message that parses must also re-serialize and
 * parse again with the same typed views. Exits non-zero on any other outcome.
 *
 *   tsx test/fuzz/sip-parser-fuzz.ts [iterations=200000] [seed=random]
 */
import { isDeepStrictEqual } from 'node:util';
import {
  parseAuthChallenge, parseContact, parseMessage, parseMultipart, parseOptionTags, parseReplaces, parseSessionExpires,
  SipParseError, StreamFramer, type SipMessage,
} from '../../src/sip/message/index.js';
import { loadCorpus, mutate, rng } from './mutate.js';

function views(m: SipMessage): unknown {
  return [m.kind === 'request' ? [m.method, m.uri] : [m.status, m.reason], m.callId, m.cseq, m.from, m.to, m.vias,
    m.headers.fields().filter((f) => f.name.toLowerCase() !== 'content-length'), m.body.toString('hex')];
}

const iterations = Number(process.argv[2] ?? 200_000);
const seed = Number(process.argv[3] ?? Math.floor(Math.random() * 2 ** 31));
const random = rng(seed);
const corpus = loadCorpus();
// Three in four inputs start from a message that parses, so mutations reach the deeper checks.
const valid = corpus.filter((b) => { try { parseMessage(b); return true; } catch { return false; } });
const counts = { parsed: 0, rejected: 0, crashes: 0, roundTripFailures: 0, lazyRejected: 0, framed: 0 };

/** Typed views parsed on demand (not validated by parseMessage) must also fail only with SipParseError. */
function lazyViews(m: SipMessage): void {
  const tries: (() => unknown)[] = [
    () => m.contentType, () => m.maxForwards,
    () => m.headers.getAll('contact').forEach((c) => parseContact(c)),
    () => m.headers.getAll('www-authenticate').forEach(parseAuthChallenge),
    () => m.headers.getAll('authorization').forEach(parseAuthChallenge),
    () => m.headers.getAll('require').forEach(parseOptionTags),
    () => m.headers.getAll('supported').forEach(parseOptionTags),
    () => m.headers.getAll('replaces').forEach(parseReplaces),
    () => m.headers.getAll('session-expires').forEach(parseSessionExpires),
    () => { const ct = m.contentType; if (ct?.type === 'multipart') parseMultipart(m.body, ct); },
  ];
  for (const t of tries) {
    try { t(); } catch (err) {
      if (!(err instanceof SipParseError)) throw err;
      counts.lazyRejected++;
    }
  }
}

/** The same bytes through the stream framer, in random chunks. */
function frame(input: Buffer): void {
  const framer = new StreamFramer({ onMessage: () => counts.framed++, onError: () => undefined, onPing: () => undefined });
  for (let at = 0; at < input.length;) {
    const n = 1 + Math.floor(random() * 200);
    framer.push(input.subarray(at, at + n));
    at += n;
  }
}
const codes = new Map<string, number>();
const failures: string[] = [];
const started = Date.now();

for (let i = 0; i < iterations; i++) {
  const pool = random() < 0.75 ? valid : corpus;
  const input = mutate(pool[Math.floor(random() * pool.length)]!, random);
  try {
    frame(input);
  } catch (err) {
    counts.crashes++;
    if (failures.length < 10) failures.push(`framer crash #${i}: ${String(err)}\n  input(base64)=${input.toString('base64')}`);
  }
  let m: SipMessage;
  try {
    m = parseMessage(input);
  } catch (err) {
    if (err instanceof SipParseError) {
      counts.rejected++;
      codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
    } else {
      counts.crashes++;
      if (failures.length < 10) failures.push(`crash #${i}: ${String(err)}\n  input(base64)=${input.toString('base64')}`);
    }
    continue;
  }
  counts.parsed++;
  try {
    lazyViews(m);
  } catch (err) {
    counts.crashes++;
    if (failures.length < 10) failures.push(`lazy view crash #${i}: ${String(err)}\n  input(base64)=${input.toString('base64')}`);
  }
  try {
    const again = parseMessage(m.toBuffer());
    if (!isDeepStrictEqual(views(again), views(m))) throw new Error('typed views differ after re-serialization');
  } catch (err) {
    counts.roundTripFailures++;
    if (failures.length < 10) failures.push(`round trip #${i}: ${String(err)}\n  input(base64)=${input.toString('base64')}`);
  }
}

const seconds = (Date.now() - started) / 1000;
process.stdout.write(`sip-parser-fuzz: ${iterations} mutations of ${corpus.length} messages (${valid.length} valid), seed ${seed}, ${seconds.toFixed(1)} s\n`);
process.stdout.write(`  parsed ${counts.parsed}, rejected with SipParseError ${counts.rejected}, ` +
  `other throws ${counts.crashes}, round-trip failures ${counts.roundTripFailures}\n`);
process.stdout.write(`  lazy typed views rejected with SipParseError ${counts.lazyRejected}; stream framer delivered ${counts.framed} messages\n`);
process.stdout.write(`  rejection codes: ${[...codes.entries()].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c}=${n}`).join(' ')}\n`);
for (const f of failures) process.stdout.write(f + '\n');
process.exitCode = counts.crashes + counts.roundTripFailures > 0 ? 1 : 0;
