/**
 * Issue 12: REFER and its implicit subscription (RFC 3515, RFC 6665) inside a call's INVITE
 * dialog, as the gateway uses them for transfers, through the embedded server with the unmodified
 * drachtio-srf and real SIPp on 127.0.0.1. The NOTIFYs share the INVITE dialog (usage INVITE):
 * their `Subscription-State: terminated` ends the subscription, never the call
 * (drachtio-server: only a non-INVITE dialog is cleared by it, sip-dialog-controller.cpp).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runSipp } from '../helpers/sipp.js';
import { freePort } from '../helpers/ports.js';
import { SDP, scenario, startHarness, until, type Harness, type SrfApp } from './helpers/harness.js';

let h: Harness | undefined;
const kills: Array<() => void> = [];
afterEach(async () => { for (const k of kills.splice(0)) k(); await h?.close(); h = undefined; });

const peerScenario = (name: string) => new URL(`../../sipp-scenarios/peers/${name}`, import.meta.url).pathname;

/** The transferor: answers the call, sends REFER in its dialog, hangs up once a NOTIFY ended the subscription. */
function transferor(srf: SrfApp): Promise<{ referStatus: number; notifies: string[] }> {
  return new Promise((resolve, reject) => {
    srf.invite(async (req: any, res: any) => {
      try {
        const notifies: string[] = [];
        const dlg = await srf.createUAS(req, res, { localSdp: SDP });
        const hungUp = new Promise<void>((done, failed) => {
          dlg.on('notify', (nreq: any, nres: any) => {
            const state = nreq.get('Subscription-State') as string;
            notifies.push(`${state} | ${(nreq.body as string).trim()}`);
            nres.send(200);
            if (/^terminated/.test(state)) dlg.destroy().then(() => done(), failed);
          });
        });
        const refer = await dlg.request({ method: 'REFER', headers: { 'Refer-To': '<sip:agent@127.0.0.1>', 'Referred-By': '<sip:gateway@127.0.0.1>' } });
        await hungUp;
        resolve({ referStatus: refer.status, notifies });
      } catch (err) {
        reject(err as Error);
      }
    });
  });
}

describe('REFER inside a call’s dialog through the embedded server (issue 12)', () => {
  for (const [file, status, what] of [
    ['uac-call-refer-notify-before-202-expect-bye.xml', 202, 'the first NOTIFY arriving before the 202'],
    ['uac-call-refer-answer-200-expect-bye.xml', 200, 'a REFER answered 200 instead of 202'],
  ] as const) {
    it(`an app’s dlg.request REFER gets its response and both NOTIFYs in the dialog, with ${what}; the call survives the terminated subscription`, async () => {
      h = await startHarness();
      const srf = await h.connect();
      const outcome = transferor(srf);
      const run = runSipp({ args: ['-sf', scenario(file), `127.0.0.1:${h.sipPort}`, '-p', String(await freePort()), '-i', '127.0.0.1', '-m', '1'], timeoutMs: 30_000 });
      kills.push(run.kill);
      const [result, { referStatus, notifies }] = await Promise.all([run, outcome]);
      expect(result.code, result.errors).toBe(0);
      expect(referStatus).toBe(status);
      expect(notifies).toEqual(['active;expires=60 | SIP/2.0 100 Trying', 'terminated;reason=noresource | SIP/2.0 200 OK']);
      await until(() => h!.server.stats.dialogs === 0 && h!.server.stack.counters().dialogs === 0);
    });
  }

  it('a REFER from the far end reaches the app’s Dialog, which answers 202 and reports progress with dlg.request NOTIFY; the caller then hangs up', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const seen = new Promise<{ referTo: string; notified: number[] }>((resolve, reject) => {
      srf.invite(async (req: any, res: any) => {
        try {
          const dlg = await srf.createUAS(req, res, { localSdp: SDP });
          dlg.on('refer', async (rreq: any, rres: any) => {
            try {
              rres.send(202);
              const sipfrag = { Event: 'refer', 'Content-Type': 'message/sipfrag;version=2.0' };
              const trying = await dlg.request({ method: 'NOTIFY', headers: { ...sipfrag, 'Subscription-State': 'active;expires=60' }, body: 'SIP/2.0 100 Trying\r\n' });
              const ok = await dlg.request({ method: 'NOTIFY', headers: { ...sipfrag, 'Subscription-State': 'terminated;reason=noresource' }, body: 'SIP/2.0 200 OK\r\n' });
              resolve({ referTo: rreq.get('Refer-To'), notified: [trying.status, ok.status] });
            } catch (err) {
              reject(err as Error);
            }
          });
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    const run = runSipp({ args: ['-sf', peerScenario('uac-send-refer.xml'), `127.0.0.1:${h.sipPort}`, '-p', String(await freePort()), '-i', '127.0.0.1', '-m', '1'], timeoutMs: 30_000 });
    kills.push(run.kill);
    const [result, { referTo, notified }] = await Promise.all([run, seen]);
    expect(result.code, result.errors).toBe(0);
    expect(referTo).toMatch(/^<sip:agent@127\.0\.0\.1:\d+>$/);
    expect(notified).toEqual([200, 200]);
    await until(() => h!.server.stats.dialogs === 0 && h!.server.stack.counters().dialogs === 0);
  });
});
