/**
 * Vobiz audio streams, the Plivo shape: `start` nests streamId, callId and mediaFormat; numbers are
 * numbers. Inbound L16 is big-endian; playAudio L16 is little-endian. The carrier never sends a
 * `stop`: the socket just closes at call end. Pipecat recognises Plivo by start.streamId + start.callId.
 */
import { randomUUID } from 'node:crypto';
import { createMulaw, decodeL16, encodeL16 } from './audio.js';
import { customParameters, field, parseJson, type BotCommand, type ProtocolInit, type StreamProtocol } from './protocol.js';

export function createVobizProtocol(init: ProtocolInit): StreamProtocol {
  const streamId = randomUUID();
  const callId = randomUUID();
  const accountId = randomUUID();
  const { encoding, sampleRate } = init.settings;
  const mulaw = createMulaw();
  let sequence = 0;
  let chunk = 0;

  return {
    callSid: callId,
    accountSid: accountId,
    opening() {
      return [JSON.stringify({
        event: 'start', sequenceNumber: sequence++,
        start: {
          callId, streamId, accountId, tracks: ['inbound'],
          mediaFormat: { encoding: encoding === 'l16' ? 'audio/x-l16' : 'audio/x-mulaw', sampleRate },
          customParameters: customParameters(init),
        },
        extra_headers: JSON.stringify(customParameters(init)),
      })];
    },
    media(pcm) {
      const timestamp = chunk * 20;
      chunk++;
      const payload = encoding === 'l16' ? encodeL16(pcm, 'be') : mulaw.encode(pcm);
      return JSON.stringify({
        event: 'media', sequenceNumber: sequence++, streamId,
        media: { track: 'inbound', timestamp: String(timestamp), chunk, payload: payload.toString('base64') },
      });
    },
    dtmf(digit) {
      return JSON.stringify({ event: 'dtmf', sequenceNumber: sequence++, streamId, dtmf: { track: 'inbound', digit } });
    },
    // A checkpoint is acknowledged once played; a clear drops it and clearedAudio covers it.
    markDone(name, cleared) {
      return cleared ? undefined : JSON.stringify({ event: 'playedStream', sequenceNumber: sequence++, streamId, name });
    },
    clearDone() {
      return JSON.stringify({ event: 'clearedAudio', sequenceNumber: sequence++, streamId });
    },
    closing() {
      return undefined;
    },
    parse(text): BotCommand {
      const msg = parseJson(text);
      if (!msg) return { kind: 'ignore', why: 'not a JSON object' };
      switch (msg.event) {
        case 'playAudio': {
          const payload = field(msg.media, 'payload');
          const contentType = field(msg.media, 'contentType');
          const rate = Number(field(msg.media, 'sampleRate') ?? 8000);
          if (typeof payload !== 'string' || typeof contentType !== 'string') return { kind: 'ignore', why: 'playAudio without payload or contentType' };
          const bytes = Buffer.from(payload, 'base64');
          if (contentType.startsWith('audio/x-mulaw')) return { kind: 'play', pcm: mulaw.decode(bytes), rate: 8000 };
          if (contentType.startsWith('audio/x-l16') && Number.isFinite(rate) && rate > 0) return { kind: 'play', pcm: decodeL16(bytes, 'le'), rate };
          return { kind: 'ignore', why: `unsupported playAudio contentType ${contentType}` };
        }
        case 'checkpoint': {
          const name = msg.name;
          return typeof name === 'string' ? { kind: 'mark', name } : { kind: 'ignore', why: 'checkpoint without name' };
        }
        case 'clearAudio':
          return { kind: 'clear' };
        case 'stop':
          return { kind: 'hangup' };
        default:
          return { kind: 'ignore', why: `unknown event ${String(msg.event)}` };
      }
    },
  };
}
