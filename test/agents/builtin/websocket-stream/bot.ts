import { WebSocketServer, type WebSocket } from 'ws';
import { freePort } from '../../../helpers/ports.js';

export type BotMessage = Record<string, unknown> & { event: string };

/** A bot: a real ws server on 127.0.0.1 that records the gateway's messages and can answer. */
export async function startBot() {
  const port = await freePort();
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const messages: BotMessage[] = [];
  const waiters: (() => void)[] = [];
  let socket: WebSocket | undefined;
  let closed = false;
  const connected = new Promise<WebSocket>((resolve) => {
    wss.once('connection', (ws) => {
      socket = ws;
      ws.on('message', (data) => {
        messages.push(JSON.parse(data.toString()) as BotMessage);
        for (const w of waiters.splice(0)) w();
      });
      ws.on('close', () => { closed = true; for (const w of waiters.splice(0)) w(); });
      resolve(ws);
    });
  });
  const until = (pred: () => boolean): Promise<void> => new Promise((resolve) => {
    const check = (): void => { if (pred()) resolve(); else waiters.push(check); };
    check();
  });
  return {
    url: `ws://127.0.0.1:${port}/stream`,
    messages,
    connected,
    get closed() { return closed; },
    events: (name: string) => messages.filter((m) => m.event === name),
    /** Resolves once `n` messages with event `name` have arrived. */
    waitFor: async (name: string, n = 1) => { await until(() => messages.filter((m) => m.event === name).length >= n); return messages.filter((m) => m.event === name); },
    waitClosed: () => until(() => closed),
    send: (msg: Record<string, unknown>) => { socket!.send(JSON.stringify(msg)); },
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
