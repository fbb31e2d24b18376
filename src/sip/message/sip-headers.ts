/** The ordered header list of a SIP message (RFC 3261 §7.3). */
import { headerKey, LIST_HEADERS, normalizeHeaderName } from './header-names.js';
import { splitList } from './scan.js';
import type { HeaderField } from './types.js';

/** splitList, but an unbalanced quote leaves the value whole instead of throwing (typed views report it). */
function splitLenient(value: string): string[] {
  try {
    return splitList(value);
  } catch {
    return [value];
  }
}

/**
 * Header fields in message order, each with the name as received (compact forms expanded) and the
 * raw value. Lookups are case-insensitive and accept compact forms. Every mutation bumps `version`,
 * which the message classes use to invalidate their cached typed views.
 */
export class SipHeaders {
  #names: string[] = [];
  #keys: string[] = [];
  #values: string[] = [];
  #version = 0;

  constructor(fields?: Iterable<HeaderField>) {
    if (fields) for (const f of fields) this.append(f.name, f.value);
  }

  /** Bumped on every change. */
  get version(): number {
    return this.#version;
  }

  get size(): number {
    return this.#names.length;
  }

  /** Appends without name normalization; `key` must be headerKey(name). Used by the parser. */
  appendRaw(name: string, key: string, value: string): void {
    this.#names.push(name);
    this.#keys.push(key);
    this.#values.push(value);
    this.#version++;
  }

  /** The raw value of the first field with this name, or undefined. */
  get(name: string): string | undefined {
    const key = headerKey(name);
    const i = this.#keys.indexOf(key);
    return i < 0 ? undefined : this.#values[i];
  }

  /**
   * Every value for this name in order. For list headers (Via, Contact, Route, Supported …) each
   * field is split on top-level commas, respecting quoted strings and `<…>`.
   */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const list = LIST_HEADERS.has(key);
    const out: string[] = [];
    for (let i = 0; i < this.#keys.length; i++) {
      if (this.#keys[i] !== key) continue;
      if (list) for (const v of splitLenient(this.#values[i]!)) out.push(v);
      else out.push(this.#values[i]!);
    }
    return out;
  }

  /** Raw values of every field with this name, without comma splitting. */
  getFields(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (let i = 0; i < this.#keys.length; i++) if (this.#keys[i] === key) out.push(this.#values[i]!);
    return out;
  }

  has(name: string): boolean {
    return this.#keys.indexOf(headerKey(name)) >= 0;
  }

  /** Replaces every field of this name by one (at the position of the first), or appends it. */
  set(name: string, value: string): this {
    const key = headerKey(name);
    const i = this.#keys.indexOf(key);
    if (i < 0) return this.append(name, value);
    this.#values[i] = value;
    this.#names[i] = normalizeHeaderName(name);
    for (let j = this.#keys.length - 1; j > i; j--) if (this.#keys[j] === key) this.#splice(j);
    this.#version++;
    return this;
  }

  append(name: string, value: string): this {
    this.appendRaw(normalizeHeaderName(name), headerKey(name), value);
    return this;
  }

  /** Inserts before every other field (e.g. a new topmost Via or Record-Route). */
  prepend(name: string, value: string): this {
    this.#names.unshift(normalizeHeaderName(name));
    this.#keys.unshift(headerKey(name));
    this.#values.unshift(value);
    this.#version++;
    return this;
  }

  /** Removes every field of this name; returns how many were removed. */
  remove(name: string): number {
    const key = headerKey(name);
    let n = 0;
    for (let j = this.#keys.length - 1; j >= 0; j--) {
      if (this.#keys[j] === key) { this.#splice(j); n++; }
    }
    if (n) this.#version++;
    return n;
  }

  /** Removes only the first value of a header (e.g. the topmost Via when forwarding a response). */
  removeFirst(name: string): boolean {
    const key = headerKey(name);
    const i = this.#keys.indexOf(key);
    if (i < 0) return false;
    const parts = LIST_HEADERS.has(key) ? splitLenient(this.#values[i]!) : [];
    if (parts.length > 1) this.#values[i] = parts.slice(1).join(', ');
    else this.#splice(i);
    this.#version++;
    return true;
  }

  #splice(i: number): void {
    this.#names.splice(i, 1);
    this.#keys.splice(i, 1);
    this.#values.splice(i, 1);
  }

  /** A copy of the fields in order. */
  fields(): HeaderField[] {
    const out: HeaderField[] = new Array(this.#names.length);
    for (let i = 0; i < this.#names.length; i++) out[i] = { name: this.#names[i]!, value: this.#values[i]! };
    return out;
  }

  /** Iterates `[name, value]` without copying. */
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (let i = 0; i < this.#names.length; i++) yield [this.#names[i]!, this.#values[i]!];
  }

  clone(): SipHeaders {
    const h = new SipHeaders();
    h.#names = this.#names.slice();
    h.#keys = this.#keys.slice();
    h.#values = this.#values.slice();
    return h;
  }

  /** `Name: value\r\n` lines; a Content-Length field is written as `contentLength` when given. */
  serialize(contentLength?: number): string {
    let out = '';
    let wroteLength = false;
    for (let i = 0; i < this.#names.length; i++) {
      if (this.#keys[i] === 'content-length') {
        if (contentLength === undefined) out += `${this.#names[i]}: ${this.#values[i]}\r\n`;
        else if (!wroteLength) { out += `${this.#names[i]}: ${contentLength}\r\n`; wroteLength = true; }
        continue;
      }
      out += `${this.#names[i]}: ${this.#values[i]}\r\n`;
    }
    if (contentLength !== undefined && !wroteLength) out += `Content-Length: ${contentLength}\r\n`;
    return out;
  }
}
