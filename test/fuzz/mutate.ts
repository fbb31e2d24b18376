/**
 * Byte-level mutations of SIP messages for the parser fuzz run and property tests: flips, deletions,
 * truncations, insertions of bytes that are special to the SIP grammar, and slice duplication.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** Every RFC 4475 message shipped by the npm package `sip`, plus RFC 5118 fixtures. */
export function loadCorpus(): Buffer[] {
  const dir = join(dirname(require.resolve('sip/package.json')), 'test', 'messages');
  const out = readdirSync(dir).filter((f) => f.endsWith('.dat')).sort().map((f) => readFileSync(join(dir, f)));
  const v6 = join(dirname(new URL(import.meta.url).pathname), '..', 'sip', 'message', 'fixtures', 'rfc5118');
  for (const f of readdirSync(v6).sort()) out.push(readFileSync(join(v6, f)));
  return out;
}

const SPECIAL = Buffer.from('\r\n \t:;,<>"\\@[]=/?%&\x00\x7f\xff\xc3-0123456789', 'latin1');

/** A deterministic PRNG (mulberry32) so a failing run can be replayed from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type MutationKind = 'flip' | 'special' | 'delete' | 'truncate' | 'insert' | 'duplicate' | 'swap-lines';
const KINDS: MutationKind[] = ['flip', 'special', 'delete', 'truncate', 'insert', 'duplicate', 'swap-lines'];

export function mutate(input: Buffer, random: () => number, rounds = 1 + Math.floor(random() * 4)): Buffer {
  let b = Buffer.from(input);
  for (let r = 0; r < rounds; r++) {
    const kind = KINDS[Math.floor(random() * KINDS.length)]!;
    const at = Math.floor(random() * (b.length + 1));
    switch (kind) {
      case 'flip':
        if (b.length) b[Math.min(at, b.length - 1)] = Math.floor(random() * 256);
        break;
      case 'special':
        if (b.length) b[Math.min(at, b.length - 1)] = SPECIAL[Math.floor(random() * SPECIAL.length)]!;
        break;
      case 'delete': {
        const n = 1 + Math.floor(random() * 8);
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + n)]);
        break;
      }
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'insert': {
        const n = 1 + Math.floor(random() * 4);
        const ins = Buffer.alloc(n);
        for (let i = 0; i < n; i++) ins[i] = random() < 0.7 ? SPECIAL[Math.floor(random() * SPECIAL.length)]! : Math.floor(random() * 256);
        b = Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]);
        break;
      }
      case 'duplicate': {
        const n = Math.floor(random() * 64);
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + n), b.subarray(at)]);
        break;
      }
      case 'swap-lines': {
        const lines = b.toString('latin1').split('\r\n');
        if (lines.length > 2) {
          const i = Math.floor(random() * lines.length);
          const j = Math.floor(random() * lines.length);
          [lines[i], lines[j]] = [lines[j]!, lines[i]!];
          b = Buffer.from(lines.join('\r\n'), 'latin1');
        }
        break;
      }
    }
  }
  return b;
}
