import { afterEach, describe, expect, it } from 'vitest';
import { runSipp } from '../helpers/sipp.js';
import { freePort } from '../helpers/ports.js';
import { SDP, scenario, startHarness, until, type Harness } from './helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => { await h?.close(); h = undefined; });

async function sippUac(target: number, args: string[]): Promise<Awaited<ReturnType<typeof runSipp>>> {
  return runSipp({ args: [...args, `127.0.0.1:${target}`, '-m', '1', '-p', String(await freePort()), '-i', '127.0.0.1'], timeoutMs: 40_000 });
}

describe('srf.createUAS through the embedded server', () => {
  it('answers a SIPp call with SDP and sees the caller hang up (BYE from SIPp)', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const seen: Record<string, unknown> = {};
    const destroyed = new Promise<void>((resolve) => {
      srf.invite(async (req: any, res: any) => {
        Object.assign(seen, { address: req.source_address, protocol: req.protocol, txn: req.stackTxnId, callId: req.get('Call-ID'), fromTag: req.getParsedHeader('From').params.tag });
        const dlg = await srf.createUAS(req, res, { localSdp: SDP });
        seen.dialogId = dlg.id;
        dlg.on('destroy', () => resolve());
      });
    });
    const sipp = await sippUac(h.sipPort, ['-sn', 'uac', '-d', '200']);
    expect(sipp.code, sipp.errors).toBe(0);
    expect(sipp.stats['SuccessfulCall(C)']).toBe('1');
    await destroyed;
    expect(seen.address).toBe('127.0.0.1');
    expect(seen.protocol).toBe('udp');
    expect(seen.txn).toBeTruthy();
    expect(seen.dialogId).toBe(`${seen.callId};from-tag=${seen.fromTag}`);
    await until(() => h!.server.stats.dialogs === 0);
  });

  it('hangs up a call whose ACK never comes and tells the app with an unsolicited BYE (§13.3.1.4)', async () => {
    h = await startHarness({ t1: 50 }); // 64·T1 = 3.2 s
    const srf = await h.connect();
    const reasons: string[] = [];
    const destroyed = new Promise<void>((resolve) => {
      srf.invite(async (req: any, res: any) => {
        const dlg = await srf.createUAS(req, res, { localSdp: SDP });
        dlg.on('destroy', (bye: any) => { reasons.push(bye.source); resolve(); });
      });
    });
    const sipp = await sippUac(h.sipPort, ['-sf', scenario('uac-no-ack-expect-bye.xml')]);
    expect(sipp.code, sipp.errors).toBe(0);
    await destroyed;
    expect(reasons).toEqual(['application']);
    await until(() => h!.server.stats.dialogs === 0);
  });

  it('answers a SIPp call over TCP and reports protocol tcp to the app', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const protocols: string[] = [];
    const destroyed = new Promise<void>((resolve) => {
      srf.invite(async (req: any, res: any) => {
        protocols.push(req.protocol);
        const dlg = await srf.createUAS(req, res, { localSdp: SDP });
        dlg.on('destroy', () => resolve());
      });
    });
    const sipp = await sippUac(h.sipPort, ['-sn', 'uac', '-t', 't1', '-d', '200']);
    expect(sipp.code, sipp.errors).toBe(0);
    await destroyed;
    expect(protocols).toEqual(['tcp']);
  });

  it('dialog.destroy() sends BYE to the caller (uac-expect-bye)', async () => {
    h = await startHarness();
    const srf = await h.connect();
    srf.invite(async (req: any, res: any) => {
      const dlg = await srf.createUAS(req, res, { localSdp: SDP });
      dlg.once('ack', () => { void dlg.destroy(); });
    });
    const sipp = await sippUac(h.sipPort, ['-sf', scenario('uac-expect-bye.xml')]);
    expect(sipp.code, sipp.errors).toBe(0);
    await until(() => h!.server.stats.dialogs === 0);
  });

  it('carries re-INVITE both ways, INFO, OPTIONS and REFER with a sipfrag NOTIFY inside the dialog', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const events: string[] = [];
    const done = new Promise<void>((resolve) => {
      srf.invite(async (req: any, res: any) => {
        const dlg = await srf.createUAS(req, res, { localSdp: SDP });
        dlg.once('ack', async () => {
          const answer = await dlg.modify(SDP.replace('o=- 1 1', 'o=- 1 2'));
          events.push(`modified:${/m=audio/.test(answer) ? 'sdp' : 'none'}`);
        });
        dlg.on('modify', (r: any, s: any) => { events.push(`modify:${r.body.includes('PCMA') ? 'pcma' : '?'}`); s.send(200, { body: SDP.replace('o=- 1 1', 'o=- 1 3') }); });
        dlg.on('info', (r: any, s: any) => { events.push(`info:${r.get('Content-Type')}`); s.send(200); });
        dlg.on('options', (_r: any, s: any) => { events.push('options'); s.send(200); });
        dlg.on('refer', (r: any, s: any) => {
          events.push(`refer:${r.get('Refer-To')}`);
          s.send(202);
          void dlg.request({ method: 'NOTIFY', headers: { Event: 'refer', 'Subscription-State': 'terminated;reason=noresource', 'Content-Type': 'message/sipfrag;version=2.0' }, body: 'SIP/2.0 200 OK\r\n' })
            .then((notifyRes: any) => events.push(`notify:${notifyRes.status}`));
        });
        dlg.on('destroy', () => resolve());
      });
    });
    const sipp = await sippUac(h.sipPort, ['-sf', scenario('uac-in-dialog-reinvite-info-options-refer.xml')]);
    expect(sipp.code, sipp.errors).toBe(0);
    await done;
    expect(events).toEqual(['modified:sdp', 'modify:pcma', 'info:application/dtmf-relay', 'options', 'refer:<sip:carol@127.0.0.1>', 'notify:200']);
  });
  it('answers a re-INVITE inside the dialog with a 100 Trying that carries To (with tag) and CSeq (§8.2.6.2)', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const done = new Promise<void>((resolve) => {
      srf.invite(async (req: any, res: any) => {
        const dlg = await srf.createUAS(req, res, { localSdp: SDP });
        dlg.on('modify', (_r: any, s: any) => { s.send(200, { body: SDP }); });
        dlg.on('destroy', () => resolve());
      });
    });
    const sipp = await sippUac(h.sipPort, ['-sf', scenario('uac-reinvite-check-100.xml')]);
    expect(sipp.code, sipp.errors).toBe(0);
    await done;
  });
});
