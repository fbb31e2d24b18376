/**
 * Counts the embedded SIP stack's traffic into the gateway's `trunkgate_sip_messages_total`:
 * requests by method, responses by their CSeq method and status. (With an external
 * drachtio-server the SIP stack is not in this process and nothing is counted here.)
 */
import type { SipMessage } from '../sip/message/index.js';
import type { TransportLayer } from '../sip/transport/layer.js';
import type { GatewayMetrics } from '../gateway/metrics/gateway-metrics.js';

export function countSipTraffic(transport: TransportLayer, metrics: GatewayMetrics): void {
  transport.onTraffic((direction, message: SipMessage) => {
    if (message.kind === 'request') return metrics.sipMessage(direction, message.method);
    let method = 'OTHER';
    try { method = message.cseq.method; } catch { /* no or bad CSeq: still counted */ }
    metrics.sipMessage(direction, method, message.status);
  });
}
