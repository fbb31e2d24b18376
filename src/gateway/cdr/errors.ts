import { TrunkgateError } from '../../errors.js';

/**
 * CDR_OPEN: the database cannot be opened or created (unwritable folder, not a SQLite file);
 * CDR_SCHEMA: it was written by a newer trunkgate (its user_version is above ours);
 * CDR_QUERY: `trunkgate cdr` was given something it cannot read (--since).
 */
export type CdrErrorCode = 'CDR_OPEN' | 'CDR_SCHEMA' | 'CDR_QUERY';

export class CdrError extends TrunkgateError<CdrErrorCode> {
  constructor(code: CdrErrorCode, message: string, readonly path?: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
