/**
 * How a SIP final status of the human's leg (or of a REFER's NOTIFY sipfrag) reads as a transfer
 * outcome: RFC 3261 §21 classes, with the statuses that mean "a person said no" kept apart from
 * "the network failed".
 */
import type { TransferResult } from '../../agents/types.js';

export function resultForStatus(status: number): TransferResult {
  if (status >= 200 && status < 300) return 'transferred';
  // 486 Busy Here, 600 Busy Everywhere.
  if (status === 486 || status === 600) return 'busy';
  // 408 Request Timeout, 480 Temporarily Unavailable, 487 (our CANCEL after the ring time).
  if (status === 408 || status === 480 || status === 487) return 'no_answer';
  // 5xx is the far side failing, not declining.
  if (status >= 500 && status < 600) return 'failed';
  return 'rejected';
}

/**
 * The text of a failure response's Warning (RFC 3261 §20.43), e.g. why the stack could not send
 * the INVITE at all: its synthetic 503 says `399 trunkgate "TLS certificate of … not verified: …"`.
 */
export function warningText(err: unknown): string | undefined {
  const res = (err as { res?: { get?: (name: string) => string | undefined } } | undefined)?.res;
  const warning = typeof res?.get === 'function' ? res.get('Warning') : undefined;
  const m = warning ? /^\s*\d{3}\s+\S+\s+"((?:[^"\\]|\\.)*)"/.exec(warning) : null;
  return m ? m[1]!.replace(/\\(.)/g, '$1') : undefined;
}
