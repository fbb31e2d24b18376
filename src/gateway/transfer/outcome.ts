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
