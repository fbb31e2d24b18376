/**
 * `transfer_call` end to end: the model (stand-in) calls transfer_call for `support`; the gateway
 * transfers the SIPp caller (which does not take REFER) by bridging it to a SIPp "human" UAS, and
 * the outcome the tool reports is `transferred` by `bridge`.
 *
 * Needs the gateway's transfer implementation (issue 10): until it is merged, io.transfer rejects
 * with TransferNotAvailableError and this test fails on the outcome.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byeFromCaller, expectAnswer, invite, pause, scenario, scenarioFile } from '../../../gateway/helpers/scenarios.js';
import { freePort, sippMediaPort } from '../../../helpers/ports.js';
import { runSipp } from '../../../helpers/sipp.js';
import { REPO, repoTmp, startChildGateway } from './helpers/gateway-child.js';
import { startStandIn, type StandIn } from './helpers/standin.js';

let dir: string;
let standIn: StandIn;

beforeAll(async () => {
  dir = repoTmp('realtime-transfer-');
  standIn = await startStandIn(join(dir, 'tls'));
});
afterAll(async () => {
  await standIn.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The caller: answered, stays 6 s (the transfer happens meanwhile), then hangs up. */
const caller = scenario('caller stays, then hangs up', [invite(), expectAnswer, pause(6000), byeFromCaller()].join(''));

describe('openai-realtime transfer_call', () => {
  it('transfers the caller to a SIPp human (blind, by bridge) and reports the outcome transferred', async () => {
    const humanPort = await freePort();
    const human = runSipp({
      args: ['-sf', join(REPO, 'sipp-scenarios/uas-human-agent-echo.xml'), '-i', '127.0.0.1', '-p', String(humanPort), '-mp', String(await sippMediaPort()), '-rtp_echo', '-m', '1'],
      timeoutMs: 40_000,
    });
    const gw = await startChildGateway({
      agent: { type: 'openai-realtime', settings: { transfer_targets: ['support'], transfer_mode: 'blind' } },
      env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: standIn.baseUrl, NODE_EXTRA_CA_CERTS: standIn.caFile },
      codecs: ['PCMU'],
      transferTargets: { support: { uri: `sip:support@127.0.0.1:${humanPort}` } },
      dir,
    });
    try {
      const flow = (async () => {
        const s = await standIn.session(standIn.sessions.length + 1);
        const update = await s.next('session.update');
        s.callFunction('transfer_call', { target: 'support', reason: 'caller asked for a person' });
        return update;
      })();
      const r = await runSipp({
        args: ['-sf', scenarioFile('rt-transfer', caller), `127.0.0.1:${gw.sipPort}`, '-s', '919876543210', '-i', '127.0.0.1',
          '-p', String(await freePort()), '-mp', String(await sippMediaPort()), '-m', '1'],
        timeoutMs: 40_000,
      });
      const update = await flow;
      expect(update.session.type === 'realtime' ? update.session.tools?.map((t) => ('name' in t ? t.name : '')) : []).toContain('transfer_call');
      const tool = await gw.line((l) => l.event === 'realtime_tool' && l.tool === 'transfer_call');
      expect(tool).toMatchObject({ target: 'support', outcome: { result: 'transferred', method: 'bridge' } });
      expect(r.code, r.errors).toBe(0);
      const h = await human;
      expect(h.code, h.errors).toBe(0);
    } finally {
      human.kill();
      await gw.stop();
    }
  }, 60_000);
});
