import { afterEach, describe, expect, it } from 'vitest';
import { runSipp } from '../helpers/sipp.js';
import { freePort } from '../helpers/ports.js';
import { SDP, once, startHarness, until, type Harness } from './helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => { await h?.close(); h = undefined; });

describe('srf.createUAS through the embedded server', () => {
  it('answers a SIPp call with SDP and sees the caller hang up (BYE from SIPp)', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const destroyed = new Promise<void>((resolve) => {
      srf.invite(async (req: any, res: any) => {
        expect(req.source_address).toBe('127.0.0.1');
        expect(req.protocol).toBe('udp');
        expect(req.stackTxnId).toBeTruthy();
        const dlg = await srf.createUAS(req, res, { localSdp: SDP });
        expect(dlg.id).toBe(`${req.get('Call-ID')};from-tag=${req.getParsedHeader('From').params.tag}`);
        dlg.on('destroy', () => resolve());
      });
    });
    const sipp = await runSipp({ args: ['-sn', 'uac', `127.0.0.1:${h.sipPort}`, '-m', '1', '-p', String(await freePort()), '-i', '127.0.0.1', '-d', '200'] , timeoutMs: 30_000 });
    expect(sipp.code, sipp.errors + sipp.stdout.slice(-2000)).toBe(0);
    expect(sipp.stats['SuccessfulCall(C)']).toBe('1');
    await destroyed;
    await until(() => h!.server.stats.dialogs === 0);
  });
});
