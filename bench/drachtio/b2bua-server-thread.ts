/**
 * Worker thread of b2bua-worker.ts when TG_BENCH_B2BUA_SPLIT=1: the embedded drachtio server
 * (SIP stack + control connection) on its own thread and event loop, the drachtio-srf app on the
 * main thread, connected over the same loopback TCP control connection as a separate
 * drachtio-server and its apps are. workerData: { sipPort, controlPort }. Posts 'ready'.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createDrachtioServer } from '../../src/drachtio/server.js';
import { createLogger } from '../../src/log.js';

const { sipPort, controlPort } = workerData as { sipPort: number; controlPort: number };
const server = createDrachtioServer({
  sip: { contacts: [`sip:127.0.0.1:${sipPort};transport=udp`] },
  control: { host: '127.0.0.1', port: controlPort, secret: 'bench' },
  logger: createLogger({ level: 'warn' }),
});
await server.start();
parentPort!.on('message', (m) => { if (m === 'close') void server.close().then(() => process.exit(0)); });
parentPort!.postMessage('ready');
