import { afterEach, describe, expect, it } from 'vitest';
import { runSipp, type SippResult } from '../helpers/sipp.js';
import { freePort } from '../helpers/ports.js';
import { scenario, startHarness, until, type Harness, type SrfApp } from './helpers/harness.js';

let h: Harness | undefined;
const kills: Array<() => void> = [];
afterEach(async () => { for (const k of kills.splice(0)) k(); await h?.close(); h = undefined; });

/** A drachtio-srf B2BUA app: every INVITE is bridged to `target`; a hang-up on either leg hangs up the other. */
function b2bua(srf: SrfApp, target: string, outcome: (o: string) => void): void {
  srf.invite(async (req: any, res: any) => {
    try {
      const { uas, uac } = await srf.createB2BUA(req, res, target, { localSdpB: req.body });
      uas.on('destroy', () => { outcome('A hung up'); void uac.destroy(); });
      uac.on('destroy', () => { outcome('B hung up'); void uas.destroy(); });
    } catch (err: any) {
      outcome(`failed ${err.status ?? err.message}`);
    }
  });
}

async function call(aArgs: string[], bArgs: string[]): Promise<{ a: SippResult; b: SippResult; outcomes: string[] }> {
  h = await startHarness();
  const srf = await h.connect();
  const bPort = await freePort();
  const outcomes: string[] = [];
  b2bua(srf, `sip:service@127.0.0.1:${bPort}`, (o) => outcomes.push(o));
  const bRun = runSipp({ args: [...bArgs, '-p', String(bPort), '-i', '127.0.0.1', '-m', '1'], timeoutMs: 40_000 });
  kills.push(bRun.kill);
  await bRun.listening();
  const aRun = runSipp({ args: [...aArgs, `127.0.0.1:${h.sipPort}`, '-p', String(await freePort()), '-i', '127.0.0.1', '-m', '1'], timeoutMs: 40_000 });
  kills.push(aRun.kill);
  const [a, b] = await Promise.all([aRun, bRun]);
  return { a, b, outcomes };
}

describe('srf.createB2BUA through the embedded server (SIPp uac → trunkgate → SIPp uas)', () => {
  it('bridges a call and relays the caller’s BYE to the B leg', async () => {
    const { a, b, outcomes } = await call(['-sn', 'uac', '-d', '200'], ['-sn', 'uas']);
    expect(a.code, a.errors).toBe(0);
    expect(b.code, b.errors).toBe(0);
    expect(outcomes).toEqual(['A hung up']);
    await until(() => h!.server.stats.dialogs === 0 && h!.server.stats.pendingClientRequests === 0);
  });

  it('relays the callee’s BYE to the A leg', async () => {
    const { a, b, outcomes } = await call(['-sf', scenario('uac-expect-bye.xml')], ['-sf', scenario('uas-answer-then-bye.xml')]);
    expect(b.code, b.errors).toBe(0);
    expect(a.code, a.errors).toBe(0);
    expect(outcomes).toEqual(['B hung up']);
    await until(() => h!.server.stats.dialogs === 0);
  });

  it('turns a CANCEL before answer into 487 for the caller and a CANCEL to the B leg', async () => {
    const { a, b, outcomes } = await call(['-sf', scenario('uac-cancel-expect-487.xml')], ['-sf', scenario('uas-ring-expect-cancel.xml')]);
    expect(a.code, a.errors).toBe(0);
    expect(b.code, b.errors).toBe(0);
    expect(outcomes).toEqual(['failed 487']);
    await until(() => h!.server.stats.pendingServerRequests === 0 && h!.server.stats.pendingClientRequests === 0);
  });

  for (const code of [486, 404]) {
    it(`passes a B leg’s ${code} back to the caller`, async () => {
      const { a, b, outcomes } = await call(['-sf', scenario(`uac-expect-${code}.xml`)], ['-sf', scenario(`uas-reply-${code}.xml`)]);
      expect(a.code, a.errors).toBe(0);
      expect(b.code, b.errors).toBe(0);
      expect(outcomes).toEqual([`failed ${code}`]);
    });
  }
});
