import { DtmfError } from '../dtmf/telephone-event.js';
import { MediaSessionError } from '../session/errors.js';
import type { WireError } from './protocol.js';
import { TrunkgateError } from '../../errors.js';

/** The media worker pool could not serve a session (worker exited, pool closed, bad option). */
export class MediaWorkerError extends TrunkgateError<'MEDIA_WORKER_EXITED' | 'MEDIA_POOL_CLOSED'> {
  constructor(code: 'MEDIA_WORKER_EXITED' | 'MEDIA_POOL_CLOSED', message: string) {
    super(code, message);
  }
}

/** Rebuild an error that crossed from a worker: same class for our own errors, same `code` for system ones (EADDRINUSE …). */
export function fromWireError(w: WireError): Error {
  if (w.name === 'MediaSessionError') return new MediaSessionError(w.code as MediaSessionError['code'], w.message);
  if (w.name === 'DtmfError') return new DtmfError(w.code as DtmfError['code'], w.message);
  const err = new Error(w.message) as Error & Partial<WireError>;
  err.name = w.name;
  if (w.code !== undefined) err.code = w.code;
  if (w.errno !== undefined) err.errno = w.errno;
  if (w.syscall !== undefined) err.syscall = w.syscall;
  if (w.address !== undefined) err.address = w.address;
  if (w.port !== undefined) err.port = w.port;
  return err;
}
