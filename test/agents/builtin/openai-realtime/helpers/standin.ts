/**
 * A stand-in for OpenAI's Realtime API (we cannot reach OpenAI's cloud from tests): a WebSocket
 * server over TLS (the SDK always connects with wss) at `<base>/realtime?model=…`, speaking the GA
 * event schema. Every event it sends or parses is typed with the installed `openai` package's own
 * `RealtimeServerEvent` / `RealtimeClientEvent`, so tsc rejects anything the protocol does not have.
 *
 * Like the real server it runs a voice-activity detector on the appended audio (decoded from the
 * session's declared format): `speech_started` after 60 ms above the threshold, `speech_stopped`
 * after 300 ms below it. What it answers is up to the test (`respondWithAudio`, `callFunction`, …).
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import type {
  RealtimeAudioFormats, RealtimeClientEvent, RealtimeServerEvent, RealtimeSessionCreateRequest,
} from 'openai/resources/realtime/realtime';
import { WebSocketServer, type WebSocket } from 'ws';
import { freePort } from '../../../../helpers/ports.js';

/** A self-signed certificate for 127.0.0.1 made with the openssl CLI (trusted by the gateway via NODE_EXTRA_CA_CERTS). */
export function makeCertificate(dir: string): { cert: string; key: string } {
  mkdirSync(dir, { recursive: true });
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

const mulaw = (u: number): number => {
  const v = ~u & 0xff;
  const t = (((v & 0x0f) << 3) + 0x84) << ((v & 0x70) >> 4);
  return v & 0x80 ? 0x84 - t : t - 0x84;
};
const alaw = (a: number): number => {
  const v = a ^ 0x55;
  let t = (v & 0x0f) << 4;
  const seg = (v & 0x70) >> 4;
  t = seg === 0 ? t + 8 : seg === 1 ? t + 0x108 : (t + 0x108) << (seg - 1);
  return v & 0x80 ? t : -t;
};

/** Linear samples of appended audio in the declared format (the stand-in's VAD and the tests read them). */
export function decodeInput(bytes: Buffer, format: RealtimeAudioFormats | undefined): Int16Array {
  const type = format?.type ?? 'audio/pcm';
  if (type === 'audio/pcmu') return Int16Array.from(bytes, mulaw);
  if (type === 'audio/pcma') return Int16Array.from(bytes, alaw);
  const out = new Int16Array(bytes.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(i * 2);
  return out;
}

function rateOf(format: RealtimeAudioFormats | undefined): number {
  return format?.type === 'audio/pcmu' || format?.type === 'audio/pcma' ? 8000 : 24000;
}

type EventOf<T extends RealtimeClientEvent['type']> = Extract<RealtimeClientEvent, { type: T }>;

export interface StandInSession {
  readonly model: string | null;
  readonly authorization: string | undefined;
  readonly events: RealtimeClientEvent[];
  /** The last session.update's session (realtime type). */
  readonly session: RealtimeSessionCreateRequest | undefined;
  /** Every appended octet, in order. */
  readonly input: Buffer[];
  inputBytes(): Buffer;
  send(event: RealtimeServerEvent): void;
  /** Resolves with the first client event of `type` (after `from` events) that satisfies `pred`. */
  next<T extends RealtimeClientEvent['type']>(type: T, pred?: (e: EventOf<T>) => boolean): Promise<EventOf<T>>;
  /** One assistant audio response, all deltas at once (faster than real time), as the API streams it. */
  respondWithAudio(audio: Buffer, options?: {
    chunkBytes?: number;
    transcript?: string;
    functionCall?: { name: string; arguments: string };
    /** Leave the response in progress (no audio.done / response.done) until the client cancels it. */
    open?: boolean;
  }): { responseId: string; itemId: string };
  /** A response whose only output is a function call. */
  callFunction(name: string, args: Record<string, unknown>): { callId: string };
  /** Speech events seen by the VAD: performance.now() of each. */
  readonly speech: { started: number[]; stopped: number[] };
  close(code?: number): void;
  readonly closed: Promise<void>;
}

export type StandInMode =
  /** Sessions as normal. */
  | 'ok'
  /** Refuse the WebSocket upgrade (HTTP 503). */
  | 'refuse'
  /** Accept TLS, never answer the upgrade (the agent's connect timeout must fire). */
  | 'hang';

export interface StandIn {
  /** OPENAI_BASE_URL for the gateway (https://127.0.0.1:PORT/v1; the SDK turns it into wss). */
  baseUrl: string;
  caFile: string;
  mode: StandInMode;
  /** Called for every new session before session.created is sent. */
  onSession: ((s: StandInSession) => void) | undefined;
  readonly sessions: StandInSession[];
  /** Resolves with the n-th session (1-based). */
  session(n?: number): Promise<StandInSession>;
  close(): Promise<void>;
}

let ids = 0;
const id = (p: string): string => `${p}_${(++ids).toString(36).padStart(6, '0')}`;

function createSession(ws: WebSocket, model: string | null, authorization: string | undefined): StandInSession {
  const events: RealtimeClientEvent[] = [];
  const input: Buffer[] = [];
  const waiters: (() => void)[] = [];
  const speech = { started: [] as number[], stopped: [] as number[] };
  let session: RealtimeSessionCreateRequest | undefined;
  // VAD state (20 ms windows).
  let pending = new Int16Array(0);
  let loud = 0;
  let quiet = 0;
  let speaking = false;
  let audioMs = 0;
  let currentItem = id('item');
  let openResponse: string | undefined;

  const send = (e: RealtimeServerEvent): void => { if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(e)); };
  const vad = (samples: Int16Array): void => {
    const rate = rateOf(session?.audio?.input?.format);
    const win = rate / 50;
    const all = new Int16Array(pending.length + samples.length);
    all.set(pending);
    all.set(samples, pending.length);
    let off = 0;
    for (; off + win <= all.length; off += win) {
      let sum = 0;
      for (let i = off; i < off + win; i++) sum += all[i]! * all[i]!;
      const rms = Math.sqrt(sum / win);
      audioMs += 20;
      if (rms > 800) { loud++; quiet = 0; } else { quiet++; loud = 0; }
      if (!speaking && loud >= 3) {
        speaking = true;
        speech.started.push(performance.now());
        send({ type: 'input_audio_buffer.speech_started', event_id: id('event'), audio_start_ms: audioMs - 60, item_id: currentItem });
      } else if (speaking && quiet >= 15) {
        speaking = false;
        speech.stopped.push(performance.now());
        send({ type: 'input_audio_buffer.speech_stopped', event_id: id('event'), audio_end_ms: audioMs - 300, item_id: currentItem });
        send({ type: 'input_audio_buffer.committed', event_id: id('event'), item_id: currentItem, previous_item_id: null });
        currentItem = id('item');
      }
    }
    pending = all.slice(off);
  };

  ws.on('message', (data) => {
    let e: RealtimeClientEvent;
    try {
      e = JSON.parse(data.toString()) as RealtimeClientEvent;
    } catch {
      send({ type: 'error', event_id: id('event'), error: { type: 'invalid_request_error', code: 'invalid_json', message: 'not JSON' } });
      return;
    }
    events.push(e);
    if (e.type === 'session.update' && e.session.type === 'realtime') {
      session = e.session;
      send({ type: 'session.updated', event_id: id('event'), session: { type: 'realtime', ...(e.session.model ? { model: e.session.model } : {}) } });
    } else if (e.type === 'input_audio_buffer.append') {
      const bytes = Buffer.from(e.audio, 'base64');
      input.push(bytes);
      vad(decodeInput(bytes, session?.audio?.input?.format));
    } else if (e.type === 'response.cancel' && openResponse) {
      send({ type: 'response.done', event_id: id('event'), response: { id: openResponse, object: 'realtime.response', status: 'cancelled', status_details: { type: 'cancelled', reason: 'client_cancelled' } } });
      openResponse = undefined;
    } else if (e.type === 'conversation.item.truncate') {
      send({ type: 'conversation.item.truncated', event_id: id('event'), item_id: e.item_id, content_index: e.content_index, audio_end_ms: e.audio_end_ms });
    }
    for (const w of [...waiters]) w();
  });

  const closed = once(ws, 'close').then(() => undefined);
  const s: StandInSession = {
    model, authorization, events, input, speech,
    get session() { return session; },
    inputBytes: () => Buffer.concat(input),
    send,
    next(type, pred) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const hit = events.find((e) => e.type === type && (!pred || pred(e as never)));
          if (hit) { resolve(hit as never); return true; }
          return false;
        };
        if (check()) return;
        const w = (): void => { if (check()) waiters.splice(waiters.indexOf(w), 1); };
        waiters.push(w);
        void closed.then(() => { if (waiters.includes(w)) reject(new Error(`stand-in session closed before ${type}`)); });
      });
    },
    respondWithAudio(audio, options = {}) {
      const responseId = id('resp');
      const itemId = id('item');
      const chunk = options.chunkBytes ?? 4800;
      send({ type: 'response.created', event_id: id('event'), response: { id: responseId, object: 'realtime.response', status: 'in_progress', output: [] } });
      send({ type: 'response.output_item.added', event_id: id('event'), response_id: responseId, output_index: 0, item: { id: itemId, type: 'message', role: 'assistant', content: [] } });
      for (let off = 0; off < audio.length; off += chunk) {
        send({ type: 'response.output_audio.delta', event_id: id('event'), response_id: responseId, item_id: itemId, output_index: 0, content_index: 0, delta: audio.subarray(off, off + chunk).toString('base64') });
      }
      if (options.open) {
        openResponse = responseId;
        return { responseId, itemId };
      }
      send({ type: 'response.output_audio.done', event_id: id('event'), response_id: responseId, item_id: itemId, output_index: 0, content_index: 0 });
      if (options.transcript !== undefined) {
        send({ type: 'response.output_audio_transcript.done', event_id: id('event'), response_id: responseId, item_id: itemId, output_index: 0, content_index: 0, transcript: options.transcript });
      }
      if (options.functionCall) {
        send({ type: 'response.function_call_arguments.done', event_id: id('event'), response_id: responseId, item_id: id('item'), output_index: 1, call_id: id('call'), name: options.functionCall.name, arguments: options.functionCall.arguments });
      }
      send({ type: 'response.done', event_id: id('event'), response: { id: responseId, object: 'realtime.response', status: 'completed', usage: { input_tokens: 120, output_tokens: 80, total_tokens: 200, input_token_details: { audio_tokens: 100, text_tokens: 20, cached_tokens: 0 }, output_token_details: { audio_tokens: 70, text_tokens: 10 } } } });
      return { responseId, itemId };
    },
    callFunction(name, args) {
      const responseId = id('resp');
      const callId = id('call');
      send({ type: 'response.created', event_id: id('event'), response: { id: responseId, object: 'realtime.response', status: 'in_progress', output: [] } });
      send({ type: 'response.function_call_arguments.done', event_id: id('event'), response_id: responseId, item_id: id('item'), output_index: 0, call_id: callId, name, arguments: JSON.stringify(args) });
      send({ type: 'response.done', event_id: id('event'), response: { id: responseId, object: 'realtime.response', status: 'completed', usage: { input_tokens: 50, output_tokens: 10, total_tokens: 60 } } });
      return { callId };
    },
    close(code = 1000) { ws.close(code); },
    closed,
  };
  return s;
}

