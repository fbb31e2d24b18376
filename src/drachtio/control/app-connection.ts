import type { Socket } from 'node:net';
import type { Logger } from '../../log.js';
import { DrachtioError } from '../errors.js';
import { encodeFrames, FrameDecoder } from '../wire/framing.js';
import { parseClientMessage, type ClientMessage } from '../wire/messages.js';

let nextConnectionId = 1;

/**
 * One application's control connection (drachtio-srf connected to us): decodes frames into
 * messages and writes frames back. Knows nothing of SIP; the control server decides what a message means.
 */
export class AppConnection {
  readonly id: string;
  readonly remote: string;
  authenticated = false;
  tags: string[] = [];
  #socket: Socket;
  #decoder = new FrameDecoder();
  #closed = false;
  #log: Logger;
  /** Payloads sent since the last flush; written as one buffer (one syscall) per event-loop turn. */
  #pending: string[] = [];
  #flushScheduled = false;

  constructor(options: {
    socket: Socket;
    logger: Logger;
    onMessage: (conn: AppConnection, msg: ClientMessage) => void;
    onClose: (conn: AppConnection) => void;
  }) {
    this.id = `app-${nextConnectionId++}`;
    this.#socket = options.socket;
    this.remote = `${options.socket.remoteAddress}:${options.socket.remotePort}`;
    this.#log = options.logger.child({ app: this.id, remote: this.remote });
    this.#socket.setNoDelay(true);
    this.#socket.setKeepAlive(true);
    this.#socket.on('data', (data: Buffer) => {
      let payloads: string[];
      try {
        payloads = this.#decoder.push(data);
      } catch (err) {
        this.#log.warn({ err }, 'bad frame from application, closing its connection');
        this.close();
        return;
      }
      for (const p of payloads) {
        let msg: ClientMessage;
        try {
          msg = parseClientMessage(p);
        } catch (err) {
          if (err instanceof DrachtioError) { this.#log.warn({ err }, 'bad message from application'); continue; }
          throw err;
        }
        if (this.#closed) return;
        options.onMessage(this, msg);
      }
    });
    this.#socket.on('error', (err) => this.#log.debug({ err }, 'control socket error'));
    this.#socket.on('close', () => {
      this.#closed = true;
      options.onClose(this);
    });
  }

  get closed(): boolean {
    return this.#closed || this.#socket.destroyed;
  }

  /**
   * Queues one framed payload; silently drops it once the connection is gone. Everything queued in
   * one turn of the event loop goes out in one socket write after the I/O of that turn (setImmediate):
   * a write per frame was a syscall per frame, the largest cost of the control connection under load.
   */
  send(payload: string): void {
    if (this.closed) return;
    this.#pending.push(payload);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(this.#flush);
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    const frames = this.#pending;
    if (frames.length === 0) return;
    this.#pending = [];
    if (this.#socket.destroyed) return;
    this.#socket.write(encodeFrames(frames));
  };

  /** Ends the connection after pending writes flush (safe to call twice). */
  close(): void {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), 1000).unref();
  }

  destroy(): void {
    this.#closed = true;
    this.#socket.destroy();
  }
}
