/**
 * Whether this instance should be sent new calls: one answer for `/ready` (load balancers,
 * orchestrators) and for OPTIONS (a Kamailio dispatcher pinging its destinations, issue 16).
 *
 * Ready = the drachtio connection is up, the media workers can take sessions, the gateway is
 * not draining, and there is room below `max_calls` (of the asking trunk, or of any trunk).
 */

/** Why an instance is not ready; more than one can hold at once. */
export type NotReadyReason = 'draining' | 'drachtio_disconnected' | 'media_down' | 'at_capacity';

export interface Readiness {
  ready: boolean;
  /** Empty when ready. */
  reasons: NotReadyReason[];
}

/** What readiness is decided from; each a cheap read of the gateway's live state. */
export interface ReadinessInputs {
  draining(): boolean;
  drachtioConnected(): boolean;
  mediaUp(): boolean;
  /** Calls on the trunk now (set up or answered), and its configured limit. */
  callsOnTrunk(trunk: string): number;
  readonly trunks: readonly { readonly name: string; readonly max_calls: number }[];
}

/**
 * Readiness now. With `trunk`, capacity is that trunk's (an OPTIONS from it); without, the
 * instance is at capacity only when every trunk is (it cannot take any call).
 */
export function readiness(inputs: ReadinessInputs, trunk?: string): Readiness {
  const reasons: NotReadyReason[] = [];
  if (inputs.draining()) reasons.push('draining');
  if (!inputs.drachtioConnected()) reasons.push('drachtio_disconnected');
  if (!inputs.mediaUp()) reasons.push('media_down');
  const full = (t: { name: string; max_calls: number }): boolean => inputs.callsOnTrunk(t.name) >= t.max_calls;
  const scope = trunk === undefined ? inputs.trunks : inputs.trunks.filter((t) => t.name === trunk);
  if (scope.length > 0 && scope.every(full)) reasons.push('at_capacity');
  return { ready: reasons.length === 0, reasons };
}
