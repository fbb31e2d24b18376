import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { StatusCallback } from '../../../src/gateway/api/status-callback.js';
import type { StatusCallbackBody } from '../../../src/gateway/api/schemas.js';

const log = pino({ level: 'silent' });
const closers: (() => void)[] = [];
afterEach(() => { for (const c of closers.splice(0)) c(); });

/** A receiver that answers each POST with the next status of `statuses` (then 200) and records the events it saw. */
async function receiver(statuses: number[]): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      seen.push(`${(JSON.parse(body) as { event: string }).event}:${statuses[0] ?? 200}`);
      res.writeHead(statuses.shift() ?? 200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => { server.close(); server.closeAllConnections(); });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, seen };
}

const body = (event: StatusCallbackBody['event']): StatusCallbackBody => ({ id: 'c1', event, timestamp: new Date().toISOString(), trunk: 't', to: '1', from: '2' });

describe('StatusCallback', () => {
  it('retries a 5xx and sends the next state only after the one before it was delivered', async () => {
    const r = await receiver([503, 500]);
    const cb = new StatusCallback({ url: r.url, log, backoffMs: 10 });
    void cb.send(body('ringing'));
    await cb.send(body('answered'));
    expect(r.seen).toEqual(['ringing:503', 'ringing:500', 'ringing:200', 'answered:200']);
  });

  it('gives a state up after its attempts and goes on with the next; a 4xx is not retried', async () => {
    const r = await receiver([500, 500, 404]);
    const cb = new StatusCallback({ url: r.url, log, backoffMs: 10, attempts: 2 });
    void cb.send(body('ringing'));
    void cb.send(body('answered'));
    await cb.send(body('completed'));
    expect(r.seen).toEqual(['ringing:500', 'ringing:500', 'answered:404', 'completed:200']);
  });

  it('retries when nothing listens and resolves once it gives up', async () => {
    const r = await receiver([]);
    closers.splice(0).forEach((c) => c());
    const cb = new StatusCallback({ url: r.url, log, backoffMs: 5, attempts: 2, timeoutMs: 500 });
    await expect(cb.send(body('ringing'))).resolves.toBeUndefined();
  });
});
