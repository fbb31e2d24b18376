import { createServer, type Server } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from '../../log.js';
import { formatResponse, type ClientMessage } from '../wire/messages.js';
import { AppConnection } from './app-connection.js';
import { AppRegistry } from './app-registry.js';

/** The version we announce; drachtio-srf enables pinging for servers at least v0.8.2. */
export const SERVER_VERSION = 'v0.9.3-trunkgate';

export type SipVerbMessage = Extract<ClientMessage, { verb: 'sip' | 'proxy' }>;

export interface ControlServerOptions {
  host: string;
  port: number;
  secret: string;
  logger: Logger;
  /** `udp/127.0.0.1:5090` … — what `authenticate` answers (srf's 'connect' hostport). */
  hostports: () => string[];
  /** A `sip` or `proxy` message from an authenticated application. */
  onSipMessage: (conn: AppConnection, msg: SipVerbMessage) => void;
  /** An authenticated application went away. */
  onAppGone: (conn: AppConnection) => void;
}

/**
 * drachtio's control listener (drachtio-server client.cpp processClientMessage): shared-secret
 * authentication, route registration and ping are answered here; SIP work goes to the owner.
 */
export class ControlServer {
  readonly registry = new AppRegistry();
  readonly apps = new Set<AppConnection>();
  #server: Server | undefined;
  #opts: ControlServerOptions;

  constructor(opts: ControlServerOptions) {
    this.#opts = opts;
  }

  async listen(): Promise<{ host: string; port: number }> {
    const server = createServer((socket) => {
      const conn = new AppConnection({
        socket,
        logger: this.#opts.logger,
        onMessage: (c, m) => this.#onMessage(c, m),
        onClose: (c) => this.#onClose(c),
      });
      this.#opts.logger.debug({ app: conn.id, remote: conn.remote }, 'application connected');
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#opts.port, this.#opts.host, () => { server.off('error', reject); resolve(); });
    });
    const addr = server.address();
    return typeof addr === 'object' && addr ? { host: addr.address, port: addr.port } : { host: this.#opts.host, port: this.#opts.port };
  }

  async close(): Promise<void> {
    for (const conn of [...this.apps]) conn.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #secretMatches(given: string): boolean {
    const a = Buffer.from(given);
    const b = Buffer.from(this.#opts.secret);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  #onMessage(conn: AppConnection, msg: ClientMessage): void {
    if (msg.verb === 'authenticate') {
      if (!this.#secretMatches(msg.secret)) {
        this.#opts.logger.info({ app: conn.id, remote: conn.remote }, 'application refused: incorrect secret');
        conn.send(formatResponse(msg.msgId, false, 'incorrect secret'));
        conn.close();
        return;
      }
      conn.authenticated = true;
      conn.tags = msg.tags;
      this.apps.add(conn);
      const hps = this.#opts.hostports().join(',');
      conn.send(formatResponse(msg.msgId, true, `${hps}|${SERVER_VERSION}|${hps}`));
      this.#opts.logger.info({ app: conn.id, remote: conn.remote, tags: msg.tags }, 'application authenticated');
      return;
    }
    if (!conn.authenticated) {
      conn.send(formatResponse(msg.msgId, false, 'not authenticated'));
      conn.close();
      return;
    }
    switch (msg.verb) {
      case 'ping':
        conn.send(formatResponse(msg.msgId, true, 'pong'));
        return;
      case 'route':
        this.registry.add(conn, msg.route);
        conn.send(formatResponse(msg.msgId, true));
        return;
      case 'remove_route':
        this.registry.remove(conn, msg.route);
        conn.send(formatResponse(msg.msgId, true));
        return;
      case 'sip':
      case 'proxy':
        this.#opts.onSipMessage(conn, msg);
        return;
      case 'unknown':
        conn.send(formatResponse(msg.msgId, false, 'Unknown message type'));
        return;
    }
  }

  #onClose(conn: AppConnection): void {
    this.registry.removeApp(conn);
    if (this.apps.delete(conn)) {
      this.#opts.logger.info({ app: conn.id }, 'application disconnected');
      this.#opts.onAppGone(conn);
    }
  }
}
