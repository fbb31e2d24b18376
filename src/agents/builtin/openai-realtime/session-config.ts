/**
 * The `session.update` a call opens with (GA protocol: `session.type: 'realtime'`, formats under
 * `audio.input` / `audio.output`), and the audio format a call's codec maps to.
 */
import type { RealtimeAudioFormats, RealtimeSessionCreateRequest, SessionUpdateEvent } from 'openai/resources/realtime/realtime';
import type { CallInfo } from '../../types.js';
import { fillTemplate, type RealtimeSettings } from './settings.js';
import { toolDefinitions } from './tools.js';

/**
 * How audio crosses the socket: G.711 as it is on the wire (audio/pcmu, audio/pcma: no decoding,
 * no resampling), anything else as 16-bit PCM at 24 kHz (the only PCM rate the API takes).
 */
export type AudioPath =
  | { kind: 'passthrough'; codec: 'PCMU' | 'PCMA'; format: RealtimeAudioFormats.AudioPCMU | RealtimeAudioFormats.AudioPCMA }
  | { kind: 'pcm'; rate: 24000; format: RealtimeAudioFormats.AudioPCM };

export function audioPathFor(codec: string, mode: RealtimeSettings['audio'], passthroughAvailable: boolean): AudioPath {
  if (mode === 'auto' && passthroughAvailable) {
    if (codec === 'PCMU') return { kind: 'passthrough', codec, format: { type: 'audio/pcmu' } };
    if (codec === 'PCMA') return { kind: 'passthrough', codec, format: { type: 'audio/pcma' } };
  }
  return { kind: 'pcm', rate: 24000, format: { type: 'audio/pcm', rate: 24000 } };
}

/** The values `{name}` in instructions and greeting are replaced with. */
export function templateValues(call: CallInfo): Record<string, string> {
  return { ...call.customParameters, from: call.from, to: call.to, trunk: call.trunk, callId: call.callId };
}

export function sessionUpdate(settings: RealtimeSettings, call: CallInfo, audio: AudioPath, transferTargets: string[], extraInstructions = ''): SessionUpdateEvent {
  const session: RealtimeSessionCreateRequest = {
    type: 'realtime',
    model: settings.model,
    output_modalities: ['audio'],
    instructions: fillTemplate(settings.instructions, templateValues(call)) + extraInstructions,
    audio: {
      input: {
        format: audio.format,
        turn_detection: settings.turn_detection,
        ...(settings.input_transcription ? { transcription: { model: settings.input_transcription } } : {}),
      },
      output: { format: audio.format, ...(settings.voice ? { voice: settings.voice } : {}) },
    },
    tools: toolDefinitions(settings.builtin_tools, transferTargets, settings.tools),
    tool_choice: 'auto',
  };
  return { type: 'session.update', session };
}
