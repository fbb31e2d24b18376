import { afterEach, describe, expect, it } from 'vitest';
import { runSipp } from '../helpers/sipp.js';
import { freePort } from '../helpers/ports.js';
import { SDP, scenario, startHarness, until, type Harness } from './helpers/harness.js';

let h: Harness | undefined;
let stopSipp: (() => void) | undefined;
afterEach(async () => { stopSipp?.(); stopSipp = undefined; await h?.close(); h = undefined; });

async function sippUas(args: string[]): Promise<{ port: number; result: ReturnType<typeof runSipp> }> {
  const port = await freePort();
  const result = runSipp({ args: [...args, '-p', String(port), '-i', '127.0.0.1', '-m', '1'], timeoutMs: 40_000 });
  stopSipp = result.kill;
  await result.listening();
  return { port, result };
}

describe('srf.createUAC through the embedded server', () => {
  it('calls sipp -sn uas with SDP and hangs up', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const uas = await sippUas(['-sn', 'uas']);
    const dlg = await srf.createUAC(`sip:service@127.0.0.1:${uas.port}`, { localSdp: SDP });
    expect(dlg.remote.sdp).toContain('m=audio');
    expect(dlg.id).toMatch(/;from-tag=/);
    await dlg.destroy();
    const r = await uas.result;
    expect(r.code, r.errors).toBe(0);
    await until(() => h!.server.stats.dialogs === 0);
  });

  it("names the cluster instance in the Call-IDs it generates (sip.callIdHost = cluster.instance_id)", async () => {
    h = await startHarness({ callIdHost: 'tg-7' });
    const srf = await h.connect();
    const uas = await sippUas(['-sn', 'uas']);
    const dlg = await srf.createUAC(`sip:service@127.0.0.1:${uas.port}`, { localSdp: SDP });
    expect(dlg.sip.callId).toMatch(/^[0-9a-f]{32}@tg-7$/);
    await dlg.destroy();
    const r = await uas.result;
    expect(r.code, r.errors).toBe(0);
  });

  for (const [code, what] of [[401, 'Authorization credentials that SIPp verifies (verifyauth)'], [407, 'Proxy-Authorization credentials whose fields SIPp checks']] as const) {
    it(`answers a ${code} challenge (auth option) with ${what}`, async () => {
      h = await startHarness();
      const srf = await h.connect();
      const uas = await sippUas(['-sf', scenario(`uas-challenge-${code}-verify-auth.xml`)]);
      const dlg = await srf.createUAC(`sip:service@127.0.0.1:${uas.port}`, { localSdp: SDP, auth: { username: 'alice', password: 's3cret' } });
      await dlg.destroy();
      const r = await uas.result;
      expect(r.code, r.errors).toBe(0);
    });
  }

  it('rejects with the SIP error when the callee refuses', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const uas = await sippUas(['-sf', scenario('uas-reply-486.xml')]);
    const err = await srf.createUAC(`sip:service@127.0.0.1:${uas.port}`, { localSdp: SDP }).then(() => null, (e: any) => e);
    expect(err?.status).toBe(486);
    const r = await uas.result;
    expect(r.code, r.errors).toBe(0);
  });
});
