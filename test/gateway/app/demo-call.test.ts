import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { byeFromCaller, byeFromGateway, expectAnswer, invite, pause, scenario, scenarioFile } from '../helpers/scenarios.js';
import { startSippHuman } from '../transfer/helpers.js';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

describe('a call to the demo agent', () => {
  it('is greeted, and pressing 2 makes the agent say goodbye and hang up (BYE from the gateway)', async () => {
    gw = await startTestGateway({ agent: 'demo' });
    const scn = scenarioFile('uac-demo-2', scenario('uac-demo-2', `${invite()}${expectAnswer}${pause(500)}  <nop><action><exec play_pcap_audio="/usr/share/sip-tester/dtmf_2833_2.pcap"/></action></nop>
${byeFromGateway}`));
    const port = await freePort();
    const mediaPort = await sippMediaPort();
    const r = await runSipp({ args: ['-sf', scn, `127.0.0.1:${gw.sipPort}`, '-i', '127.0.0.1', '-p', String(port), '-mp', String(mediaPort), '-m', '1'], timeoutMs: 40_000 });
    expect(r.code, r.errors).toBe(0);
    await gw.waitIdle();
    expect(gw.logs().find((l) => l.event === 'call_end')).toMatchObject({ hangupBy: 'agent', reason: 'demo agent: caller chose 2', agent: 'demo' });
    expect(gw.logs().some((l) => l.digit === '2')).toBe(true);
  }, 60_000);

  it('the bundled sipp-scenarios/uac-call-demo.xml completes against the demo agent', async () => {
    gw = await startTestGateway({ agent: 'demo' });
    const scn = fileURLToPath(new URL('../../../sipp-scenarios/uac-call-demo.xml', import.meta.url));
    const port = await freePort();
    const mediaPort = await sippMediaPort();
    const r = await runSipp({ args: ['-sf', scn, `127.0.0.1:${gw.sipPort}`, '-s', '919876543210', '-i', '127.0.0.1', '-p', String(port), '-mp', String(mediaPort), '-m', '1'], timeoutMs: 60_000 });
    expect(r.code, r.errors).toBe(0);
    await gw.waitIdle();
    const end = gw.logs().find((l) => l.event === 'call_end');
    expect(end).toMatchObject({ hangupBy: 'agent', codec: 'PCMA' });
    expect(end!.packetsIn as number).toBeGreaterThan(100);
  }, 60_000);

  for (const [digit, mode] of [['3', 'blind'], ['1', 'warm']] as const) {
    it(`pressing ${digit} makes a ${mode} transfer to its transfer_target, and the caller ends up with the human`, async () => {
      const human = await startSippHuman('uas-human-agent-echo.xml', ['-rtp_echo']);
      gw = await startTestGateway({ agent: 'demo', extra: { transfer_targets: { support: { uri: human.uri } } }, agents: { demo: { type: 'demo', settings: { transfer_target: 'support' } } } });
      const scn = scenarioFile(`uac-demo-${digit}`, scenario(`uac-demo-${digit}`, `${invite()}${expectAnswer}${pause(500)}  <nop><action><exec play_pcap_audio="/usr/share/sip-tester/dtmf_2833_${digit}.pcap"/></action></nop>
${pause(mode === 'warm' ? 11_000 : 6000)}${byeFromCaller()}`));
      const port = await freePort();
      const mediaPort = await sippMediaPort();
      const r = await runSipp({ args: ['-sf', scn, `127.0.0.1:${gw.sipPort}`, '-i', '127.0.0.1', '-p', String(port), '-mp', String(mediaPort), '-m', '1'], timeoutMs: 40_000 });
      expect(r.code, r.errors).toBe(0);
      expect((await human.result).code).toBe(0);
      await gw.waitIdle();
      const transfer = gw.logs().find((l) => l.event === 'transfer');
      expect(transfer).toMatchObject({ mode, result: 'transferred', method: 'bridge', target: 'support' });
      const end = gw.logs().find((l) => l.event === 'call_end');
      expect(end).toMatchObject({ hangupBy: 'caller', transfer: { result: 'transferred' } });
    }, 60_000);
  }
});
