/** Load-test failures that are not "a call failed" (those are counted in the report). */
import { TrunkgateError } from '../errors.js';
export type LoadtestErrorCode =
  | 'BAD_OPTION'          // an option value out of range or malformed
  | 'UNKNOWN_SCENARIO'    // --scenario names no file in sipp-scenarios/
  | 'PEER_START_FAILED'   // the gateway / SIPp uas / Kamailio did not come up
  | 'SIPP_FAILED'         // SIPp exited with a fatal error (97/99/255) or produced no statistics
  | 'TIMEOUT';            // the run exceeded its deadline and was killed

export class LoadtestError extends TrunkgateError<LoadtestErrorCode> {
  constructor(code: LoadtestErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
