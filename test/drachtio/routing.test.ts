import { afterEach, describe, expect, it } from 'vitest';
import { runSipp } from '../helpers/sipp.js';
import { freePort } from '../helpers/ports.js';
import { SDP, scenario, startHarness, type Harness } from './helpers/harness.js';

let h: Harness | undefined;
const kills: Array<() => void> = [];
afterEach(async () => { for (const k of kills.splice(0)) k(); await h?.close(); h = undefined; });

async function uas(args: string[]): Promise<{ port: number; done: ReturnType<typeof runSipp> }> {
  const port = await freePort();
  const done = runSipp({ args: [...args, '-p', String(port), '-i', '127.0.0.1', '-m', '1'], timeoutMs: 40_000 });
  kills.push(done.kill);
  await done.listening();
  return { port, done };
}

describe('routing between applications and targets', () => {
  it('shares incoming INVITEs round robin between two apps that route them', async () => {
    h = await startHarness();
    const counts = [0, 0];
    for (const i of [0, 1]) {
      const srf = await h.connect();
      srf.invite(async (req: any, res: any) => { counts[i]!++; await srf.createUAS(req, res, { localSdp: SDP }); });
    }
    const r = await runSipp({ args: ['-sn', 'uac', `127.0.0.1:${h.sipPort}`, '-p', String(await freePort()), '-i', '127.0.0.1', '-m', '4', '-r', '4', '-d', '100'], timeoutMs: 40_000 });
    expect(r.code, r.errors).toBe(0);
    expect(counts).toEqual([2, 2]);
  });

  it('sends a createUAC request through the `proxy` option’s address while keeping the Request-URI', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const b = await uas(['-sn', 'uas']);
    const dlg = await srf.createUAC('sip:alice@example.invalid', { localSdp: SDP, proxy: `sip:127.0.0.1:${b.port}` });
    expect(dlg.req.uri).toBe('sip:alice@example.invalid');
    await dlg.destroy();
    const rb = await b.done;
    expect(rb.code, rb.errors).toBe(0);
  });

  it('proxyRequest tries the next destination when the first refuses (serial forking)', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const busy = await uas(['-sf', scenario('uas-reply-486.xml')]);
    const ok = await uas(['-sn', 'uas']);
    const results: any[] = [];
    srf.invite((req: any) => {
      void srf.proxyRequest(req, [`sip:a@127.0.0.1:${busy.port}`, `sip:b@127.0.0.1:${ok.port}`]).then((r: any) => results.push(r));
    });
    const a = await runSipp({ args: ['-sf', scenario('uac-through-proxy.xml'), `127.0.0.1:${h.sipPort}`, '-p', String(await freePort()), '-i', '127.0.0.1', '-m', '1'], timeoutMs: 40_000 });
    expect(a.code, a.errors).toBe(0);
    const [rbusy, rok] = await Promise.all([busy.done, ok.done]);
    expect(rbusy.code, rbusy.errors).toBe(0);
    expect(rok.code, rok.errors).toBe(0);
    expect(results[0].finalStatus).toBe(200);
    expect(results[0].responses.flatMap((x: any) => x.msgs.map((m: any) => m.status))).toEqual([486, 200]);
  });
});
