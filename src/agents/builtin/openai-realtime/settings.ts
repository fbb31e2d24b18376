/**
 * Settings of the `openai-realtime` agent (config `agents.<name>.settings`), validated with zod:
 * the model and voice, the prompt, who speaks first, turn detection, tools and what a failure of
 * the Realtime side does to the call. docs/openai-realtime.md lists every key.
 */
import { z } from 'zod';
import { TrunkgateError } from '../../../errors.js';

const serverVad = z.object({
  type: z.literal('server_vad'),
  threshold: z.number().min(0).max(1).optional(),
  prefix_padding_ms: z.number().int().min(0).optional(),
  silence_duration_ms: z.number().int().min(0).optional(),
  idle_timeout_ms: z.number().int().positive().optional(),
  create_response: z.boolean().optional(),
  interrupt_response: z.boolean().optional(),
}).strict();

const semanticVad = z.object({
  type: z.literal('semantic_vad'),
  eagerness: z.enum(['low', 'medium', 'high', 'auto']).optional(),
  create_response: z.boolean().optional(),
  interrupt_response: z.boolean().optional(),
}).strict();

/** A tool of the user's: the model's arguments are POSTed to `url` with the call's metadata. */
const userTool = z.object({
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'name: letters, digits, _ or -, at most 64'),
  description: z.string().default(''),
  /** JSON Schema of the arguments. */
  parameters: z.record(z.string(), z.unknown()).default({ type: 'object', properties: {} }),
  url: z.string().regex(/^https?:\/\/\S+$/, 'url must be http:// or https://'),
  timeout_ms: z.number().int().positive().default(5000),
}).strict();

const BUILTIN_TOOLS = ['end_call', 'transfer_call', 'send_dtmf'] as const;
export type BuiltinToolName = (typeof BUILTIN_TOOLS)[number];

/** What a failure of the Realtime side does to the call (decided within 2 s). */
const onFailure = z.union([
  z.literal('hangup'),
  z.literal('retry'),
  z.object({ transfer: z.string().min(1) }).strict(),
  z.object({ retry: z.object({ then: z.union([z.literal('hangup'), z.object({ transfer: z.string().min(1) }).strict()]) }).strict() }).strict(),
]);

const schema = z.object({
  model: z.string().min(1).default('gpt-realtime'),
  voice: z.string().min(1).optional(),
  /** System prompt; `{from}`, `{to}`, `{trunk}` and custom parameters `{name}` are filled in per call. */
  instructions: z.string().default('You are a helpful voice assistant on a phone call. Keep answers short.'),
  /** The agent speaks first with these instructions for its first response; absent: it waits for the caller. */
  greeting: z.string().min(1).optional(),
  turn_detection: z.discriminatedUnion('type', [serverVad, semanticVad]).default({ type: 'server_vad' }),
  /** Transcribe the caller's speech (model name), so both sides appear in the log. */
  input_transcription: z.string().min(1).optional(),
  /** 'auto': G.711 calls pass through as audio/pcmu or audio/pcma, others as audio/pcm at 24 kHz; 'pcm': always PCM. */
  audio: z.enum(['auto', 'pcm']).default('auto'),
  /** Built-in tools offered to the model. */
  builtin_tools: z.array(z.enum(BUILTIN_TOOLS)).default([...BUILTIN_TOOLS]),
  /** Names from the config's transfer_targets that transfer_call may use (default: all). */
  transfer_targets: z.array(z.string().min(1)).optional(),
  transfer_mode: z.enum(['blind', 'warm']).default('blind'),
  tools: z.array(userTool).default([]),
  on_failure: onFailure.default('hangup'),
  /** Spoken (espeak-ng) to the caller before a failure hangs up; absent: hang up without a word. */
  apology: z.string().min(1).optional(),
  /** The WebSocket must be open (session created) within this time, else on_failure. */
  connect_timeout_ms: z.number().int().positive().max(10_000).default(1500),
}).strict();

export type RealtimeSettings = z.output<typeof schema>;
export type UserTool = z.output<typeof userTool>;
export type OnFailure = z.output<typeof onFailure>;
export type TurnDetection = RealtimeSettings['turn_detection'];

export class RealtimeSettingsError extends TrunkgateError<'OPENAI_REALTIME_SETTINGS'> {
  constructor(message: string) {
    super('OPENAI_REALTIME_SETTINGS', message);
  }
}

export function parseSettings(raw: Record<string, unknown>): RealtimeSettings {
  const r = schema.safeParse(raw);
  if (!r.success) throw new RealtimeSettingsError(r.error.issues.map((i) => `${i.path.join('.') || 'settings'}: ${i.message}`).join('; '));
  const s = r.data;
  const names = new Set<string>(s.builtin_tools);
  for (const t of s.tools) {
    if (names.has(t.name)) throw new RealtimeSettingsError(`tools: '${t.name}' is defined twice (or shadows a built-in tool)`);
    names.add(t.name);
  }
  return s;
}

/**
 * The SDK reads OPENAI_API_KEY (and OPENAI_BASE_URL) from the environment; without a key every call
 * would fail, so the gateway refuses to start instead.
 */
export class MissingApiKeyError extends TrunkgateError<'OPENAI_API_KEY_MISSING'> {
  constructor() {
    super('OPENAI_API_KEY_MISSING', 'OPENAI_API_KEY is not set: export OPENAI_API_KEY=sk-... (and OPENAI_BASE_URL for a compatible server) before starting');
  }
}

export function requireApiKey(env: NodeJS.ProcessEnv = process.env): void {
  if (!env.OPENAI_API_KEY) throw new MissingApiKeyError();
}

/** `{from}`, `{to}`, `{trunk}` and `{<custom parameter>}` filled in; unknown names stay as written. */
export function fillTemplate(text: string, values: Record<string, string>): string {
  return text.replace(/\{([a-zA-Z0-9_.-]+)\}/g, (whole, name: string) => values[name] ?? whole);
}
