import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { runSippCaller, startSippHuman, TRANSFER_AGENT, type SippPeer } from './helpers.js';

let gw: TestGateway | undefined;
let human: SippPeer | undefined;
afterEach(async () => {
  human?.kill();
  human = undefined;
  await gw?.stop();
  gw = undefined;
});

describe('transfer.media: direct', () => {
  it('after the bridge, the caller is re-INVITEd with the human\'s media address and trunkgate\'s media ports are freed while the call goes on', async () => {
    human = await startSippHuman('uas-human-agent-echo.xml', ['-rtp_echo']);
    gw = await startTestGateway({
      trunk: { codecs: ['PCMU'], transfer: { method: 'bridge', media: 'direct' }, routes: [{ pattern: '*', agent: 'xfer' }] },
      agents: { xfer: { type: 'module', module: TRANSFER_AGENT, settings: { target: human.uri, after_ms: 100 } } },
    });
    const logFile = join(mkdtempSync(join(tmpdir(), 'tg-direct-')), 'sipp.log');
    const callerRun = runSippCaller('uac-accept-reinvite-caller-hangs-up.xml', gw.sipPort, ['-d', '3000', '-trace_logs', '-log_file', logFile]);
    await gw.waitFor(() => gw!.logs().some((l) => l.event === 'media_offloaded'));
    // The call is still up, and no media port of it is held by trunkgate any more.
    expect(gw.proc.gateway.stats()).toMatchObject({ activeCalls: 1, mediaPortsInUse: 0 });
    const caller = await callerRun;
    expect(caller.code, caller.errors).toBe(0);
    expect((await human.result).code).toBe(0);
    await gw.waitIdle();
    // The caller was told to send to the human's own RTP port.
    expect(readFileSync(logFile, 'utf8')).toContain(`reinvite-media ${human.mediaPort}`);
    expect(gw.logs().find((l) => l.event === 'call_end')).toMatchObject({ hangupBy: 'caller', transfer: { result: 'transferred' } });
  }, 60_000);
});
