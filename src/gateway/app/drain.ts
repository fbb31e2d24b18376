/**
 * Graceful drain (issue 15 item 6): once it starts, admission refuses new INVITEs with 503 and
 * Retry-After and readiness (OPTIONS, /ready) says `draining`; live calls may finish for the
 * grace period, then the gateway ends them (BYE with a Reason header, RFC 3326) and `call_end`
 * says `endCause: shutdown`.
 */
import type { Logger } from '../../log.js';

/** What a drain needs from the gateway. */
export interface DrainTarget {
  /** Calls still up when the grace period is over. */
  /** Ends every call that is up now (BYE with `reason`, call_end with `endCause: cause`). */
  endLive(reason: string, cause: string): Promise<void>;
  /** Calls answered or being set up. */
  busy(): number;
  /** Resolves when busy() reaches 0. */
  idle(): Promise<void>;
  log: Logger;
}

/** The reason in the BYE and call_end of a call the grace period cut short. */
export const SHUTDOWN_REASON = 'shutdown grace period over';

/** How long a drain whose grace is over waits for calls still being set up before ending them. */
const SETUP_SETTLE_MS = 5000;

export type DrainResult = 'idle' | 'grace_over';

/** Waits up to `graceMs` for every call to finish, then ends the rest; resolves when all are gone. */
export async function drainCalls(target: DrainTarget, graceMs: number): Promise<DrainResult> {
  if (target.busy() === 0) return 'idle';
  target.log.info({ event: 'drain_waiting', calls: target.busy(), graceMs }, 'draining: waiting for calls to finish');
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    target.idle().then(() => 'idle' as const),
    new Promise<'grace_over'>((r) => { timer = setTimeout(() => r('grace_over'), graceMs); }),
  ]);
  clearTimeout(timer);
  if (result === 'grace_over') {
    target.log.info({ event: 'drain_grace_over', calls: target.busy() }, 'grace period over: ending the calls still up');
    await target.endLive(SHUTDOWN_REASON, 'shutdown');
    // A call still being set up becomes live on its own time: give it a moment, then end it too.
    if (target.busy() > 0) {
      await Promise.race([target.idle(), new Promise<void>((r) => { timer = setTimeout(r, SETUP_SETTLE_MS); })]);
      clearTimeout(timer);
      await target.endLive(SHUTDOWN_REASON, 'shutdown');
    }
  }
  return result;
}
