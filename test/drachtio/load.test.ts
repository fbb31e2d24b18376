import { afterEach, describe, expect, it } from 'vitest';
import { runSipp } from '../helpers/sipp.js';
import { freePort } from '../helpers/ports.js';
import { startHarness, until, type Harness, type SrfApp } from './helpers/harness.js';

let h: Harness | undefined;
const kills: Array<() => void> = [];
afterEach(async () => { for (const k of kills.splice(0)) k(); await h?.close(); h = undefined; });

function b2bua(srf: SrfApp, target: string): void {
  srf.invite(async (req: any, res: any) => {
    try {
      const { uas, uac } = await srf.createB2BUA(req, res, target, { localSdpB: req.body });
      uas.on('destroy', () => { void uac.destroy().catch(() => undefined); });
      uac.on('destroy', () => { void uas.destroy().catch(() => undefined); });
    } catch { /* failures are passed back to the caller by srf */ }
  });
}

/**
 * Callers (SIPp uac, UDP, optionally with `-lost`) → srf B2BUA → callee (SIPp uas over TCP).
 * The callee leg uses TCP because SIPp 3.6's uas aborts a call when a UDP INVITE is retransmitted
 * after its 200 (seen whenever its 180/200 are late or lost and our Timer A fires): that is the
 * peer's fault, and TCP has no retransmissions. Loss is applied on the callers' UDP leg, where our
 * server transactions, 2xx retransmission and BYE handling must absorb it.
 */
async function load(lost: number): Promise<void> {
  h = await startHarness();
  const srf = await h.connect();
  const bPort = await freePort();
  b2bua(srf, `sip:service@127.0.0.1:${bPort};transport=tcp`);
  const b = runSipp({ args: ['-sn', 'uas', '-t', 't1', '-p', String(bPort), '-i', '127.0.0.1', '-m', '1000'], timeoutMs: 200_000 });
  kills.push(b.kill);
  await b.listening();
  const a = await runSipp({
    args: ['-sn', 'uac', `127.0.0.1:${h.sipPort}`, '-p', String(await freePort()), '-i', '127.0.0.1', '-m', '1000', '-r', '100',
      '-d', '1000', '-buff_size', '4194304', ...(lost ? ['-lost', String(lost)] : [])],
    timeoutMs: 180_000,
  });
  const why = a.errors.split('\n').filter((l) => /Abort|timeout|unexpected/i.test(l)).slice(0, 10).join('\n');
  expect(a.stats['FailedCall(C)'], why).toBe('0');
  expect(a.stats['SuccessfulCall(C)']).toBe('1000');
  expect(a.code).toBe(0);
  // The callee side is clean too; SIPp uas exits after its 1,000th call.
  const rb = await b;
  expect(rb.stats['FailedCall(C)'], rb.errors.slice(0, 1000)).toBe('0');
  expect(rb.code).toBe(0);
  // Every dialog and pending request is gone once the BYEs are through.
  await until(() => h!.server.stats.dialogs === 0 && h!.server.stats.pendingClientRequests === 0, 60_000);
}

describe('load: SIPp uac (UDP) → srf B2BUA on the embedded server → SIPp uas (TCP)', () => {
  it('carries 1,000 calls at 100 calls/s with none failed', async () => { await load(0); }, 240_000);
  it('carries 1,000 calls at 100 calls/s with 5% packet loss (-lost 5) and none failed', async () => { await load(5); }, 240_000);
});
