/**
 * `websocket`: bridges a call to a bot that speaks a carrier's WebSocket media-stream JSON (Twilio
 * Media Streams or Vobiz/Plivo audio streams), so a bot written for carrier streaming (Pipecat, a
 * bare FastAPI handler) works unchanged on a SIP trunk. Caller audio goes out in 20 ms media events;
 * the bot's audio, marks/checkpoints and clears drive the call's play queue.
 */
import WebSocket from 'ws';
import { type Agent, type AgentFactory, type AgentIO, type CallInfo } from '../../types.js';
import { createFrameChunker } from './chunker.js';
import type { StreamProtocol } from './protocol.js';
import { registerRestHangup } from './rest-api.js';
import { parseSettings, type WebSocketAgentSettings } from './settings.js';
import { createTwilioProtocol } from './twilio.js';
import { createVobizProtocol } from './vobiz.js';
import { TrunkgateError } from '../../../errors.js';

export class BotConnectError extends TrunkgateError<'BOT_CONNECT_FAILED'> {
  constructor(readonly url: string, reason: string) {
    super('BOT_CONNECT_FAILED', `cannot connect to bot at ${url}: ${reason}`);
  }
}

/** RFC 6455 §7.4.1 status code 1000, "normal closure". */
const NORMAL_CLOSURE = 1000;

function connect(url: string, timeoutMs: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { handshakeTimeout: timeoutMs });
    const timer = setTimeout(() => { ws.terminate(); reject(new BotConnectError(url, `no answer within ${timeoutMs} ms`)); }, timeoutMs);
    ws.once('open', () => { clearTimeout(timer); resolve(ws); });
    ws.once('error', (err) => { clearTimeout(timer); ws.terminate(); reject(new BotConnectError(url, err.message)); });
  });
}

class WebSocketStreamAgent implements Agent {
  readonly #settings: WebSocketAgentSettings;
  #io: AgentIO | undefined;
  #ws: WebSocket | undefined;
  #protocol: StreamProtocol | undefined;
  #unregisterRest: (() => void) | undefined;
  #ended = false;

  constructor(settings: WebSocketAgentSettings) {
    this.#settings = settings;
  }

  async start(call: CallInfo, io: AgentIO): Promise<void> {
    const s = this.#settings;
    this.#io = io;
    const protocol = (s.format === 'twilio' ? createTwilioProtocol : createVobizProtocol)({ call, settings: s });
    this.#protocol = protocol;
    io.audioRate = s.sampleRate;
    const chunker = createFrameChunker(s.sampleRate / 50);
    io.onAudio((frame) => { for (const c of chunker.push(frame)) this.#send(protocol.media(c)); });
    io.onDtmf((digit) => this.#send(protocol.dtmf(digit)));
    io.onMark((name, cleared) => { const ack = protocol.markDone(name, cleared); if (ack) this.#send(ack); });

    // Registered before the bot hears the callSid, so its hangup POST can never arrive too early.
    if (s.rest_api_port !== undefined) {
      try {
        this.#unregisterRest = await registerRestHangup(s.rest_api_host, s.rest_api_port, protocol.callSid, () => {
          io.log.info({ callSid: protocol.callSid }, 'websocket agent: bot hung up through the REST endpoint');
          void this.#end('bot hung up (REST)');
        });
      } catch (err) {
        io.log.warn({ err, port: s.rest_api_port }, 'websocket agent: REST hangup endpoint unavailable');
      }
      if (this.#ended) { this.#close(); return; }
    }

    let ws: WebSocket;
    try {
      ws = await connect(s.url, s.connect_timeout_ms);
    } catch (err) {
      await this.#fail(`bot unreachable: ${(err as Error).message}`);
      return;
    }
    if (this.#ended) { ws.close(1000); this.#close(); return; }
    this.#ws = ws;
    ws.on('message', (data, isBinary) => {
      if (isBinary) { io.log.debug('websocket agent: binary frame from bot ignored'); return; }
      this.#command(data.toString());
    });
    ws.on('close', (code) => {
      if (this.#ended) return;
      // RFC 6455 §7.4.1: 1000 is a normal closure. A bot that is done with the call closes so
      // (Pipecat after its REST hang-up; a Plivo/Vobiz bot never sends `stop`): a hang-up, not a failure.
      if (code === NORMAL_CLOSURE) { io.log.info({ code }, 'websocket agent: bot closed the stream normally, hanging up'); void this.#end('bot hung up (closed the stream)'); return; }
      void this.#fail(`bot closed the stream (code ${code})`);
    });
    ws.on('error', (err) => { io.log.warn({ err }, 'websocket agent: socket error'); });
    for (const m of protocol.opening()) this.#send(m);
    io.log.info({ url: s.url, format: s.format, callSid: protocol.callSid }, 'websocket agent: stream started');
  }

  stop(reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#io?.log.info({ reason }, 'websocket agent: call ended, closing the stream');
    this.#close();
  }

  #send(text: string): void {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(text);
  }

  #command(text: string): void {
    const io = this.#io;
    const protocol = this.#protocol;
    if (!io || !protocol || this.#ended) return;
    const cmd = protocol.parse(text);
    switch (cmd.kind) {
      case 'play': if (cmd.pcm.length > 0) io.play(cmd.pcm, cmd.rate); break;
      case 'mark': io.mark(cmd.name); break;
      case 'clear': {
        io.clear(); // the io reports dropped marks (cleared = true) synchronously
        const ack = protocol.clearDone();
        if (ack) this.#send(ack);
        break;
      }
      case 'hangup': void this.#end('bot sent stop'); break;
      case 'ignore': io.log.debug({ why: cmd.why }, 'websocket agent: bot message ignored'); break;
    }
  }

  /** The call ends from our side: say goodbye to the bot (Twilio `stop`), close, hang up. */
  async #end(reason: string): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    this.#close();
    await this.#io?.hangup(reason);
  }

  /** The socket failed: on_error decides (a transfer that does not reach the human falls back to hangup). */
  async #fail(reason: string): Promise<void> {
    if (this.#ended) return;
    const io = this.#io!;
    const s = this.#settings;
    io.log.warn({ reason, on_error: s.on_error }, 'websocket agent: stream failed');
    if (s.on_error === 'transfer' && s.transfer_target) {
      this.#ended = true;
      this.#close();
      const outcome = await io.transfer(s.transfer_target, { mode: 'blind' }).catch((err: unknown) => {
        io.log.warn({ err, code: (err as { code?: string }).code }, 'websocket agent: transfer could not start');
        return undefined;
      });
      if (outcome?.result === 'transferred' || outcome?.result === 'caller_hung_up') return;
      io.log.warn({ outcome }, 'websocket agent: transfer did not reach the human, hanging up');
      await io.hangup(reason);
      return;
    }
    await this.#end(reason);
  }

  #close(): void {
    this.#unregisterRest?.();
    this.#unregisterRest = undefined;
    const ws = this.#ws;
    if (!ws) return;
    if (ws.readyState === WebSocket.OPEN) {
      const bye = this.#protocol?.closing();
      if (bye) ws.send(bye);
      ws.close(1000);
    } else {
      ws.terminate();
    }
  }
}

export const createWebSocketAgent: AgentFactory = (settings) => new WebSocketStreamAgent(parseSettings(settings));
