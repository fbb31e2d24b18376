/** Errors of the drachtio-compatible server, each with a stable `code` for callers and tests. */
import { TrunkgateError } from '../errors.js';
export type DrachtioErrorCode =
  | 'DRACHTIO_BAD_FRAME'
  | 'DRACHTIO_BAD_MESSAGE'
  | 'DRACHTIO_NOT_AUTHENTICATED'
  | 'DRACHTIO_UNKNOWN_TRANSACTION'
  | 'DRACHTIO_UNKNOWN_DIALOG'
  | 'DRACHTIO_SEND_FAILED';

export class DrachtioError extends TrunkgateError<DrachtioErrorCode> {
  constructor(code: DrachtioErrorCode, message: string) {
    super(code, message);
  }
}
