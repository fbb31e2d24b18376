/**
 * The CDR webhook against local HTTP servers on 127.0.0.1: one that fails first and then takes
 * the record, one that always fails (→ the dead-letter table), and a record still pending when the
 * gateway stops, sent by the next start. Calls are real SIPp calls through the gateway.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

interface Hit { body: Record<string, unknown>; headers: IncomingMessage['headers'] }

/** An HTTP server answering the n-th request (from 1) with `status(n)`; `hit(n)` resolves on the n-th. */
async function hookServer(status: (n: number) => number): Promise<{ url: string; hits: Hit[]; hit(n: number): Promise<Hit>; server: Server }> {
  const hits: Hit[] = [];
  const waiters = new Map<number, (h: Hit) => void>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => {
      const h = { body: JSON.parse(body) as Record<string, unknown>, headers: req.headers };
      hits.push(h);
      res.statusCode = status(hits.length);
      res.end();
      waiters.get(hits.length)?.(h);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/cdr`, hits, server,
    hit: (n) => (hits[n - 1] ? Promise.resolve(hits[n - 1]!) : new Promise((r) => waiters.set(n, r))),
  };
}

async function oneCall(gw: TestGateway): Promise<void> {
  const s = await runSipp({ args: ['-sn', 'uac', `127.0.0.1:${gw.sipPort}`, '-i', '127.0.0.1', '-p', String(await freePort()), '-mp', String(await sippMediaPort()), '-m', '1', '-d', '200'], timeoutMs: 20_000 });
  expect(s.code, s.errors).toBe(0);
}

const open: { close(): unknown }[] = [];
afterEach(async () => { for (const o of open.splice(0)) await o.close(); });

/** The record's webhook state, read as another process would (the gateway logs delivery at debug level only). */
function webhookState(db: string): string | undefined {
  const c = new Database(db, { readonly: true });
  try { return (c.prepare('SELECT webhook FROM cdr').get() as { webhook: string } | undefined)?.webhook; } finally { c.close(); }
}

function gatewayWith(db: string, webhook: Record<string, unknown>): Promise<TestGateway> {
  return startTestGateway({ extra: { cdr: { path: db, instance: 'hook-test', webhook } } });
}

describe('CDR webhook', () => {
  it('retries a failed POST with backoff and marks the record delivered once the receiver takes it', async () => {
    const hook = await hookServer((n) => (n === 1 ? 503 : 200));
    open.push(hook.server);
    const db = join(mkdtempSync(join(tmpdir(), 'tg-hook-')), 'cdr.sqlite');
    const gw = await gatewayWith(db, { url: hook.url, backoff_ms: 50, attempts: 3 });
    await oneCall(gw);
    const second = await hook.hit(2);
    const first = hook.hits[0]!;
    expect(second.body).toEqual(first.body);
    expect(second.headers['idempotency-key']).toBe(first.headers['idempotency-key']);
    expect(second.body).toMatchObject({ id: first.headers['idempotency-key'], state: 'ended', hangup_by: 'caller', trunk: 'test', direction: 'inbound' });
    await gw.waitFor(() => webhookState(db) === 'delivered');
    await gw.stop();
    const rows = new Database(db, { readonly: true });
    expect(rows.prepare('SELECT webhook FROM cdr').all()).toEqual([{ webhook: 'delivered' }]);
    expect(rows.prepare('SELECT count(*) AS n FROM cdr_dead_letter').get()).toEqual({ n: 0 });
    rows.close();
    expect(hook.hits).toHaveLength(2);
  }, 40_000);

  it('puts the record in cdr_dead_letter after the last attempt when the receiver always fails', async () => {
    const hook = await hookServer(() => 500);
    open.push(hook.server);
    const db = join(mkdtempSync(join(tmpdir(), 'tg-hook-')), 'cdr.sqlite');
    const gw = await gatewayWith(db, { url: hook.url, backoff_ms: 20, attempts: 3 });
    await oneCall(gw);
    await gw.waitFor(() => gw.logs().some((l) => l.event === 'cdr_webhook_dead'));
    await gw.stop();
    expect(hook.hits).toHaveLength(3);
    const rows = new Database(db, { readonly: true });
    const cdr = rows.prepare('SELECT id, webhook FROM cdr').get() as { id: string; webhook: string };
    expect(cdr.webhook).toBe('dead');
    const dead = rows.prepare('SELECT * FROM cdr_dead_letter').all() as { cdr_id: string; url: string; attempts: number; last_error: string; payload: string }[];
    rows.close();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ cdr_id: cdr.id, url: hook.url, attempts: 3, last_error: 'HTTP 500' });
    expect(JSON.parse(dead[0]!.payload)).toEqual(hook.hits[2]!.body);
  }, 40_000);

  it('sends a record still pending at stop when the gateway starts again', async () => {
    const failing = await hookServer(() => 503);
    open.push(failing.server);
    const db = join(mkdtempSync(join(tmpdir(), 'tg-hook-')), 'cdr.sqlite');
    // A long backoff: the record is still pending when the gateway stops.
    const gw = await gatewayWith(db, { url: failing.url, backoff_ms: 60_000, attempts: 5 });
    await oneCall(gw);
    await failing.hit(1);
    await gw.stop();
    const ok = await hookServer(() => 200);
    open.push(ok.server);
    const again = await gatewayWith(db, { url: ok.url, backoff_ms: 50, attempts: 5 });
    const sent = await ok.hit(1);
    expect(sent.body).toEqual(failing.hits[0]!.body);
    await again.waitFor(() => webhookState(db) === 'delivered');
    await again.stop();
    expect(failing.hits).toHaveLength(1);
  }, 40_000);
});
