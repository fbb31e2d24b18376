import type { Endpoint } from '../sip/index.js';
import { formatStackTime, type MessageSource, type SipMessageMeta } from './wire/messages.js';

/** drachtio's per-message metadata for a message we received from `source` or sent toward `peer`. */
export function metaFor(source: MessageSource, peer: Endpoint, bytes: number, atMs = Date.now()): SipMessageMeta {
  return { source, bytes, protocol: peer.protocol, address: peer.address, port: peer.port, time: formatStackTime(atMs) };
}
