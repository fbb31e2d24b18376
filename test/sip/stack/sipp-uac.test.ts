import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SipStack, type TransportProtocol } from '../../../src/sip/index.js';
import { freePort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { expectNoMoreResourcesThan, liveResources } from '../fixtures/leaks.js';
import { runUacCalls } from '../fixtures/uac.js';

const LOSSY_UAS = fileURLToPath(new URL('../fixtures/uas-answers-bye-retransmissions-for-64t1.xml', import.meta.url));

async function uacRun(protocol: TransportProtocol, calls: number, rate: number, lost?: number): Promise<void> {
  const before = liveResources();
  const sippPort = await freePort();
  // SIPp's built-in uas aborts a call on any message it does not expect at that step, e.g. an
  // INVITE retransmission that reaches it after it sent its 200, or a second ACK (our re-ACK of a
  // 200 that SIPp retransmitted) during its final timewait. Both are legitimate whenever a message
  // takes longer than T1 — packet loss, or a stall of either process on this shared 2-core
  // machine — so over UDP SIPp is told to continue the call instead (-default_behaviors
  // all,-abortunexp); it still fails calls that time out or never complete.
  // With loss, the built-in uas (timewait 4 s) forgets a call before our BYE retransmissions
  // stop (Timer F = 64*T1 = 32 s): if its 200 to the BYE and our retransmissions at 0.5, 1.5 and
  // 3.5 s are all lost, the next one finds no call, is never answered, and the BYE ends in 408.
  // Lossy runs therefore use the same scenario with a 64*T1 timewait (Timer J, §17.2.2).
  const uasScenario = lost ? ['-sf', LOSSY_UAS] : ['-sn', 'uas'];
  const scenario = protocol === 'udp' ? [...uasScenario, '-default_behaviors', 'all,-abortunexp'] : uasScenario;
  const args = [...scenario, '-i', '127.0.0.1', '-p', String(sippPort), '-t', protocol === 'udp' ? 'u1' : 't1', '-m', String(calls)];
  if (lost) args.push('-lost', String(lost));
  const uas = runSipp({ args, timeoutMs: 280_000 });
  await uas.listening();
  // Default timers (T1 = 500 ms) so lost packets recover through retransmission.
  const stack = new SipStack({ listen: [{ protocol, address: '127.0.0.1', port: 0 }] });
  await stack.start();
  const r = await runUacCalls(stack, { protocol, target: `127.0.0.1:${sippPort}`, count: calls, rate });
  const sipp = await uas;
  // -abortunexp off must hide only the two cases above: every call SIPp continued was on an INVITE
  // retransmission or an ACK it did not expect.
  const continued = [...sipp.errors.matchAll(/call on unexpected message for Call-Id '[^']*': while expecting '([^']*)' \(index \d+\), received '(\S+)/g)];
  expect(continued.filter((m) => m[2] !== 'INVITE' && m[2] !== 'ACK').map((m) => m[0])).toEqual([]);
  expect(r.failures, sipp.errors.slice(0, 3000)).toEqual([]);
  expect(r.succeeded).toBe(calls);
  expect(sipp.stats['FailedCall(C)'], sipp.errors.slice(0, 2000)).toBe('0');
  expect(sipp.stats['SuccessfulCall(C)']).toBe(String(calls));
  await stack.close();
  expect(stack.counters()).toMatchObject({ clientTransactions: 0, serverTransactions: 0, dialogs: 0, connections: 0, sockets: 0, timers: 0 });
  await expectNoMoreResourcesThan(before);
}

describe('SipStack as UAC against sipp -sn uas (real sipp on 127.0.0.1)', () => {
  it('places 2,000 calls at 200 calls/s over UDP with 0 failed', async () => {
    await uacRun('udp', 2000, 200);
  }, 120_000);

  it('places 2,000 calls at 200 calls/s over TCP with 0 failed', async () => {
    await uacRun('tcp', 2000, 200);
  }, 120_000);

  it('places 500 calls over UDP with 10% loss at the peer (-lost 10) with 0 failed, retransmitting INVITE/BYE and re-sending ACK', async () => {
    await uacRun('udp', 500, 100, 10);
  }, 300_000);
});
