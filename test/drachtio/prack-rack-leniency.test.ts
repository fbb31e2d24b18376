/**
 * Issue 12 (1): a PRACK whose RAck carries tokens after the method — as SIPp scenarios that build
 * RAck from a regexp on CSeq send it — is matched on response-num and CSeq number, as sofia-sip's
 * nta does (sip_prack.c sip_rack_d ignores the rest; nta.c reliable_find), through the unmodified
 * drachtio-srf B2BUA with `proxyResponseHeaders: ['all']` relaying B's reliable 180 to A.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runSipp } from '../helpers/sipp.js';
import { freePort } from '../helpers/ports.js';
import { scenario, startHarness, until, type Harness } from './helpers/harness.js';
import { udpBound } from './helpers/udp-bound.js';

let h: Harness | undefined;
const kills: Array<() => void> = [];
afterEach(async () => { for (const k of kills.splice(0)) k(); await h?.close(); h = undefined; });

describe('PRACK with trailing tokens in RAck (issue 12)', () => {
  it('a caller’s "RAck: <RSeq> 1 INVITE INVITE" acknowledges the reliable 180 a B2BUA relayed from B, and the call completes', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const bPort = await freePort();
    const outcomes: string[] = [];
    srf.invite(async (req: any, res: any) => {
      try {
        const { uas, uac } = await srf.createB2BUA(req, res, `sip:service@127.0.0.1:${bPort}`, {
          localSdpB: req.body, proxyResponseHeaders: ['all'],
        });
        uas.on('destroy', () => { outcomes.push('A hung up'); void uac.destroy(); });
        uac.on('destroy', () => { outcomes.push('B hung up'); void uas.destroy(); });
      } catch (err: any) {
        outcomes.push(`failed ${err.status ?? err.message}`);
      }
    });
    const bRun = runSipp({ args: ['-sf', scenario('uas-reliable-180-expect-prack.xml'), '-p', String(bPort), '-i', '127.0.0.1', '-m', '1'], timeoutMs: 40_000 });
    kills.push(bRun.kill);
    await udpBound(bPort);
    const aRun = runSipp({ args: ['-sf', scenario('uac-100rel-rack-from-cseq-expect-200.xml'), `127.0.0.1:${h.sipPort}`, '-p', String(await freePort()), '-i', '127.0.0.1', '-m', '1'], timeoutMs: 40_000 });
    kills.push(aRun.kill);
    const [a, b] = await Promise.all([aRun, bRun]);
    expect(a.code, a.errors).toBe(0);
    expect(b.code, b.errors).toBe(0);
    expect(outcomes).toEqual(['A hung up']);
    await until(() => h!.server.stats.dialogs === 0 && h!.server.stats.pendingClientRequests === 0);
  });
});
