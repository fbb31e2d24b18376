import type { SipMessage } from '../sip/index.js';
import type { AppRegistry } from './control/app-registry.js';
import { formatCdr, formatStackTime, type CdrRecord, type MessageSource } from './wire/messages.js';

type CdrInput =
  | { type: 'attempt'; source: MessageSource }
  | { type: 'start'; source: MessageSource; role: Extract<CdrRecord, { type: 'start' }>['role'] }
  | { type: 'stop'; source: MessageSource; reason: Extract<CdrRecord, { type: 'stop' }>['reason'] };

/**
 * Call detail records as drachtio-server posts them (cdr.cpp): attempt on an INVITE, start on its
 * 2xx, stop on rejection, cancel or BYE. Every application that routed `cdr:<type>` receives each.
 */
export class CdrPublisher {
  #registry: AppRegistry;
  constructor(registry: AppRegistry) {
    this.#registry = registry;
  }

  /**
   * `message` is the SIP text, or what turns into it with toString() (a received message's raw
   * Buffer, a SipMessage): serialized only when an application routed this CDR type.
   */
  publish(input: CdrInput, message: string | Buffer | SipMessage): void {
    const apps = this.#registry.all(`cdr:${input.type}`);
    if (!apps.length) return;
    const raw = typeof message === 'string' ? message : Buffer.isBuffer(message) ? message.toString('utf8') : message.toString();
    const payload = formatCdr({ ...input, time: formatStackTime(Date.now()) } as CdrRecord, raw);
    for (const app of apps) app.send(payload);
  }
}
