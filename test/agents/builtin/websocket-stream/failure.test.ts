import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createServer, type Server, type Socket } from 'node:net';
import { createWebSocketAgent } from '../../../../src/agents/builtin/websocket-stream/index.js';
import { rootLogger } from '../../../../src/log.js';
import { freePort } from '../../../helpers/ports.js';
import { callInfo } from '../../helpers.js';
import { startBot } from './bot.js';
import { markingIO } from './fake-io.js';

const ctx = { transferTargets: {}, log: rootLogger };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0)) await c(); });

/** A TCP listener that accepts connections and never answers the WebSocket upgrade; returns its port. */
async function silentTcpServer(): Promise<number> {
  const port = await freePort();
  const sockets: Socket[] = [];
  const silent: Server = createServer((s) => { sockets.push(s); });
  await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => { sockets.forEach((s) => s.destroy()); silent.close(() => resolve()); }));
  return port;
}

describe('websocket agent, when the bot fails', () => {
  it('hangs up with a reason when nothing listens at the bot url', async () => {
    const port = await freePort();
    const agent = await createWebSocketAgent({ url: `ws://127.0.0.1:${port}/`, format: 'twilio' }, ctx);
    const r = markingIO();
    await agent.start(callInfo, r.io);
    expect(await r.hangup).toMatch(/unreachable/);
  });

  it('hangs up after connect_timeout_ms when the bot accepts TCP but never answers the upgrade', async () => {
    const port = await silentTcpServer();
    const agent = await createWebSocketAgent({ url: `ws://127.0.0.1:${port}/`, format: 'twilio', connect_timeout_ms: 300 }, ctx);
    const r = markingIO();
    await agent.start(callInfo, r.io);
    expect(await r.hangup).toMatch(/unreachable/);
  });

  it('hangs up with a reason when the bot closes the socket mid-call', async () => {
    const bot = await startBot();
    cleanups.push(() => bot.close());
    const agent = await createWebSocketAgent({ url: bot.url, format: 'twilio' }, ctx);
    const r = markingIO();
    await agent.start(callInfo, r.io);
    const ws = await bot.connected;
    await bot.waitFor('start');
    ws.close(1011);
    expect(await r.hangup).toMatch(/closed/);
  });

  it('a bot closing the stream normally (RFC 6455 code 1000) hangs up the call and skips on_error', async () => {
    const bot = await startBot();
    cleanups.push(() => bot.close());
    const agent = await createWebSocketAgent({ url: bot.url, format: 'vobiz', on_error: 'transfer', transfer_target: 'sales' }, ctx);
    const r = markingIO();
    await agent.start(callInfo, r.io);
    const ws = await bot.connected;
    await bot.waitFor('start');
    ws.close(1000);
    expect(await r.hangup).toBe('bot hung up (closed the stream)');
    expect(r.transfers).toEqual([]);
  });

  it('a bot closing with 1011 (internal error) takes the on_error path', async () => {
    const bot = await startBot();
    cleanups.push(() => bot.close());
    const agent = await createWebSocketAgent({ url: bot.url, format: 'vobiz', on_error: 'transfer', transfer_target: 'sales' }, ctx);
    const r = markingIO();
    await agent.start(callInfo, r.io);
    const ws = await bot.connected;
    await bot.waitFor('start');
    ws.close(1011);
    expect(await r.hangup).toMatch(/closed the stream \(code 1011\)/);
    expect(r.transfers).toEqual(['sales']);
  });

  it('on_error transfer tries the transfer target and, when the transfer does not reach the human, hangs up', async () => {
    const port = await freePort();
    const agent = await createWebSocketAgent({ url: `ws://127.0.0.1:${port}/`, format: 'vobiz', on_error: 'transfer', transfer_target: 'sales' }, ctx);
    const r = markingIO();
    await agent.start(callInfo, r.io);
    expect(await r.hangup).toMatch(/unreachable/);
    expect(r.transfers).toEqual(['sales']);
  });

  it('a bot rejecting the upgrade (HTTP 403) is unreachable too', async () => {
    const port = await freePort();
    const wss = new WebSocketServer({ host: '127.0.0.1', port, verifyClient: () => false });
    cleanups.push(() => new Promise<void>((resolve) => { wss.close(() => resolve()); }));
    const agent = await createWebSocketAgent({ url: `ws://127.0.0.1:${port}/`, format: 'twilio' }, ctx);
    const r = markingIO();
    await agent.start(callInfo, r.io);
    expect(await r.hangup).toMatch(/unreachable/);
  });

  it('a call that ends while the bot is still connecting never streams and never hangs up', async () => {
    const port = await silentTcpServer();
    const agent = await createWebSocketAgent({ url: `ws://127.0.0.1:${port}/`, format: 'twilio', connect_timeout_ms: 300 }, ctx);
    const r = markingIO();
    const started = agent.start(callInfo, r.io);
    agent.stop?.('caller hung up');
    await started;
    expect(r.hangups).toEqual([]);
  });
});
