import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { expectAnswer, invite, scenario, scenarioFile } from '../helpers/scenarios.js';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

describe('when the gateway hangs up on a caller that never answers the BYE (issue 19)', () => {
  it('no RTP leaves after the BYE, and call_end is written at once, not after the BYE transaction\'s 32 s', async () => {
    let lastOut = 0;
    let rtpOut = 0;
    gw = await startTestGateway({
      trunk: { routes: [{ pattern: '*', agent: 'bye' }] },
      agents: { bye: { type: 'module', module: join(import.meta.dirname, '../fixtures/hangup-agent.ts'), settings: { after_ms: 1500 } } },
      // A packet tap puts the session on this thread and shows every datagram it sends.
      mediaTap: () => (direction, packet) => {
        if (direction === 'out' && packet.length > 12 && (packet[1]! & 0x7f) < 72) { rtpOut++; lastOut = Date.now(); }
      },
    });
    // The caller streams audio, takes the BYE and never answers it (nor its retransmissions).
    const scn = scenarioFile('uac-ignores-bye', scenario('uac-ignores-bye', `${invite()}${expectAnswer}  <nop><action><exec rtp_stream="${join(import.meta.dirname, '../../../sipp-scenarios/media/hello-pcmu.wav')},-1,0"/></action></nop>
  <recv request="BYE"/>
  <pause milliseconds="6000"/>
`));
    const sipp = runSipp({ args: ['-sf', scn, `127.0.0.1:${gw.sipPort}`, '-i', '127.0.0.1', '-p', String(await freePort()), '-mp', String(await sippMediaPort()), '-m', '1'], timeoutMs: 30_000 });
    // Written while the BYE is still unanswered (its transaction would take 32 s): well before that.
    await gw.waitFor(() => gw!.logs().some((l) => l.event === 'call_end'), 10_000);
    const end = gw.logs().find((l) => l.event === 'call_end')!;
    expect(end).toMatchObject({ hangupBy: 'agent', answered: true });
    expect(rtpOut).toBeGreaterThan(20);
    const atEnd = rtpOut;
    // Nothing more is sent to the caller while the BYE is retransmitted.
    await new Promise((r) => setTimeout(r, 1000));
    expect(rtpOut).toBe(atEnd);
    expect(lastOut).toBeLessThanOrEqual(end.time as number);
    expect(gw.proc.gateway.stats()).toMatchObject({ activeCalls: 0, mediaPortsInUse: 0 });
    sipp.kill();
    await sipp;
  }, 40_000);
});
