/**
 * The one Twilio REST call a Pipecat bot makes: `POST /2010-04-01/Accounts/{sid}/Calls/{callSid}.json`
 * with `Status=completed` hangs the call up. One small node:http server per port, shared by the
 * calls using it, started by the first and closed with the last. Bound to loopback by default.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

type Hangup = () => void;

interface Endpoint {
  server: Server;
  ready: Promise<void>;
  calls: Map<string, Hangup>;
}

const endpoints = new Map<string, Endpoint>();
const CALL_PATH = /^\/2010-04-01\/Accounts\/[^/]+\/Calls\/([^/]+)\.json$/;

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function handle(calls: Map<string, Hangup>, req: IncomingMessage, res: ServerResponse): void {
  const match = CALL_PATH.exec(new URL(req.url ?? '/', 'http://localhost').pathname);
  if (req.method !== 'POST' || !match) { reply(res, 404, { status: 404, message: 'not found' }); return; }
  const callSid = decodeURIComponent(match[1]!);
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d: string) => { if (body.length < 65536) body += d; });
  req.on('end', () => {
    const hangup = calls.get(callSid);
    if (!hangup) { reply(res, 404, { status: 404, message: `call ${callSid} not found` }); return; }
    const status = new URLSearchParams(body).get('Status');
    if (status === 'completed' || status === 'canceled') {
      reply(res, 200, { sid: callSid, status: 'completed' });
      hangup();
      return;
    }
    reply(res, 400, { status: 400, message: 'only Status=completed is supported' });
  });
}

/** Registers a call with the endpoint on host:port; returns its removal (which closes the server when idle). */
export async function registerRestHangup(host: string, port: number, callSid: string, hangup: Hangup): Promise<() => void> {
  const key = `${host}:${port}`;
  let ep = endpoints.get(key);
  if (!ep) {
    const calls = new Map<string, Hangup>();
    const server = createServer((req, res) => handle(calls, req, res));
    const ready = new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => { server.off('error', reject); resolve(); });
    });
    ep = { server, ready, calls };
    endpoints.set(key, ep);
    ready.catch(() => { if (endpoints.get(key) === ep) endpoints.delete(key); });
  }
  const current = ep;
  current.calls.set(callSid, hangup);
  try {
    await current.ready;
  } catch (err) {
    current.calls.delete(callSid);
    throw err;
  }
  return () => {
    current.calls.delete(callSid);
    if (current.calls.size === 0 && endpoints.get(key) === current) {
      endpoints.delete(key);
      current.server.close();
      current.server.closeIdleConnections(); // an answer in flight finishes first
    }
  };
}
