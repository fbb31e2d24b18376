import Srf from 'drachtio-srf';
import { createDrachtioServer, type DrachtioServer } from '../../../src/drachtio/server.js';
import { createLogger } from '../../../src/log.js';
import type { SourcePolicy } from '../../../src/sip/transport/types.js';
import { freePort } from '../../helpers/ports.js';

export const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

/**
 * A connected drachtio-srf instance. Typed loosely: srf's bundled typings lack several methods
 * and properties these tests use (Dialog.id, srf.register, proxyRequest's promise …).
 */
export type SrfApp = any;

export interface Harness {
  server: DrachtioServer;
  sipPort: number;
  controlPort: number;
  secret: string;
  connect(): Promise<SrfApp>;
  close(): Promise<void>;
}

/** An embedded drachtio server on loopback (UDP+TCP on one free port) and drachtio-srf apps connected to it. */
export async function startHarness(opts: { logLevel?: string; t1?: number; sourcePolicy?: SourcePolicy; appResponseTimeout?: number; supportedExtensions?: readonly string[] | false; callIdHost?: string } = {}): Promise<Harness> {
  const sipPort = await freePort();
  const controlPort = await freePort();
  const secret = 'cymru';
  const server = createDrachtioServer({
    sip: { contacts: [`sip:127.0.0.1:${sipPort};transport=udp,tcp`], ...(opts.t1 ? { timers: { t1: opts.t1 } } : {}), ...(opts.callIdHost ? { callIdHost: opts.callIdHost } : {}) },
    control: { host: '127.0.0.1', port: controlPort, secret },
    ...(opts.sourcePolicy ? { sourcePolicy: opts.sourcePolicy } : {}),
    ...(opts.appResponseTimeout !== undefined ? { appResponseTimeout: opts.appResponseTimeout } : {}),
    ...(opts.supportedExtensions !== undefined ? { supportedExtensions: opts.supportedExtensions } : {}),
    logger: createLogger({ level: opts.logLevel ?? process.env.TRUNKGATE_LOG_LEVEL ?? 'silent' }),
  });
  await server.start();
  const apps: Srf[] = [];
  return {
    server, sipPort, controlPort, secret,
    async connect() {
      const srf = new Srf();
      apps.push(srf);
      await new Promise<void>((resolve, reject) => {
        srf.on('connect', (err: Error | null) => (err ? reject(err) : resolve()));
        srf.connect({ host: '127.0.0.1', port: controlPort, secret });
      });
      return srf;
    },
    async close() {
      for (const a of apps) { try { a.disconnect(); } catch { /* already gone */ } }
      await server.close();
    },
  };
}

/** Resolves when `emitter` emits `event` (first argument), rejects after timeoutMs. */
export function once<T = unknown>(emitter: { once(ev: string, fn: (...a: any[]) => void): unknown }, event: string, timeoutMs = 20_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for '${event}'`)), timeoutMs);
    emitter.once(event, (v: T) => { clearTimeout(t); resolve(v); });
  });
}

/** Polls a condition that has no event (server counters), for at most timeoutMs. */
export async function until(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Absolute path of a scenario file in test/drachtio/scenarios. */
export function scenario(name: string): string {
  return new URL(`../scenarios/${name}`, import.meta.url).pathname;
}
