/**
 * Twilio Media Streams: JSON text frames, numbers sent as strings, µ-law 8 kHz payloads in base64.
 * Pipecat recognises Twilio by `event=start` carrying `start.streamSid` and `start.callSid`.
 */
import { createMulaw } from './audio.js';
import { twilioSid } from './ids.js';
import { customParameters, field, parseJson, type BotCommand, type ProtocolInit, type StreamProtocol } from './protocol.js';

export function createTwilioProtocol(init: ProtocolInit): StreamProtocol {
  const streamSid = twilioSid('MZ');
  const callSid = twilioSid('CA');
  const accountSid = twilioSid('AC');
  const mulaw = createMulaw();
  let sequence = 0;
  let chunk = 0;
  const next = (): string => String(++sequence);

  return {
    callSid,
    accountSid,
    opening() {
      return [
        JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }),
        JSON.stringify({
          event: 'start', sequenceNumber: next(), streamSid,
          start: {
            streamSid, accountSid, callSid, tracks: ['inbound'], customParameters: customParameters(init),
            mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
          },
        }),
      ];
    },
    media(pcm) {
      // timestamp: milliseconds of stream audio before this chunk (20 ms chunks).
      const timestamp = chunk * 20;
      chunk++;
      return JSON.stringify({
        event: 'media', sequenceNumber: next(), streamSid,
        media: { track: 'inbound', chunk: String(chunk), timestamp: String(timestamp), payload: mulaw.encode(pcm).toString('base64') },
      });
    },
    dtmf(digit) {
      return JSON.stringify({ event: 'dtmf', sequenceNumber: next(), streamSid, dtmf: { track: 'inbound_track', digit } });
    },
    // A mark is echoed when played, and also when a clear drops it.
    markDone(name) {
      return JSON.stringify({ event: 'mark', sequenceNumber: next(), streamSid, mark: { name } });
    },
    clearDone() {
      return undefined;
    },
    closing() {
      return JSON.stringify({ event: 'stop', sequenceNumber: next(), streamSid, stop: { accountSid, callSid } });
    },
    parse(text): BotCommand {
      const msg = parseJson(text);
      if (!msg) return { kind: 'ignore', why: 'not a JSON object' };
      switch (msg.event) {
        case 'media': {
          const payload = field(msg.media, 'payload');
          if (typeof payload !== 'string') return { kind: 'ignore', why: 'media without payload' };
          return { kind: 'play', pcm: mulaw.decode(Buffer.from(payload, 'base64')), rate: 8000 };
        }
        case 'mark': {
          const name = field(msg.mark, 'name');
          return typeof name === 'string' ? { kind: 'mark', name } : { kind: 'ignore', why: 'mark without name' };
        }
        case 'clear':
          return { kind: 'clear' };
        default:
          return { kind: 'ignore', why: `unknown event ${String(msg.event)}` };
      }
    },
  };
}
