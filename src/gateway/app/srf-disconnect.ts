/**
 * Closing drachtio-srf's connection to its drachtio server in either state. Connected:
 * `srf.disconnect()`. Not connected (the server went away): drachtio-srf's client retries
 * forever on a timer and `srf.disconnect()` throws an AssertionError (no socket) — so the retry
 * loop is stopped the way disconnect() would (wire-protocol.js: `closing` set, the pending retry
 * cleared). drachtio-srf 5.0 has no public call for this; the fields are its WireProtocol's.
 */
import type Srf from 'drachtio-srf';

interface WireProtocolInternals {
  closing: boolean;
  reconnectVars?: { retryTimer: NodeJS.Timeout | null };
  socket?: { destroy(): void };
}

export function disconnectSrf(srf: Srf, connected: boolean): void {
  if (connected) return srf.disconnect();
  const wp = (srf as unknown as { _app?: { client?: { wp?: WireProtocolInternals } } })._app?.client?.wp;
  if (!wp) return;
  wp.closing = true;
  if (wp.reconnectVars?.retryTimer) {
    clearTimeout(wp.reconnectVars.retryTimer);
    wp.reconnectVars.retryTimer = null;
  }
  wp.socket?.destroy();
}
