/** Random identifiers: tags (§19.3), branches (§8.1.1.7) and Call-IDs (§8.1.1.4). */
import { randomBytes } from 'node:crypto';

/** RFC 3261 §8.1.1.7: every branch starts with the magic cookie. */
export const BRANCH_MAGIC_COOKIE = 'z9hG4bK';

// Refilled pool so the hot path does not call into crypto for every id.
let pool = Buffer.alloc(0);
let offset = 0;

function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    pool = randomBytes(4096);
    offset = 0;
  }
  const s = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return s;
}

/** A From/To tag with at least 32 bits of randomness (§19.3). */
export function generateTag(): string {
  return randomHex(8);
}

export function generateBranch(): string {
  return BRANCH_MAGIC_COOKIE + randomHex(12);
}

/** A globally unique Call-ID; `host` is appended as `@host` when given. */
export function generateCallId(host?: string): string {
  const id = randomHex(16);
  return host ? `${id}@${host}` : id;
}
