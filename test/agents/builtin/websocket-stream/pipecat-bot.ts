/**
 * A stand-in for a Pipecat telephony bot (Pipecat cannot be installed here: no PyPI). Written
 * from Pipecat v1.7.0's source, not copied, and as strict as that code is about what it reads:
 * - src/pipecat/runner/utils.py `parse_telephony_websocket`: reads the first two text messages and
 *   detects the provider — Twilio when `event == "start"` and `start` holds `streamSid` and
 *   `callSid`; Plivo when `start` holds `streamId` and `callId` (no event check). Twilio's call data
 *   is stream_id, call_id, body (= customParameters), from/to (= body.from_number / to_number).
 * - src/pipecat/serializers/twilio.py `TwilioFrameSerializer`: input `media` → µ-law 8 kHz
 *   payload, `dtmf` → dtmf.digit, anything else ignored; `message["event"]` is read without a
 *   default (a message without it raises). Output audio `{event: "media", streamSid, media:
 *   {payload}}`, interruption `{event: "clear", streamSid}`. On EndFrame/CancelFrame (once), with
 *   auto_hang_up: POST `{base_url or https://api.twilio.com}/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}.json`,
 *   HTTP Basic (account_sid, auth_token), form `Status=completed`; 200 = terminated, 404 whose
 *   JSON `code` is 20404 = already terminated, anything else is logged as an error.
 * - src/pipecat/serializers/plivo.py `PlivoFrameSerializer`: input `media` (µ-law at 8 kHz),
 *   `dtmf`; output `{event: "playAudio", media: {contentType: "audio/x-mulaw", sampleRate: 8000,
 *   payload}, streamId}`, `{event: "clearAudio", streamId}`. Hang-up: DELETE
 *   `https://api.plivo.com/v1/Account/{auth_id}/Call/{call_id}/` (no base-URL setting), 204 = ok,
 *   404 = already ended, else error. It never sends a `stop`.
 * - src/pipecat/transports/websocket/fastapi.py: after the pipeline ends, the socket is closed with
 *   Starlette's default close code 1000. A close from the peer is "client disconnected" (Pipecat's
 *   examples cancel the pipeline then), and the output transport's `_write_frame` skips the
 *   serializer once the socket is no longer connected: no hang-up request after the carrier closed.
 *   Only an EndFrame that races the carrier's close reaches the REST API for a call already gone;
 *   `hangUp()` on a run lets a test make exactly that request.
 *
 * The "pipeline" echoes the caller's audio and ends (EndFrame) after `endAfterFrames` media
 * messages, or never when 0. `plivoApiRoot` exists only because a test must not leave 127.0.0.1:
 * real Pipecat always calls api.plivo.com, which the test models by a loopback port nobody serves.
 */
import { WebSocketServer, type WebSocket } from 'ws';
import { createCodec } from '../../../../src/media/codecs/index.js';
import { freePort } from '../../../helpers/ports.js';

export type Provider = 'twilio' | 'plivo' | 'unknown';
export type HangupResult = 'terminated' | 'already_terminated' | 'error';

export interface CallData {
  stream_id?: string;
  call_id?: string;
  body?: Record<string, string>;
  from?: string;
  to?: string;
}

export interface PipecatBotOptions {
  /** Twilio: the serializer's `base_url` (Pipecat ≥ 1.5); without it the bot would call api.twilio.com. */
  twilioBaseUrl?: string;
  /** What TWILIO_ACCOUNT_SID / PLIVO_AUTH_ID hold in the bot's environment (create_transport reads them). */
  accountSid?: string;
  authToken?: string;
  /** Stand-in for https://api.plivo.com (see the file comment). */
  plivoApiRoot: string;
  /** EndFrame after this many caller media messages; 0 = the bot never ends the call itself. */
  endAfterFrames: number;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null ? (v as Obj) : {});

function parseJson(raw: string): Obj {
  try { return obj(JSON.parse(raw)); } catch { return {}; }
}

/** parse_telephony_websocket's provider detection, one message at a time. */
export function detectProvider(m: Obj): Provider {
  const start = obj(m.start);
  if (m.event === 'start' && 'start' in m && 'streamSid' in start && 'callSid' in start) return 'twilio';
  if ('start' in m && 'streamId' in start && 'callId' in start) return 'plivo';
  return 'unknown';
}

function callData(provider: Provider, m: Obj): CallData {
  const start = obj(m.start);
  if (provider === 'twilio') {
    const body = obj(start.customParameters) as Record<string, string>;
    return { stream_id: start.streamSid as string, call_id: start.callSid as string, body, from: body.from_number, to: body.to_number };
  }
  if (provider === 'plivo') return { stream_id: start.streamId as string, call_id: start.callId as string };
  return {};
}

export interface PipecatBotRun {
  provider: Provider;
  call: CallData;
  /** Every text message from the gateway, raw, in order (the two handshake messages included). */
  received: string[];
  /** µ-law payload bytes the serializer decoded from `media` (what the pipeline heard). */
  heard: Buffer[];
  dtmf: string[];
  /** Outcome of the serializer's hang-up attempt (undefined: none attempted yet). */
  hangup?: HangupResult;
  /** HTTP status of the hang-up request, when one was answered. */
  hangupStatus?: number;
  /** Close code of the socket as this bot saw it, and who closed first. */
  closeCode?: number;
  closedBy?: 'bot' | 'gateway';
  /** Deserialization errors (Pipecat raises on a Twilio message without `event`). */
  errors: string[];
  /** The serializer's hang-up (at most once), as an EndFrame racing the carrier's close would make it. */
  hangUp?: () => Promise<void>;
}

