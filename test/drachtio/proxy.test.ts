import { afterEach, describe, expect, it } from 'vitest';
import { runSipp } from '../helpers/sipp.js';
import { freePort } from '../helpers/ports.js';
import { scenario, startHarness, type Harness } from './helpers/harness.js';

let h: Harness | undefined;
const kills: Array<() => void> = [];
afterEach(async () => { for (const k of kills.splice(0)) k(); await h?.close(); h = undefined; });

describe('srf.proxyRequest through the embedded server', () => {
  for (const recordRoute of [false, true]) {
    it(`proxies a SIPp call to a SIPp uas${recordRoute ? ' with the recordRoute option' : ''}`, async () => {
      h = await startHarness();
      const srf = await h.connect();
      const bPort = await freePort();
      const results: any[] = [];
      srf.invite((req: any) => {
        void srf.proxyRequest(req, `sip:service@127.0.0.1:${bPort}`, { recordRoute }).then((r: any) => results.push(r));
      });
      const b = runSipp({ args: ['-sn', 'uas', '-p', String(bPort), '-i', '127.0.0.1', '-m', '1'], timeoutMs: 30_000 });
      kills.push(b.kill);
      await b.listening();
      const a = runSipp({ args: ['-sf', scenario('uac-through-proxy.xml'), `127.0.0.1:${h.sipPort}`, '-p', String(await freePort()), '-i', '127.0.0.1', '-m', '1'], timeoutMs: 30_000 });
      kills.push(a.kill);
      const [ra, rb] = await Promise.all([a, b]);
      expect(ra.code, ra.errors).toBe(0);
      expect(rb.code, rb.errors).toBe(0);
      expect(results).toHaveLength(1);
      expect(results[0].connected).toBe(true);
      expect(results[0].finalStatus).toBe(200);
    });
  }

  it('answers the caller 503 of its own when the target cannot be reached, without the transport error (an internal address) in a Warning', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const closed = await freePort(); // nothing listens: the TCP connect is refused
    const results: any[] = [];
    srf.invite((req: any) => {
      void srf.proxyRequest(req, `sip:service@127.0.0.1:${closed};transport=tcp`).then((r: any) => results.push(r));
    });
    const a = await runSipp({ args: ['-sf', scenario('uac-expect-503-no-warning.xml'), `127.0.0.1:${h.sipPort}`, '-p', String(await freePort()), '-i', '127.0.0.1', '-m', '1'], timeoutMs: 30_000 });
    expect(a.code, a.errors).toBe(0);
    expect(results).toHaveLength(1);
    expect(results[0].connected).toBe(false);
    expect(results[0].finalStatus).toBe(503);
  });
});
