/** Test helper: the typed views of a message, for comparing a parse with the parse of its re-serialization. */
import type { SipMessage } from '../../../src/sip/message/index.js';

export function views(m: SipMessage): Record<string, unknown> {
  const common = {
    callId: m.callId,
    cseq: m.cseq,
    from: m.from,
    to: m.to,
    vias: m.vias,
    maxForwards: m.maxForwards,
    contentType: m.contentType,
    headers: m.headers.fields().filter((f) => f.name.toLowerCase() !== 'content-length')
      .map((f) => [f.name.toLowerCase(), f.value]),
    body: m.body.toString('hex'),
  };
  return m.kind === 'request'
    ? { kind: m.kind, method: m.method, uri: m.uri, ...common }
    : { kind: m.kind, status: m.status, reason: m.reason, ...common };
}