export async function startPipecatBot(options: PipecatBotOptions) {
  const port = await freePort();
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const runs: PipecatBotRun[] = [];
  const waiters = new Set<() => void>();
  const notify = (): void => { for (const w of waiters) w(); };

  wss.on('connection', (ws: WebSocket) => {
    const run: PipecatBotRun = { provider: 'unknown', call: {}, received: [], heard: [], dtmf: [], errors: [] };
    runs.push(run);
    const pcmu = createCodec('PCMU');
    let handshake: Obj[] = [];
    let frames = 0;
    let hangupAttempted = false;
    let ending = false;

    const hangUp = async (): Promise<void> => {
      if (hangupAttempted) return;
      hangupAttempted = true;
      try {
        const account = options.accountSid ?? '';
        const token = options.authToken ?? '';
        const auth = `Basic ${Buffer.from(`${account}:${token}`).toString('base64')}`;
        if (run.provider === 'twilio') {
          const root = (options.twilioBaseUrl ?? 'https://api.twilio.com').replace(/\/+$/, '');
          const res = await fetch(`${root}/2010-04-01/Accounts/${account}/Calls/${run.call.call_id}.json`, {
            method: 'POST', headers: { authorization: auth }, body: new URLSearchParams({ Status: 'completed' }),
          });
          run.hangupStatus = res.status;
          if (res.status === 200) run.hangup = 'terminated';
          else if (res.status === 404 && obj(await res.json().catch(() => ({}))).code === 20404) run.hangup = 'already_terminated';
          else run.hangup = 'error';
        } else {
          const res = await fetch(`${options.plivoApiRoot}/v1/Account/${account}/Call/${run.call.call_id}/`, { method: 'DELETE', headers: { authorization: auth } });
          run.hangupStatus = res.status;
          run.hangup = res.status === 204 ? 'terminated' : res.status === 404 ? 'already_terminated' : 'error';
        }
      } catch {
        run.hangup = 'error'; // Pipecat logs "Failed to hang up … call" and carries on
      }
      notify();
    };

    /** EndFrame: the serializer's hang-up, then the transport closes the socket (code 1000). */
    const endFrame = async (): Promise<void> => {
      if (ending) return;
      ending = true;
      await hangUp();
      if (ws.readyState === ws.OPEN) { run.closedBy ??= 'bot'; ws.close(1000); }
    };

    const serializeAudio = (ulaw: Buffer): string => (run.provider === 'twilio'
      ? JSON.stringify({ event: 'media', streamSid: run.call.stream_id, media: { payload: ulaw.toString('base64') } })
      : JSON.stringify({ event: 'playAudio', media: { contentType: 'audio/x-mulaw', sampleRate: 8000, payload: ulaw.toString('base64') }, streamId: run.call.stream_id }));

    const deserialize = (raw: string): void => {
      const m = parseJson(raw);
      if (run.provider === 'twilio' && !('event' in m)) { run.errors.push(`KeyError: 'event' in ${raw.slice(0, 80)}`); return; }
      if (m.event === 'media') {
        const payload = obj(m.media).payload;
        if (typeof payload !== 'string' || payload === '') return;
        const ulaw = Buffer.from(payload, 'base64');
        run.heard.push(ulaw);
        frames++;
        // The pipeline: PCM in, PCM out (an echo), serialized back to µ-law 8 kHz.
        if (!ending) ws.send(serializeAudio(pcmu.encode(pcmu.decode(ulaw))));
        if (options.endAfterFrames > 0 && frames === options.endAfterFrames) void endFrame();
      } else if (m.event === 'dtmf') {
        const digit = obj(m.dtmf).digit;
        if (typeof digit === 'string') run.dtmf.push(digit);
      }
    };

    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const raw = data.toString();
      run.received.push(raw);
      if (handshake.length < 2) {
        handshake.push(parseJson(raw));
        if (handshake.length < 2) return;
        const first = detectProvider(handshake[0]!);
        const second = detectProvider(handshake[1]!);
        run.provider = first !== 'unknown' ? first : second;
        run.call = callData(run.provider, first !== 'unknown' ? handshake[0]! : handshake[1]!);
        handshake = [{}, {}];
        notify();
        return; // the handshake messages are consumed by the runner, not the serializer
      }
      deserialize(raw);
    });
    ws.on('close', (code) => {
      run.closeCode = code;
      run.closedBy ??= 'gateway';
      // on_client_disconnected → cancel: the CancelFrame never reaches the serializer (socket gone).
      notify();
    });
    run.hangUp = hangUp;
  });

  const until = (pred: () => boolean, timeoutMs = 20_000): Promise<void> => new Promise((resolve, reject) => {
    const check = (): void => { if (pred()) { clearTimeout(timer); waiters.delete(check); resolve(); } };
    const timer = setTimeout(() => { waiters.delete(check); reject(new Error('pipecat bot: condition not reached')); }, timeoutMs);
    waiters.add(check);
    check();
  });

  return {
    url: `ws://127.0.0.1:${port}/ws`,
    runs,
    until,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
