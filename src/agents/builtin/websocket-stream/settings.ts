/**
 * Settings of the `websocket` agent, validated with zod: where the bot listens, which carrier's
 * JSON shape it speaks, the audio encoding on the socket, and what a failing socket does to the call.
 */
import { z } from 'zod';
import { TrunkgateError } from '../../../errors.js';

/** Encodings a Vobiz/Plivo `<Stream contentType=…>` may ask for. */
const VOBIZ_ENCODINGS = ['audio/x-mulaw;rate=8000', 'audio/x-l16;rate=8000', 'audio/x-l16;rate=16000', 'audio/x-l16;rate=24000'] as const;

const schema = z.object({
  url: z.string().regex(/^wss?:\/\/\S+$/, 'url must be ws:// or wss://'),
  format: z.enum(['twilio', 'vobiz']).default('twilio'),
  encoding: z.enum(['audio/x-mulaw', ...VOBIZ_ENCODINGS]).optional(),
  custom_parameters: z.record(z.string(), z.string()).default({}),
  connect_timeout_ms: z.number().int().positive().default(5000),
  on_error: z.enum(['hangup', 'transfer']).default('hangup'),
  /** Transfer target (config `transfer_targets` name or SIP URI) for on_error: transfer. */
  transfer_target: z.string().min(1).optional(),
  /** Port of the Twilio-REST-style hangup endpoint; off when absent. */
  rest_api_port: z.number().int().min(1).max(65535).optional(),
  rest_api_host: z.string().default('127.0.0.1'),
}).strict();

export type StreamEncoding = 'mulaw' | 'l16';

export interface WebSocketAgentSettings extends Omit<z.output<typeof schema>, 'encoding'> {
  /** The socket's audio: µ-law at 8 kHz or 16-bit linear PCM at `sampleRate`. */
  encoding: StreamEncoding;
  sampleRate: number;
}

export class WebSocketAgentSettingsError extends TrunkgateError<'WEBSOCKET_AGENT_SETTINGS'> {
  constructor(message: string) {
    super('WEBSOCKET_AGENT_SETTINGS', message);
  }
}

export function parseSettings(raw: Record<string, unknown>): WebSocketAgentSettings {
  const r = schema.safeParse(raw);
  if (!r.success) throw new WebSocketAgentSettingsError(r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const s = r.data;
  const enc = s.encoding ?? (s.format === 'twilio' ? 'audio/x-mulaw' : 'audio/x-mulaw;rate=8000');
  // Twilio Media Streams carry µ-law 8 kHz only; the `;rate=` forms are Plivo's contentType.
  if (s.format === 'twilio' && enc !== 'audio/x-mulaw') throw new WebSocketAgentSettingsError('format twilio supports encoding audio/x-mulaw only');
  if (s.format === 'vobiz' && enc === 'audio/x-mulaw') throw new WebSocketAgentSettingsError('format vobiz needs encoding audio/x-mulaw;rate=8000 or audio/x-l16;rate=…');
  if (s.on_error === 'transfer' && !s.transfer_target) throw new WebSocketAgentSettingsError('on_error transfer needs transfer_target');
  const rate = /;rate=(\d+)/.exec(enc);
  const { encoding: _ignored, ...rest } = s;
  return { ...rest, encoding: enc.startsWith('audio/x-l16') ? 'l16' : 'mulaw', sampleRate: rate ? Number(rate[1]) : 8000 };
}
