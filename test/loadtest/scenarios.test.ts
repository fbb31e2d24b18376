/**
 * Every SIPp scenario in sipp-scenarios/ runs once against a real SIPp peer playing the other side,
 * and both ends must count the call successful (exit 0).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCENARIO_DIR } from '../../src/loadtest/peers.js';
import { freePort, freePortRange } from '../helpers/ports.js';
import { runSipp, type SippResult } from '../helpers/sipp.js';

const sc = (name: string): string => join(SCENARIO_DIR, name);

interface Pair { uac: string[]; uas: string[]; calls?: number }

/** Starts the UAS side, runs the UAC side against it, returns both results. */
async function runPair(p: Pair): Promise<{ uac: SippResult; uas: SippResult }> {
  const uasPort = await freePort();
  const uacPort = await freePort();
  const uasMedia = await freePortRange(4);
  const uacMedia = await freePortRange(4);
  const calls = String(p.calls ?? 1);
  const uas = runSipp({ args: [...p.uas, '-i', '127.0.0.1', '-p', String(uasPort), '-mp', String(uasMedia.min), '-m', calls], cwd: SCENARIO_DIR, timeoutMs: 60_000 });
  await uas.listening();
  const uac = await runSipp({ args: [`127.0.0.1:${uasPort}`, ...p.uac, '-s', '15551234567', '-i', '127.0.0.1', '-p', String(uacPort), '-mp', String(uacMedia.min), '-m', calls], cwd: SCENARIO_DIR, timeoutMs: 60_000 });
  if (uac.code !== 0) uas.kill();
  return { uac, uas: await uas };
}

function expectBothSucceeded(r: { uac: SippResult; uas: SippResult }): void {
  // exit codes decide; the error traces only explain (they may hold harmless "dead call" lines
  // for retransmissions that arrive after a call ended on a loaded machine)
  expect(r.uac.code, r.uac.errors).toBe(0);
  expect(r.uas.code, r.uas.errors).toBe(0);
}

describe('sipp-scenarios against SIPp peers', () => {
  it('uac-pcmu-caller-hangs-up-expect-200 completes against the echoing human-agent UAS', async () => {
    expectBothSucceeded(await runPair({ uac: ['-sf', sc('uac-pcmu-caller-hangs-up-expect-200.xml'), '-d', '800'], uas: ['-sf', sc('uas-human-agent-echo.xml'), '-rtp_echo'] }));
  });

  it('uac-pcma-pcap-expect-200 plays the A-law capture and completes', async () => {
    expectBothSucceeded(await runPair({ uac: ['-sf', sc('uac-pcma-pcap-expect-200.xml'), '-d', '800'], uas: ['-sf', sc('uas-human-agent-echo.xml'), '-rtp_echo'] }));
  });

  it('uac-dtmf-2833-expect-200 sends the RFC 2833 digits and completes', async () => {
    expectBothSucceeded(await runPair({ uac: ['-sf', sc('uac-dtmf-2833-expect-200.xml'), '-d', '200'], uas: ['-sf', sc('uas-human-agent-echo.xml'), '-rtp_echo'] }));
  });

  it('uac-hold-reinvite-expect-200 gets recvonly for hold and sendrecv for resume from the human-agent UAS', async () => {
    expectBothSucceeded(await runPair({ uac: ['-sf', sc('uac-hold-reinvite-expect-200.xml')], uas: ['-sf', sc('uas-human-agent-echo.xml'), '-rtp_echo'] }));
  });

  it('uac-expect-bye answers the BYE of a far end that hangs up', async () => {
    expectBothSucceeded(await runPair({ uac: ['-sf', sc('uac-expect-bye.xml')], uas: ['-sf', sc('peers/uas-hangs-up.xml')] }));
  });

  it('uac-cancel-expect-487 cancels a ringing call and gets 487', async () => {
    expectBothSucceeded(await runPair({ uac: ['-sf', sc('uac-cancel-expect-487.xml')], uas: ['-sf', sc('peers/uas-ring-until-cancel.xml')] }));
  });

  it('uac-accept-refer-expect-bye accepts the REFER, notifies 100 and 200, and answers the BYE', async () => {
    expectBothSucceeded(await runPair({ uac: ['-sf', sc('uac-accept-refer-expect-bye.xml')], uas: ['-sf', sc('peers/uas-send-refer.xml')] }));
  });

  it('uas-accept-refer answers 202, sends both NOTIFYs, and takes the transferor BYE', async () => {
    expectBothSucceeded(await runPair({ uac: ['-sf', sc('peers/uac-send-refer.xml')], uas: ['-sf', sc('uas-accept-refer.xml')] }));
  });

  it('uac-load-short-call runs with and without audio against SIPp uas -rtp_echo', async () => {
    expectBothSucceeded(await runPair({ uac: ['-sf', sc('uac-load-short-call.xml'), '-r', '20', '-d', '300', '-set', 'audio', '1'], uas: ['-sn', 'uas', '-rtp_echo'], calls: 10 }));
    expectBothSucceeded(await runPair({ uac: ['-sf', sc('uac-load-short-call.xml'), '-r', '20', '-d', '300'], uas: ['-sn', 'uas'], calls: 10 }));
  });
});
