/**
 * Requests in an INVITE's early dialog before the application's 2xx, through the embedded server
 * with the unmodified drachtio-srf and real SIPp on 127.0.0.1 — as drachtio-server routes them
 * (sip-dialog-controller.cpp processRequestInsideDialog, "during invite-in-progress"): an UPDATE
 * to the pending INVITE (srf emits `update` on it), an INFO as a new request.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runSipp } from '../helpers/sipp.js';
import { freePort } from '../helpers/ports.js';
import { SDP, scenario, startHarness, until, type Harness } from './helpers/harness.js';

let h: Harness | undefined;
const kills: Array<() => void> = [];
afterEach(async () => { for (const k of kills.splice(0)) k(); await h?.close(); h = undefined; });

describe('requests in an early dialog (before the app’s 2xx)', () => {
  it('an UPDATE reaches the pending INVITE’s `update` event and an INFO the app’s info handler; then the call completes', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const seen: string[] = [];
    let infoCame!: () => void;
    const info = new Promise<void>((resolve) => { infoCame = resolve; });
    srf.info((req: any, res: any) => { seen.push(`INFO ${req.get('Content-Type')}`); res.send(200); infoCame(); });
    const ended = new Promise<void>((resolve, reject) => {
      srf.invite(async (req: any, res: any) => {
        try {
          req.on('update', (ureq: any, ures: any) => { seen.push(`UPDATE ${ureq.body ? 'with SDP' : ''}`); ures.send(200, { body: SDP }); });
          res.send(180);
          await info;
          const dlg = await srf.createUAS(req, res, { localSdp: SDP });
          dlg.on('destroy', () => resolve());
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    const run = runSipp({ args: ['-sf', scenario('uac-early-update-info-expect-200.xml'), `127.0.0.1:${h.sipPort}`, '-p', String(await freePort()), '-i', '127.0.0.1', '-m', '1'], timeoutMs: 30_000 });
    kills.push(run.kill);
    const [result] = await Promise.all([run, ended]);
    expect(result.code, result.errors).toBe(0);
    expect(seen).toEqual(['UPDATE with SDP', 'INFO application/dtmf-relay']);
    await until(() => h!.server.stats.dialogs === 0 && h!.server.stack.counters().dialogs === 0);
  });
});
