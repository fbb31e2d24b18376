/**
 * The carrier REST calls a streaming bot makes to hang up, answered the way the carrier answers:
 * - Twilio: `POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json` with `Status=completed`
 *   → 200 and the call resource; an unknown or already ended call → 404 with Twilio's error body
 *   (`code: 20404`), which Pipecat's TwilioFrameSerializer reads as "already terminated".
 * - Plivo: `DELETE /v1/Account/{auth_id}/Call/{call_uuid}/` → 204; unknown or ended → 404.
 * One small node:http server per host:port, shared by the calls using it. It stays up a while
 * after its last call ends, so a bot that hangs up after the caller did still gets the carrier's
 * "already ended" answer instead of a refused connection. Bound to loopback by default.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

type Hangup = () => void;

interface Endpoint {
  server: Server;
  ready: Promise<void>;
  calls: Map<string, Hangup>;
  linger: NodeJS.Timeout | undefined;
}

/** How long an endpoint outlives its last call (a bot's hang-up can follow the caller's by seconds). */
export const REST_LINGER_MS = 30_000;

const endpoints = new Map<string, Endpoint>();
const TWILIO_CALL = /^\/2010-04-01\/Accounts\/[^/]+\/Calls\/([^/]+)\.json$/;
const PLIVO_CALL = /^\/v1\/Account\/[^/]+\/Call\/([^/]+)\/?$/;

function json(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Twilio's error body (https://www.twilio.com/docs/usage/twilios-response#response-formats-exceptions). */
function twilioError(res: ServerResponse, status: number, code: number, message: string): void {
  json(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => { if (body.length < 65536) body += d; });
    req.on('end', () => resolve(body));
    req.on('error', () => resolve(body));
  });
}

async function handle(calls: Map<string, Hangup>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const twilio = TWILIO_CALL.exec(path);
  const plivo = PLIVO_CALL.exec(path);
  const body = await readBody(req);
  if (twilio && req.method === 'POST') {
    const callSid = decodeURIComponent(twilio[1]!);
    const hangup = calls.get(callSid);
    if (!hangup) { twilioError(res, 404, 20404, `The requested resource ${path} was not found`); return; }
    const status = new URLSearchParams(body).get('Status');
    if (status !== 'completed' && status !== 'canceled') {
      twilioError(res, 400, 21218, 'Only Status=completed (or canceled) is supported by this gateway');
      return;
    }
    json(res, 200, { sid: callSid, status: 'completed' });
    hangup();
    return;
  }
  if (plivo && req.method === 'DELETE') {
    const hangup = calls.get(decodeURIComponent(plivo[1]!));
    if (!hangup) { json(res, 404, { api_id: '', error: 'not found' }); return; }
    res.writeHead(204).end();
    hangup();
    return;
  }
  if (twilio) { twilioError(res, 405, 20004, 'Method not allowed'); return; }
  twilioError(res, 404, 20404, `The requested resource ${path} was not found`);
}

/** Registers a call with the endpoint on host:port; returns its removal (after which the call is "not found"). */
export async function registerRestHangup(host: string, port: number, callSid: string, hangup: Hangup): Promise<() => void> {
  const key = `${host}:${port}`;
  let ep = endpoints.get(key);
  if (!ep) {
    const calls = new Map<string, Hangup>();
    const server = createServer((req, res) => { void handle(calls, req, res); });
    const ready = new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => { server.off('error', reject); resolve(); });
    });
    const created: Endpoint = { server, ready, calls, linger: undefined };
    ep = created;
    endpoints.set(key, created);
    ready.catch(() => { if (endpoints.get(key) === created) endpoints.delete(key); });
  }
  const current = ep;
  if (current.linger) { clearTimeout(current.linger); current.linger = undefined; }
  current.server.ref();
  current.calls.set(callSid, hangup);
  try {
    await current.ready;
  } catch (err) {
    current.calls.delete(callSid);
    throw err;
  }
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    current.calls.delete(callSid);
    if (current.calls.size > 0 || endpoints.get(key) !== current) return;
    current.linger = setTimeout(() => {
      if (current.calls.size > 0 || endpoints.get(key) !== current) return;
      endpoints.delete(key);
      current.server.close();
      current.server.closeIdleConnections(); // an answer in flight finishes first
    }, REST_LINGER_MS);
    // While lingering, neither the timer nor the server keeps the process alive.
    current.linger.unref();
    current.server.unref();
  };
}
