/**
 * Child process of b2bua.bench.ts: the embedded drachtio server and a drachtio-srf B2BUA app in
 * one process (as `trunkgate` runs them), so its /proc CPU and RSS are trunkgate's whole cost.
 * argv: <sipPort> <controlPort> <bLegPort>. Prints "ready" when the app is connected.
 * TG_BENCH_B2BUA_SPLIT=1 puts the server on a worker thread (b2bua-server-thread.ts): two event
 * loops in one process, as the next step past one thread.
 */
import { Worker } from 'node:worker_threads';
import Srf from 'drachtio-srf';
import { createDrachtioServer } from '../../src/drachtio/server.js';
import { createLogger } from '../../src/log.js';

const [sipPort, controlPort, bPort] = process.argv.slice(2).map(Number);
const split = process.env.TG_BENCH_B2BUA_SPLIT === '1';
let close: () => Promise<void>;
if (split) {
  // On Node 20 a worker's `--import tsx` does not reach its entry module: register tsx in the thread first.
  const entry = new URL('./b2bua-server-thread.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
  const thread = new Worker(boot, { eval: true, workerData: { sipPort, controlPort } });
  await new Promise<void>((resolve, reject) => { thread.once('message', () => resolve()); thread.once('error', reject); });
  close = () => new Promise((resolve) => { thread.once('exit', () => resolve()); thread.postMessage('close'); });
} else {
  const server = createDrachtioServer({
    sip: { contacts: [`sip:127.0.0.1:${sipPort};transport=udp`] },
    control: { host: '127.0.0.1', port: controlPort!, secret: 'bench' },
    logger: createLogger({ level: 'warn' }),
  });
  await server.start();
  close = () => server.close();
}
const srf: any = new Srf();
srf.connect({ host: '127.0.0.1', port: controlPort, secret: 'bench' });
srf.on('connect', () => process.stdout.write('ready\n'));
srf.invite(async (req: any, res: any) => {
  try {
    const { uas, uac } = await srf.createB2BUA(req, res, `sip:service@127.0.0.1:${bPort}`, { localSdpB: req.body });
    uas.on('destroy', () => { void uac.destroy().catch(() => undefined); });
    uac.on('destroy', () => { void uas.destroy().catch(() => undefined); });
  } catch { /* srf passes the failure back to the caller */ }
});
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => { void close().then(() => process.exit(0)); });
