/**
 * Opus (RFC 6716) over RTP (RFC 7587) through @discordjs/opus (libopus). Mono, 48 kHz PCM; the
 * RTP clock is always 48000 (RFC 7587 §4.1). One instance per stream: libopus keeps state.
 */
import { createRequire } from 'node:module';
import { CodecError, type AudioCodec, type CodecOptions } from './types.js';

interface NativeOpus {
  encode(pcm: Buffer): Buffer;
  decode(payload: Buffer): Buffer;
  setBitrate(bitrate: number): void;
}

/** Consecutive frames concealed by libopus before returning plain silence. */
const MAX_PLC_FRAMES = 5;

const require = createRequire(import.meta.url);
const { OpusEncoder } = require('@discordjs/opus') as { OpusEncoder: new (rate: number, channels: number) => NativeOpus };

class OpusCodec implements AudioCodec {
  readonly name = 'opus' as const;
  readonly clockRate = 48000;
  readonly sampleRate = 48000;
  readonly channels = 1 as const;
  #native: NativeOpus;
  readonly #bitrate: number;
  #lostInRow = 0;

  constructor(options: CodecOptions) {
    this.#bitrate = options.bitrate ?? 32000;
    this.#native = this.#create();
  }

  #create(): NativeOpus {
    const native = new OpusEncoder(48000, 1);
    native.setBitrate(this.#bitrate);
    return native;
  }

  frameSamples(ptimeMs: number): number {
    return (this.sampleRate * ptimeMs) / 1000;
  }

  frameTicks(ptimeMs: number): number {
    return (this.clockRate * ptimeMs) / 1000;
  }

  encode(pcm: Int16Array): Buffer {
    // RFC 6716 §2.1.4: frames of 2.5, 5, 10, 20, 40 or 60 ms.
    if (![120, 240, 480, 960, 1920, 2880].includes(pcm.length)) {
      throw new CodecError('CODEC_BAD_FRAME', `opus: ${pcm.length} samples is not a valid frame size`);
    }
    return this.#native.encode(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  }

  decode(payload: Buffer): Int16Array {
    if (payload.length === 0) throw new CodecError('CODEC_BAD_FRAME', 'opus: empty payload');
    let pcm: Buffer;
    try {
      pcm = this.#native.decode(payload);
    } catch (err) {
      throw new CodecError('CODEC_DECODE_FAILED', `opus: ${(err as Error).message}`);
    }
    this.#lostInRow = 0;
    return toInt16(pcm);
  }

  /**
   * libopus runs its PLC when given an empty packet (RFC 6716 §4.4). The binding always asks for
   * 120 ms of it (its maximum frame size), so only the first `samples` are returned and the
   * decoder's concealment runs ahead of real time; after `MAX_PLC_FRAMES` consecutive losses the
   * PLC has faded out anyway and silence is returned without calling libopus.
   */
  conceal(samples: number): Int16Array {
    if (this.#lostInRow++ >= MAX_PLC_FRAMES) return new Int16Array(samples);
    try {
      const pcm = toInt16(this.#native.decode(Buffer.alloc(0)));
      return pcm.length >= samples ? pcm.slice(0, samples) : padTo(pcm, samples);
    } catch {
      return new Int16Array(samples);
    }
  }

  reset(): void {
    this.#lostInRow = 0;
    this.#native = this.#create();
  }
}

function toInt16(buf: Buffer): Int16Array {
  const out = new Int16Array(buf.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = buf.readInt16LE(i * 2);
  return out;
}

function padTo(pcm: Int16Array, samples: number): Int16Array {
  const out = new Int16Array(samples);
  out.set(pcm.subarray(0, samples));
  return out;
}

export function createOpus(options: CodecOptions = {}): AudioCodec {
  return new OpusCodec(options);
}
