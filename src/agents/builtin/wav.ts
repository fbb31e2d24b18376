/** Minimal RIFF/WAVE reader and writer for 16-bit PCM mono (prompt caches, tests). */
import { TrunkgateError } from '../../errors.js';

export interface PcmAudio {
  samples: Int16Array;
  sampleRate: number;
}

export class WavFormatError extends TrunkgateError<'WAV_UNSUPPORTED'> {
  constructor(reason: string) {
    super('WAV_UNSUPPORTED', `unsupported WAV: ${reason}`);
  }
}

export function readWav(buf: Buffer): PcmAudio {
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') throw new WavFormatError('not RIFF/WAVE');
  let offset = 12;
  let sampleRate = 0;
  let channels = 0;
  let bits = 0;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('latin1', offset, offset + 4);
    let size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      const format = buf.readUInt16LE(body);
      channels = buf.readUInt16LE(body + 2);
      sampleRate = buf.readUInt32LE(body + 4);
      bits = buf.readUInt16LE(body + 14);
      if (format !== 1 && format !== 0xfffe) throw new WavFormatError(`format ${format}`);
    } else if (id === 'data') {
      if (bits !== 16 || channels < 1) throw new WavFormatError(`${bits} bits, ${channels} channels`);
      // Streaming writers (espeak-ng to a pipe) leave the size as 0xffffffff.
      if (size === 0xffffffff || body + size > buf.length) size = buf.length - body;
      const frames = Math.floor(size / (2 * channels));
      const samples = new Int16Array(frames);
      for (let i = 0; i < frames; i++) samples[i] = buf.readInt16LE(body + i * 2 * channels);
      return { samples, sampleRate };
    }
    offset = body + size + (size & 1);
  }
  throw new WavFormatError('no data chunk');
}

export function writeWav(audio: PcmAudio): Buffer {
  const data = audio.samples.length * 2;
  const out = Buffer.alloc(44 + data);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + data, 4);
  out.write('WAVEfmt ', 8, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(audio.sampleRate, 24);
  out.writeUInt32LE(audio.sampleRate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(data, 40);
  for (let i = 0; i < audio.samples.length; i++) out.writeInt16LE(audio.samples[i]!, 44 + i * 2);
  return out;
}
