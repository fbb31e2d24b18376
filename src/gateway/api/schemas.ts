/**
 * The REST API's request and response bodies as zod schemas: the server validates requests with
 * them, and openapi.ts turns the same schemas into the OpenAPI document (z.toJSONSchema), so the
 * document cannot drift from what the server accepts.
 */
import { z } from 'zod';

const phoneNumber = z.string().regex(/^(tel:)?\+?[0-9][0-9\s\-.()]{2,24}$/, { message: 'not a phone number (E.164 such as +919876543210, national, or tel:)' });

export const createCallRequest = z.object({
  to: phoneNumber.meta({ description: 'Number to dial: E.164 (+919876543210), national (normalised with the trunk\'s country_code), or a tel: URI' }),
  from: z.string().regex(/^\+?[\w.-]{1,32}$/, { message: 'not a caller ID (digits, optionally with +)' }).optional()
    .meta({ description: 'Caller ID; default the trunk\'s outbound.from_number' }),
  trunk: z.string().min(1).meta({ description: 'Name of a trunk with outbound settings' }),
  agent: z.string().min(1).meta({ description: 'Name of an agent (agents: in the config, or echo / demo)' }),
  agent_settings: z.record(z.string(), z.unknown()).optional().meta({ description: 'Settings merged over the agent\'s configured ones for this call' }),
  ring_timeout_s: z.number().positive().max(300).optional().meta({ description: 'Ring time before the call is given up (CANCEL); default the trunk\'s outbound.ring_timeout_s' }),
  status_callback: z.url({ protocol: /^https?$/, error: 'not an http(s) URL' }).optional()
    .meta({ description: 'URL that receives a POST for each state: ringing, answered, completed' }),
  headers: z.record(z.string().regex(/^X-[A-Za-z0-9-]+$/, { message: 'only X- headers' }), z.string().max(256)).optional()
    .meta({ description: 'Extra X- headers on the INVITE' }),
}).strict();

export const createCallResponse = z.object({
  id: z.string().meta({ description: 'The call\'s id (its SIP Call-ID)' }),
  status: z.literal('dialing'),
});

export const mediaStats = z.object({
  packets_in: z.number().int(),
  packets_out: z.number().int(),
  packets_lost: z.number().int(),
  jitter_ms: z.number(),
  late_frames: z.number().int(),
  dtmf_in: z.number().int(),
  rtt_ms: z.number().optional(),
});

export const callView = z.object({
  id: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  state: z.enum(['dialing', 'ringing', 'setting_up', 'early', 'answered', 'transferring', 'bridged', 'ending', 'ended']),
  trunk: z.string(),
  from: z.string(),
  to: z.string(),
  agent: z.string().meta({ description: 'The agent\'s name, or the SIP URI of a bridged SIP route' }),
  codec: z.string().nullable(),
  started_at: z.iso.datetime(),
  answered_at: z.iso.datetime().nullable(),
  duration_ms: z.number().int().meta({ description: 'Since the answer (0 before it)' }),
  media: mediaStats.nullable(),
  transfers: z.number().int(),
});

export const callList = z.object({ calls: z.array(callView) });

export const transferRequest = z.object({
  target: z.string().min(1).meta({ description: 'A transfer_targets name, a SIP URI, a tel: URI or a phone number' }),
  mode: z.enum(['blind', 'warm']).default('blind'),
  timeout_s: z.number().positive().max(300).optional(),
  whisper: z.string().min(1).max(500).optional().meta({ description: 'Warm transfer: spoken to the human before the caller is connected' }),
  confirm: z.literal('dtmf').optional().meta({ description: 'Warm transfer: the human presses 1 to accept' }),
}).strict();

export const transferResponse = z.object({
  result: z.enum(['transferred', 'no_answer', 'busy', 'rejected', 'failed', 'caller_hung_up']),
  method: z.enum(['refer', 'bridge']),
  ms: z.number(),
  sip_status: z.number().int().optional(),
  reason: z.string().optional(),
});

export const hangupRequest = z.object({
  reason: z.string().min(1).max(120).default('hung up through the API'),
}).strict();

export const dtmfRequest = z.object({
  digits: z.string().regex(/^[0-9A-D*#]{1,32}$/, { message: 'digits must be 0-9, *, #, A-D (1 to 32 of them)' }),
  duration_ms: z.number().int().min(40).max(2000).optional(),
}).strict();

export const playRequest = z.object({
  text: z.string().min(1).max(1000).optional().meta({ description: 'Spoken with espeak-ng' }),
  audio_base64: z.string().min(1).max(20_000_000).optional().meta({ description: 'A WAV file (16-bit PCM, any rate, mono or stereo), base64' }),
  interrupt: z.boolean().default(false).meta({ description: 'Clear what is queued (the agent\'s speech) first' }),
}).strict().refine((p) => (p.text === undefined) !== (p.audio_base64 === undefined), { message: 'give exactly one of text or audio_base64', path: ['text'] })
  ;

export const playResponse = z.object({ queued_ms: z.number() });

export const okResponse = z.object({ ok: z.literal(true) });

export const errorResponse = z.object({
  error: z.object({
    code: z.string().meta({ description: 'Stable error code: invalid_request, unauthorized, not_found, over_capacity …' }),
    message: z.string(),
    field: z.string().optional().meta({ description: 'The request field at fault (validation errors)' }),
    issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
});

export const statusCallbackBody = z.object({
  id: z.string(),
  event: z.enum(['ringing', 'answered', 'completed']),
  timestamp: z.iso.datetime(),
  trunk: z.string(),
  to: z.string(),
  from: z.string(),
  sip_status: z.number().int().optional(),
  codec: z.string().optional(),
  result: z.string().optional().meta({ description: 'completed: hangup (answered), no_answer, busy, rejected, failed, canceled' }),
  reason: z.string().optional(),
  hangup_by: z.enum(['caller', 'agent', 'gateway', 'human']).optional().meta({ description: 'completed: who ended it (caller = the called party)' }),
  duration_ms: z.number().int().optional(),
});

export type CreateCallRequest = z.output<typeof createCallRequest>;
export type CallView = z.output<typeof callView>;
export type StatusCallbackBody = z.output<typeof statusCallbackBody>;
