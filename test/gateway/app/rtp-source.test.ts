/**
 * A trunk's `rtp_source` reaches the call's media session: `strict` refuses RTP from anywhere but
 * the caller's SDP address and port, `latch` (default) takes the source that sends valid RTP.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeUlaw } from '../../../src/media/codecs/g711.js';
import { writeRtpPacket } from '../../../src/media/rtp/header.js';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { byeFromCaller, expectAnswer, invite, pause, scenario, scenarioFile } from '../helpers/scenarios.js';

let gw: TestGateway | undefined;
let rogue: Socket | undefined;
afterEach(async () => {
  rogue?.close();
  rogue = undefined;
  await gw?.stop();
  gw = undefined;
});

describe('trunks[].rtp_source', () => {
  it.each([['strict', 'refused'], ['latch', 'taken (latched)']] as const)('%s: RTP from a source the SDP does not name is %s', async (mode, _outcome) => {
    gw = await startTestGateway({ trunk: { codecs: ['PCMU'], rtp_source: mode } });
    // The caller sends no RTP itself; it hangs up once the test has sent its packets (6 s at most).
    const scn = scenarioFile(`rtp-source-${mode}`, scenario(`rtp-source-${mode}`, `${invite()}${expectAnswer}${pause(6000)}${byeFromCaller()}`));
    const run = runSipp({ args: ['-sf', scn, `127.0.0.1:${gw.sipPort}`, '-i', '127.0.0.1', '-p', String(await freePort()), '-mp', String(await sippMediaPort()), '-m', '1'], timeoutMs: 30_000 });
    await gw.waitFor(() => gw!.proc.gateway.app.calls.size === 1 && [...gw!.proc.gateway.app.calls.values()][0]!.state === 'answered', 10_000);
    const call = [...gw.proc.gateway.app.calls.values()][0]!;
    rogue = createSocket('udp4');
    await new Promise<void>((r) => rogue!.bind(0, '127.0.0.1', () => r()));
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((r) => rogue!.send(writeRtpPacket(0, false, 100 + i, i * 160, 0xbad, encodeUlaw(new Int16Array(160))), call.session.localPort, '127.0.0.1', () => r()));
    }
    await gw.waitFor(() => { const s = call.session.stats(); return s.packetsIn + s.packetsRejected >= 20; }, 5000);
    const stats = call.session.stats();
    if (mode === 'strict') expect({ in: stats.packetsIn, rejected: stats.packetsRejected }).toEqual({ in: 0, rejected: 20 });
    else expect({ in: stats.packetsIn, rejected: stats.packetsRejected }).toEqual({ in: 20, rejected: 0 });
    const r = await run;
    expect(r.code, r.errors).toBe(0);
  }, 30_000);
});
