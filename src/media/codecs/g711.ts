/**
 * ITU-T G.711 µ-law (PCMU) and A-law (PCMA), RFC 3551 §4.5.14. Table driven: the encoders index a
 * 65536-entry table by the 16-bit sample, the decoders a 256-entry table by the code. The tables
 * are built once from the segment-search definitions below (the classic G.711 reference
 * algorithm of ITU-T G.191 STL g711.c: µ-law on 14-bit magnitudes with bias 33, A-law on 13-bit
 * samples; negative magnitudes are ones' complements).
 */
import { RepeatFadeConcealer } from './conceal.js';
import { pcmFrame } from './pcm-frame.js';
import { CodecError, type AudioCodec } from './types.js';

const ULAW_SEG_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
const ALAW_SEG_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

function segment(value: number, ends: readonly number[]): number {
  for (let i = 0; i < ends.length; i++) if (value <= ends[i]!) return i;
  return ends.length;
}

/** G.711 µ-law: 16-bit linear → 8-bit code (segment search; codes are sent inverted). */
export function linearToUlawReference(sample: number): number {
  // ITU-T G.191 (STL) g711.c: the magnitude of a negative sample is taken as its ones'
  // complement, so −1 quantizes like 0 (to the negative zero 0x7F) and errors stay symmetric.
  let pcm: number;
  let mask: number;
  if (sample < 0) {
    pcm = ~sample >> 2;
    mask = 0x7f;
  } else {
    pcm = sample >> 2;
    mask = 0xff;
  }
  if (pcm > 8159) pcm = 8159;
  pcm += 33;
  const seg = segment(pcm, ULAW_SEG_END);
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((pcm >> (seg + 1)) & 0x0f)) ^ mask;
}

/** G.711 µ-law: 8-bit code → 16-bit linear. */
export function ulawToLinearReference(code: number): number {
  const u = ~code & 0xff;
  let t = ((u & 0x0f) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

/** G.711 A-law: 16-bit linear → 8-bit code (even bits inverted, 0x55). */
export function linearToAlawReference(sample: number): number {
  let pcm = sample >> 3;
  let mask: number;
  if (pcm >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  const seg = segment(pcm, ALAW_SEG_END);
  if (seg >= 8) return 0x7f ^ mask;
  let aval = seg << 4;
  aval |= seg < 2 ? (pcm >> 1) & 0x0f : (pcm >> seg) & 0x0f;
  return aval ^ mask;
}

/** G.711 A-law: 8-bit code → 16-bit linear. */
export function alawToLinearReference(code: number): number {
  const a = (code ^ 0x55) & 0xff;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

function buildEncodeTable(fn: (s: number) => number): Uint8Array {
  const table = new Uint8Array(65536);
  for (let i = 0; i < 65536; i++) table[i] = fn((i << 16) >> 16);
  return table;
}

function buildDecodeTable(fn: (c: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let c = 0; c < 256; c++) table[c] = fn(c);
  return table;
}

const ULAW_ENCODE = buildEncodeTable(linearToUlawReference);
const ALAW_ENCODE = buildEncodeTable(linearToAlawReference);
/** µ-law code → linear sample. */
export const ULAW_DECODE: Readonly<Int16Array> = buildDecodeTable(ulawToLinearReference);
/** A-law code → linear sample. */
export const ALAW_DECODE: Readonly<Int16Array> = buildDecodeTable(alawToLinearReference);

export function encodeUlaw(pcm: Int16Array, out: Uint8Array = Buffer.allocUnsafe(pcm.length)): Uint8Array {
  for (let i = 0; i < pcm.length; i++) out[i] = ULAW_ENCODE[pcm[i]! & 0xffff]!;
  return out;
}

export function decodeUlaw(codes: Uint8Array, out: Int16Array = new Int16Array(codes.length)): Int16Array {
  for (let i = 0; i < codes.length; i++) out[i] = ULAW_DECODE[codes[i]!]!;
  return out;
}

export function encodeAlaw(pcm: Int16Array, out: Uint8Array = Buffer.allocUnsafe(pcm.length)): Uint8Array {
  for (let i = 0; i < pcm.length; i++) out[i] = ALAW_ENCODE[pcm[i]! & 0xffff]!;
  return out;
}

export function decodeAlaw(codes: Uint8Array, out: Int16Array = new Int16Array(codes.length)): Int16Array {
  for (let i = 0; i < codes.length; i++) out[i] = ALAW_DECODE[codes[i]!]!;
  return out;
}

class G711Codec implements AudioCodec {
  readonly clockRate = 8000;
  readonly sampleRate = 8000;
  readonly channels = 1 as const;
  readonly #plc = new RepeatFadeConcealer();
  readonly #enc: Uint8Array;
  readonly #dec: Int16Array;

  constructor(readonly name: 'PCMU' | 'PCMA') {
    this.#enc = name === 'PCMU' ? ULAW_ENCODE : ALAW_ENCODE;
    this.#dec = name === 'PCMU' ? ULAW_DECODE : ALAW_DECODE;
  }

  frameSamples(ptimeMs: number): number {
    return (this.sampleRate * ptimeMs) / 1000;
  }

  frameTicks(ptimeMs: number): number {
    return (this.clockRate * ptimeMs) / 1000;
  }

  encode(pcm: Int16Array): Buffer {
    const out = Buffer.allocUnsafe(pcm.length);
    this.encodeInto(pcm, out, 0);
    return out;
  }

  payloadBytes(samples: number): number {
    return samples;
  }

  encodeInto(pcm: Int16Array, out: Uint8Array, offset: number): void {
    const table = this.#enc;
    for (let i = 0; i < pcm.length; i++) out[offset + i] = table[pcm[i]! & 0xffff]!;
  }

  decode(payload: Buffer, into?: Int16Array): Int16Array {
    if (payload.length === 0) throw new CodecError('CODEC_BAD_FRAME', `${this.name}: empty payload`);
    const out = into?.length === payload.length ? into : pcmFrame(payload.length);
    const table = this.#dec;
    for (let i = 0; i < payload.length; i++) out[i] = table[payload[i]!]!;
    this.#plc.good(out);
    return out;
  }

  conceal(samples: number): Int16Array {
    return this.#plc.conceal(samples);
  }

  reset(): void {
    this.#plc.reset();
  }
}

export function createPcmu(): AudioCodec {
  return new G711Codec('PCMU');
}

export function createPcma(): AudioCodec {
  return new G711Codec('PCMA');
}
