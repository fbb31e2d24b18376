/**
 * What the agent needs from a carrier's JSON stream format: the messages it sends the bot and the
 * meaning of what the bot sends back. One implementation per format (twilio.ts, vobiz.ts).
 */
import type { CallInfo } from '../../types.js';
import type { WebSocketAgentSettings } from './settings.js';

export type BotCommand =
  | { kind: 'play'; pcm: Int16Array; rate: number }
  | { kind: 'mark'; name: string }
  | { kind: 'clear' }
  | { kind: 'hangup' }
  | { kind: 'ignore'; why: string };

export interface StreamProtocol {
  /** Identifiers the bot sees; `callSid` is what the REST hangup endpoint matches. */
  readonly callSid: string;
  readonly accountSid: string;
  /** Text frames sent once the socket opens. */
  opening(): string[];
  /** One media event for a 20 ms chunk of caller PCM at the stream's rate. */
  media(pcm: Int16Array): string;
  dtmf(digit: string): string;
  /** A bot mark/checkpoint was reached (or dropped by a clear): the acknowledgement, if any. */
  markDone(name: string, cleared: boolean): string | undefined;
  /** The acknowledgement of a clear, if the format has one. */
  clearDone(): string | undefined;
  /** Sent at call end before closing, if the format has one. */
  closing(): string | undefined;
  parse(text: string): BotCommand;
}

export interface ProtocolInit {
  call: CallInfo;
  settings: WebSocketAgentSettings;
}

export function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function field(obj: unknown, key: string): unknown {
  return typeof obj === 'object' && obj !== null ? (obj as Record<string, unknown>)[key] : undefined;
}

/** This agent's own settings, which the gateway also copies into CallInfo.customParameters. */
const OWN_SETTINGS = new Set(['url', 'format', 'encoding', 'custom_parameters', 'connect_timeout_ms', 'on_error', 'transfer_target', 'rest_api_port', 'rest_api_host']);

/** Custom parameters the bot sees: trunk ones, the agent's `custom_parameters`, the caller and callee numbers. */
export function customParameters(init: ProtocolInit): Record<string, string> {
  const trunk = Object.fromEntries(Object.entries(init.call.customParameters).filter(([k]) => !OWN_SETTINGS.has(k)));
  return { ...trunk, ...init.settings.custom_parameters, from_number: init.call.from, to_number: init.call.to };
}
