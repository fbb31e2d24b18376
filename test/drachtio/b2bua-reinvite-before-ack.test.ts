/**
 * Issue 12 (3): with createB2BUA, drachtio-srf holds requests from the B leg until the A leg's
 * ACK (srf.js: `uac.queueRequests = true` … on the UAS's 'ack': false) and then hands them to the
 * app, which relays them to A. A caller that is 1 s slow to ACK must still get the re-INVITE that
 * B sent right after the call came up — through the unmodified drachtio-srf and real SIPp.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runSipp } from '../helpers/sipp.js';
import { freePort } from '../helpers/ports.js';
import { scenario, startHarness, until, type Harness } from './helpers/harness.js';
import { udpBound } from './helpers/udp-bound.js';

let h: Harness | undefined;
const kills: Array<() => void> = [];
afterEach(async () => { for (const k of kills.splice(0)) k(); await h?.close(); h = undefined; });

describe('srf.createB2BUA: a B-leg re-INVITE that comes before the A leg’s ACK (issue 12)', () => {
  it('reaches the caller once its ACK arrives, and B gets the caller’s answer', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const bPort = await freePort();
    const events: string[] = [];
    srf.invite(async (req: any, res: any) => {
      try {
        const { uas, uac } = await srf.createB2BUA(req, res, `sip:service@127.0.0.1:${bPort}`, { localSdpB: req.body });
        uac.on('modify', async (mreq: any, mres: any) => {
          try {
            events.push('B re-INVITE');
            const sdp = await uas.modify(mreq.body);
            mres.send(200, { body: sdp });
            events.push('A answered');
          } catch (err: any) {
            events.push(`modify failed ${err.status ?? err.message}`);
            mres.send(err.status ?? 500);
          }
        });
        uas.on('destroy', () => { events.push('A hung up'); void uac.destroy(); });
        uac.on('destroy', () => { events.push('B hung up'); void uas.destroy(); });
      } catch (err: any) {
        events.push(`failed ${err.status ?? err.message}`);
      }
    });
    const bRun = runSipp({ args: ['-sf', scenario('uas-answer-then-reinvite.xml'), '-p', String(bPort), '-i', '127.0.0.1', '-m', '1'], timeoutMs: 30_000 });
    kills.push(bRun.kill);
    await udpBound(bPort);
    const aRun = runSipp({ args: ['-sf', scenario('uac-delay-ack-expect-reinvite.xml'), `127.0.0.1:${h.sipPort}`, '-p', String(await freePort()), '-i', '127.0.0.1', '-m', '1'], timeoutMs: 30_000 });
    kills.push(aRun.kill);
    const [a, b] = await Promise.all([aRun, bRun]);
    expect(a.code, a.errors).toBe(0);
    expect(b.code, b.errors).toBe(0);
    expect(events).toEqual(['B re-INVITE', 'A answered', 'A hung up']);
    await until(() => h!.server.stats.dialogs === 0 && h!.server.stack.counters().dialogs === 0);
  });
});
