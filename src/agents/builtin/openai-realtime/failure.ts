/**
 * The failure policy: what `on_failure` means for this failure of the Realtime side. `retry`
 * reconnects once (with the instructions and the transcript so far); a failure after the retry
 * takes the retry's `then` (default: hang up).
 */
import type { OnFailure } from './settings.js';

export type FailureAction =
  | { kind: 'retry' }
  | { kind: 'transfer'; target: string }
  | { kind: 'hangup' };

export function decideFailure(policy: OnFailure, alreadyRetried: boolean): FailureAction {
  if (policy === 'hangup') return { kind: 'hangup' };
  if (policy === 'retry') return alreadyRetried ? { kind: 'hangup' } : { kind: 'retry' };
  if ('transfer' in policy) return { kind: 'transfer', target: policy.transfer };
  if (!alreadyRetried) return { kind: 'retry' };
  const then = policy.retry.then;
  return then === 'hangup' ? { kind: 'hangup' } : { kind: 'transfer', target: then.transfer };
}
