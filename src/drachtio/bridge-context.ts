import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';
import type { SipMessage, SipStack, Endpoint, TransportProtocol } from '../sip/index.js';
import type { CdrPublisher } from './cdr.js';
import type { CallState } from './call-state.js';
import type { AppConnection } from './control/app-connection.js';
import type { AppRegistry } from './control/app-registry.js';
import { metaFor } from './sip-meta.js';
import { formatSipEvent, type MessageSource } from './wire/messages.js';

/** What the modules between the SIP stack and the applications share. */
export interface BridgeContext {
  stack: SipStack;
  registry: AppRegistry;
  state: CallState;
  cdr: CdrPublisher;
  logger: Logger;
  /** User-Agent for requests (and Server for responses) we build, when configured. */
  userAgent?: string;
  /** Host part of the Call-IDs the server generates for applications' requests (`<random>@<host>`): the instance id. */
  callIdHost?: string;
  /** ms a new request may wait for its application's first response before it is forgotten (drachtio CLIENT_TIMEOUT; 0 = never). */
  appResponseTimeout: number;
  /** Option tags a request may Require (§8.2.2.3), or false to leave Require to the applications. */
  supportedExtensions: readonly string[] | false;
}

export function newTransactionId(): string {
  return randomUUID();
}

/** The local endpoint messages of a protocol leave from (drachtio reports it for `application` messages). */
export function localFor(ctx: BridgeContext, protocol: TransportProtocol, toward?: string): Endpoint {
  return ctx.stack.localEndpoint(protocol, toward) ?? ctx.stack.localEndpoint('udp') ?? { protocol, address: '127.0.0.1', port: 0 };
}

/** Delivers a SIP message to an application as drachtio-server does (client.cpp sendSipMessageToClient). */
export function deliverToApp(app: AppConnection, source: MessageSource, peer: Endpoint, message: SipMessage | string,
  transactionId: string, dialogId: string, receivedAt?: number): void {
  const raw = typeof message === 'string' ? message : message.toString();
  app.send(formatSipEvent(metaFor(source, peer, Buffer.byteLength(raw), receivedAt), transactionId, dialogId, raw));
}
