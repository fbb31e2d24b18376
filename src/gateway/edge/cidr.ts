/**
 * CIDR matching for IPv4 and IPv6 (RFC 4632, RFC 4291 §2.2/§2.3). Addresses become BigInts of
 * 32 or 128 bits; an IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) matches IPv4
 * ranges, because dual-stack sockets report IPv4 peers in that form.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { TrunkgateError } from '../../errors.js';

export class InvalidCidrError extends TrunkgateError<'EDGE_CIDR_INVALID'> {
  constructor(readonly cidr: string) {
    super('EDGE_CIDR_INVALID', `invalid CIDR: ${cidr}`);
  }
}

interface ParsedAddress { family: 4 | 6; value: bigint }

function parseV4(address: string): bigint {
  return address.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function parseV6(address: string): bigint {
  let text = address;
  let tail: bigint[] = [];
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = parseV4(last);
    tail = [v4 >> 16n, v4 & 0xffffn];
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const fill = rest === undefined ? 0 : 8 - left.length - right.length;
  const all = [...left, ...Array<string>(fill).fill('0'), ...right].map((g) => BigInt(parseInt(g, 16)));
  if (tail.length) all.splice(6, 2, ...tail);
  return all.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** Parses a literal IPv4/IPv6 address (an IPv6 zone suffix %eth0 is ignored); undefined if not one. */
export function parseAddress(address: string): ParsedAddress | undefined {
  const plain = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIPv4(plain)) return { family: 4, value: parseV4(plain) };
  if (isIPv6(plain)) {
    const value = parseV6(plain);
    if (value >> 32n === 0xffffn) return { family: 4, value: value & 0xffffffffn };
    return { family: 6, value };
  }
  return undefined;
}

export interface Cidr {
  readonly text: string;
  readonly family: 4 | 6;
  readonly prefix: number;
  contains(address: string): boolean;
}

/** `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a /32 or /128). Throws InvalidCidrError. */
export function parseCidr(text: string): Cidr {
  const [addr, prefixText, extra] = text.trim().split('/');
  if (extra !== undefined || !addr) throw new InvalidCidrError(text);
  const parsed = parseAddress(addr);
  if (!parsed || addr.includes('%')) throw new InvalidCidrError(text);
  const bits = parsed.family === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) throw new InvalidCidrError(text);
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) throw new InvalidCidrError(text);
  const shift = BigInt(bits - prefix);
  const network = parsed.value >> shift;
  return {
    text,
    family: parsed.family,
    prefix,
    contains(address: string): boolean {
      const a = parseAddress(address);
      return a !== undefined && a.family === parsed.family && a.value >> shift === network;
    },
  };
}

/** A list of ranges; `contains` is true when any one contains the address. */
export class CidrSet {
  readonly #cidrs: Cidr[];
  constructor(cidrs: Iterable<string>) {
    this.#cidrs = [...cidrs].map(parseCidr);
  }
  contains(address: string): boolean {
    return this.#cidrs.some((c) => c.contains(address));
  }
  get size(): number {
    return this.#cidrs.length;
  }
}
