/**
 * Opening the Realtime WebSocket with the official SDK (`OpenAIRealtimeWS`: OPENAI_API_KEY and
 * OPENAI_BASE_URL from the environment, as the SDK reads them), bounded by a timeout, and telling
 * the failures that end a session (socket closed, rate limit, a fatal `error` event) from the
 * recoverable ones.
 */
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import type { OpenAIRealtimeError } from 'openai/realtime/internal-base';
import type { RealtimeResponseStatus } from 'openai/resources/realtime/realtime';
import { TrunkgateError } from '../../../errors.js';

export type FailureKind = 'connect' | 'error' | 'rate_limit' | 'dropped';

export class RealtimeConnectError extends TrunkgateError<'OPENAI_REALTIME_CONNECT'> {
  constructor(reason: string) {
    super('OPENAI_REALTIME_CONNECT', `Realtime WebSocket did not open: ${reason}`);
  }
}

/**
 * A session that is ready: the socket is open and the server sent `session.created`. Rejects with
 * RealtimeConnectError on a socket error, an early close, or after `timeoutMs`.
 */
export function openRealtime(model: string, timeoutMs: number): Promise<OpenAIRealtimeWS> {
  return new Promise((resolve, reject) => {
    let rt: OpenAIRealtimeWS;
    try {
      rt = new OpenAIRealtimeWS({ model });
    } catch (err) {
      reject(new RealtimeConnectError((err as Error).message));
      return;
    }
    let settled = false;
    const fail = (reason: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      rt.socket.removeAllListeners('close');
      rt.socket.terminate();
      reject(new RealtimeConnectError(reason));
    };
    const timer = setTimeout(() => fail(`no session within ${timeoutMs} ms`), timeoutMs);
    const onError = (err: OpenAIRealtimeError): void => fail(err.error ? `${err.error.code ?? err.error.type}: ${err.error.message}` : err.message);
    rt.on('error', onError);
    rt.socket.once('close', (code: number) => fail(`closed (${code}) before the session started`));
    rt.once('session.created', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      rt.off('error', onError);
      rt.socket.removeAllListeners('close');
      resolve(rt);
    });
  });
}

/** `error` event codes after which the session cannot go on. */
const FATAL_ERROR_CODES = new Set(['rate_limit_exceeded', 'insufficient_quota', 'session_expired', 'invalid_api_key', 'model_not_found']);

/** A server `error` event: does it end the conversation, and as what? */
export function classifyError(err: OpenAIRealtimeError): FailureKind | undefined {
  const code = err.error?.code ?? '';
  const type = err.error?.type ?? '';
  if (code === 'rate_limit_exceeded' || type === 'rate_limit_exceeded' || type === 'rate_limit_error') return 'rate_limit';
  if (FATAL_ERROR_CODES.has(code)) return 'error';
  if (!err.error) return 'error'; // a socket or parse error, not a server event
  return undefined;
}

/** A `response.done` that failed for a reason the next response would hit too. */
export function classifyResponseFailure(status: string | undefined, details: RealtimeResponseStatus | undefined): FailureKind | undefined {
  if (status !== 'failed') return undefined;
  const code = `${details?.error?.code ?? ''} ${details?.error?.type ?? ''}`;
  if (/rate_limit/.test(code)) return 'rate_limit';
  if (/insufficient_quota/.test(code)) return 'error';
  return undefined;
}
