/**
 * Issue 12 (2): RFC 6665 dialogs through the embedded server with the unmodified drachtio-srf and
 * real SIPp on 127.0.0.1. A 2xx to SUBSCRIBE creates a dialog in which the app's NOTIFYs go
 * (drachtio-server: sip-dialog-controller.cpp doRespondToSipRequest adds the dialog for a 200/202
 * to SUBSCRIBE), and a NOTIFY with `Subscription-State: terminated` ends it (RIP
 * clearDialogOnResponse / processRequestInsideDialog SD_Clear).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runSipp } from '../helpers/sipp.js';
import { freePort } from '../helpers/ports.js';
import { scenario, startHarness, until, type Harness } from './helpers/harness.js';
import { udpBound } from './helpers/udp-bound.js';

let h: Harness | undefined;
const kills: Array<() => void> = [];
afterEach(async () => { for (const k of kills.splice(0)) k(); await h?.close(); h = undefined; });

describe('SUBSCRIBE dialogs (RFC 6665) through the embedded server', () => {
  it('an app’s createUAS for a SUBSCRIBE gets a Dialog whose NOTIFYs reach the subscriber in the dialog, and a NOTIFY with Subscription-State: terminated ends it', async () => {
    h = await startHarness();
    const srf = await h.connect();
    // Two waits, not one: srf emits the Dialog's 'destroy' when the terminating NOTIFY's 200
    // arrives, which may be before the request promise that carries that 200 settles.
    let destroyed!: Promise<void>;
    const notified = new Promise<number[]>((resolve, reject) => {
      srf.subscribe(async (req: any, res: any) => {
        try {
          const dlg = await srf.createUAS(req, res, { headers: { Expires: '60' } });
          destroyed = new Promise<void>((ended) => dlg.on('destroy', () => ended()));
          const active = await dlg.request({ method: 'NOTIFY', headers: { Event: 'presence', 'Subscription-State': 'active;expires=60', 'Content-Type': 'text/plain' }, body: 'open' });
          const done = await dlg.request({ method: 'NOTIFY', headers: { Event: 'presence', 'Subscription-State': 'terminated;reason=noresource' } });
          resolve([active.status, done.status]);
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    const run = runSipp({ args: ['-sf', scenario('uac-subscribe-expect-notify-then-terminated.xml'), `127.0.0.1:${h.sipPort}`, '-p', String(await freePort()), '-i', '127.0.0.1', '-m', '1'], timeoutMs: 30_000 });
    kills.push(run.kill);
    const result = await run;
    expect(result.code, result.errors).toBe(0);
    expect(await notified).toEqual([200, 200]);
    await destroyed;
    await until(() => h!.server.stats.dialogs === 0 && h!.server.stack.counters().dialogs === 0);
  });

  it('an app’s createUAC SUBSCRIBE gets the NOTIFY that came before the 2xx (RFC 6665 §4.1.2.4), then a Dialog that a terminating NOTIFY ends', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const bPort = await freePort();
    const early: string[] = [];
    // No Dialog exists in srf before the 2xx: the early NOTIFY goes up srf's middleware, as it
    // does from drachtio-server (which routes it in the dialog's id, found by the IIP's leg).
    srf.notify((req: any, res: any) => { early.push(`${req.get('Subscription-State')} ${req.stackDialogId}`); res.send(200); });
    const run = runSipp({ args: ['-sf', scenario('uas-notify-before-2xx-then-terminated.xml'), '-p', String(bPort), '-i', '127.0.0.1', '-m', '1'], timeoutMs: 30_000 });
    kills.push(run.kill);
    await udpBound(bPort);
    const dlg = await srf.createUAC(`sip:presence@127.0.0.1:${bPort}`, { method: 'SUBSCRIBE', headers: { Event: 'presence', Expires: '60' } });
    const result = await run;
    expect(result.code, result.errors).toBe(0);
    // Only the early NOTIFY went up the middleware: the terminating one reached the Dialog (which
    // answered it 200). srf 5.0.29 does not destroy a UAC subscription Dialog on it: it files the
    // subscription under the SUBSCRIBE's To URI and looks it up under the NOTIFY's To URI (our
    // own) — the same against drachtio-server. The server has ended the dialog either way.
    expect(early).toEqual([`active;expires=60 ${dlg.id}`]);
    await until(() => h!.server.stats.dialogs === 0 && h!.server.stack.counters().dialogs === 0);
  });
});
