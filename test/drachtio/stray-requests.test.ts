import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import { runSipp } from '../helpers/sipp.js';
import { scenario, startHarness, type Harness } from './helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => { await h?.close(); h = undefined; });

describe('requests with a To tag that match no dialog (as drachtio-server: controller.cpp processMessageStatelessly)', () => {
  it('a NOTIFY goes to the application that routes NOTIFY (a BYE overtook it: only the app knows a subscription waits); a BYE gets 481 from the server', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const seen: { toTag: string; body: string }[] = [];
    srf.use('notify', (req: any, res: any) => { seen.push({ toTag: req.getParsedHeader('To').params.tag, body: req.body }); res.send(200); });
    srf.use('bye', (_req: any, res: any) => res.send(200));
    const r = await runSipp({ args: ['-sf', scenario('uac-stray-notify-expect-200-bye-expect-481.xml'), `127.0.0.1:${h.sipPort}`, '-p', String(await freePort()), '-i', '127.0.0.1', '-m', '1'], timeoutMs: 40_000 });
    expect(r.code, r.errors).toBe(0);
    expect(seen).toEqual([{ toTag: 'gone-dialog', body: expect.stringContaining('SIP/2.0 200 OK') }]);
  });
});
