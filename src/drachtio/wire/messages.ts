import { randomUUID } from 'node:crypto';
import { DrachtioError } from '../errors.js';

/**
 * The messages of drachtio's control protocol, as drachtio-srf 5.x (lib/drachtio-agent.js) sends
 * and parses them and drachtio-server (src/client.cpp, sip-dialog-controller.cpp) writes them.
 * A payload is a `|`-separated leader, optionally followed by CRLF and a SIP message.
 */

const CRLF = '\r\n';

export type MessageSource = 'network' | 'application';

/** drachtio-server's SipMsgData_t: who produced a SIP message, its size, transport and peer. */
export interface SipMessageMeta {
  source: MessageSource;
  bytes: number;
  protocol: 'udp' | 'tcp' | 'tls' | (string & {});
  address: string;
  port: number;
  /** `hh:mm:ss.uuuuuu` (UTC), as the C++ server formats su_now(). */
  time: string;
}

export type ClientMessage =
  | { verb: 'authenticate'; msgId: string; secret: string; tags: string[] }
  | { verb: 'route' | 'remove_route'; msgId: string; route: string }
  | { verb: 'ping'; msgId: string }
  | { verb: 'sip'; msgId: string; transactionId: string; dialogId: string; routeUri: string; sip: string }
  | { verb: 'proxy'; msgId: string; transactionId: string; recordRoute: boolean; fullResponse: boolean;
      followRedirects: boolean; simultaneous: boolean; provisionalTimeout: string; finalTimeout: string;
      destinations: string[]; sip: string }
  | { verb: 'unknown'; msgId: string; name: string };

/** Parses one framed payload from an application. Throws DrachtioError DRACHTIO_BAD_MESSAGE. */
export function parseClientMessage(payload: string): ClientMessage {
  const crlf = payload.indexOf(CRLF);
  const leader = crlf < 0 ? payload : payload.slice(0, crlf);
  const sip = crlf < 0 ? '' : payload.slice(crlf + 2);
  const t = leader.split('|');
  const msgId = t[0] ?? '';
  const verb = t[1];
  if (!msgId || verb === undefined) throw new DrachtioError('DRACHTIO_BAD_MESSAGE', 'message lacks id or verb');
  switch (verb) {
    case 'authenticate':
      return { verb, msgId, secret: t[2] ?? '', tags: t[3] ? t[3].split(',').filter(Boolean) : [] };
    case 'route':
    case 'remove_route':
      if (!t[2]) throw new DrachtioError('DRACHTIO_BAD_MESSAGE', `${verb} without a verb to route`);
      return { verb, msgId, route: t[2] };
    case 'ping':
      return { verb, msgId };
    case 'sip':
      return { verb, msgId, transactionId: t[2] ?? '', dialogId: t[3] ?? '', routeUri: t[4] ?? '', sip };
    case 'proxy':
      if (t.length < 10) throw new DrachtioError('DRACHTIO_BAD_MESSAGE', 'proxy request lacks destinations');
      return {
        verb, msgId, transactionId: t[2] ?? '', recordRoute: t[3] === 'remainInDialog',
        fullResponse: t[4] === 'fullResponse', followRedirects: t[5] === 'followRedirects',
        simultaneous: t[6] === 'simultaneous', provisionalTimeout: t[7] ?? '', finalTimeout: t[8] ?? '',
        destinations: t.slice(9).filter(Boolean), sip,
      };
    default:
      return { verb: 'unknown', msgId, name: verb };
  }
}

export function newMessageId(): string {
  return randomUUID();
}

/** `hh:mm:ss.uuuuuu` of a millisecond timestamp, UTC (drachtio.cpp SipMsgData_t). */
export function formatStackTime(ms: number, microsExtra = 0): string {
  const secs = Math.floor(ms / 1000);
  const usec = (ms - secs * 1000) * 1000 + microsExtra;
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(Math.floor(secs / 3600) % 24)}:${pad(Math.floor(secs / 60) % 60)}:${pad(secs % 60)}.${pad(Math.floor(usec), 6)}`;
}

function metaTokens(m: SipMessageMeta): string {
  return `${m.source}|${m.bytes}|${m.protocol}|${m.address}|${m.port}|${m.time}`;
}

/** `response|<msgId>|OK|…` or `…|NO|reason` (client.cpp createResponseMsg). */
export function formatResponse(msgId: string, ok: boolean, extra?: string): string {
  return `${newMessageId()}|response|${msgId}|${ok ? 'OK' : 'NO'}${extra !== undefined ? `|${extra}` : ''}`;
}

/** Failure of a SIP operation (`NOK|reason`, sip-dialog-controller.cpp route_api_response). */
export function formatSipFailure(msgId: string, reason: string): string {
  return `${newMessageId()}|response|${msgId}|NOK|${reason.replace(/[|\r\n]/g, ' ')}`;
}

/**
 * Reply to an application's `sip` request/response: the message as sent on the wire.
 * srf reads token[10] as transaction id and token[11] as dialog id (drachtio-agent.js _onMsg).
 */
export function formatSipSent(msgId: string, meta: SipMessageMeta, transactionId: string, dialogId: string, raw: string): string {
  const dlg = dialogId ? `${dialogId}|` : '';
  return `${newMessageId()}|response|${msgId}|OK|${metaTokens(meta)}|${transactionId}|${dlg}|Msg sent:|${CRLF}${raw}`;
}

/**
 * A final response a proxied request received (sip-proxy-controller.cpp, `fullResponse`): srf keeps
 * the request pending while token 12 is `continue`; `done` follows.
 */
export function formatProxyProgress(msgId: string, meta: SipMessageMeta, raw: string): string {
  return `${newMessageId()}|response|${msgId}|OK|${metaTokens(meta)}|||continue${CRLF}${raw}`;
}

export function formatProxyDone(msgId: string): string {
  return `${newMessageId()}|response|${msgId}|OK|done`;
}

/**
 * A SIP message delivered to an application (client.cpp sendSipMessageToClient): srf reads
 * source, protocol, address, port, time, transaction id, dialog id from tokens 2…9.
 */
export function formatSipEvent(meta: SipMessageMeta, transactionId: string, dialogId: string, raw: string,
  receivedOn?: { address: string; port: number }): string {
  const on = receivedOn ? `${receivedOn.address}|${receivedOn.port}|` : '';
  return `${newMessageId()}|sip|${metaTokens(meta)}|${transactionId}|${dialogId}|${on}${CRLF}${raw}`;
}

export type CdrRecord =
  | { type: 'attempt'; source: MessageSource; time: string }
  | { type: 'start'; source: MessageSource; time: string; role: 'uac' | 'uas' | 'proxy-uac' | 'proxy-uas' }
  | { type: 'stop'; source: MessageSource; time: string;
      reason: 'call-rejected' | 'call-canceled' | 'normal-release' | 'session-expired' | 'system-initiated-termination' };

/** cdr.cpp encodeMetaData: `cdr:<type>|<source>|<time>[|role|reason]`. */
export function formatCdr(cdr: CdrRecord, raw: string): string {
  const tail = cdr.type === 'start' ? `|${cdr.role}` : cdr.type === 'stop' ? `|${cdr.reason}` : '';
  return `${newMessageId()}|cdr:${cdr.type}|${cdr.source}|${cdr.time}${tail}${CRLF}${raw}`;
}