export async function startStandIn(tlsDir: string): Promise<StandIn> {
  const { cert, key } = makeCertificate(tlsDir);
  const server: Server = createServer({ cert: readFileSync(cert), key: readFileSync(key) });
  const wss = new WebSocketServer({ noServer: true });
  const sessions: StandInSession[] = [];
  const sockets = new Set<Socket>();
  const waiters: (() => void)[] = [];
  server.on('connection', (sock: Socket) => { sockets.add(sock); sock.on('close', () => sockets.delete(sock)); });
  const standIn: StandIn = {
    baseUrl: '',
    caFile: cert,
    mode: 'ok',
    onSession: undefined,
    sessions,
    session(n = 1) {
      return new Promise((resolve) => {
        const check = (): boolean => { if (sessions.length >= n) { resolve(sessions[n - 1]!); return true; } return false; };
        if (check()) return;
        const w = (): void => { if (check()) waiters.splice(waiters.indexOf(w), 1); };
        waiters.push(w);
      });
    },
    async close() {
      for (const c of wss.clients) c.terminate();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    if (standIn.mode === 'hang') return; // never answered: the client's timeout must fire
    if (standIn.mode === 'refuse' || url.pathname !== '/v1/realtime') {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const s = createSession(ws, url.searchParams.get('model'), req.headers.authorization);
      sessions.push(s);
      standIn.onSession?.(s);
      s.send({ type: 'session.created', event_id: id('event'), session: { type: 'realtime', model: s.model ?? 'gpt-realtime' } });
      for (const w of [...waiters]) w();
    });
  });
  server.listen(await freePort(), '127.0.0.1');
  await once(server, 'listening');
  standIn.baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return standIn;
}
