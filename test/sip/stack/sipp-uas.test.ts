import { describe, expect, it } from 'vitest';
import type { TransportProtocol } from '../../../src/sip/index.js';
import { freePort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { expectNoMoreResourcesThan, liveResources } from '../fixtures/leaks.js';
import { startUas } from '../fixtures/uas.js';

async function uasRun(protocol: TransportProtocol, calls: number, rate: number, lost?: number): Promise<void> {
  const before = liveResources();
  const port = await freePort();
  const uas = await startUas({ listen: [{ protocol, address: '127.0.0.1', port }] });
  const sippPort = await freePort();
  const args = ['-sn', 'uac', `127.0.0.1:${port}`, '-i', '127.0.0.1', '-p', String(sippPort),
    '-t', protocol === 'udp' ? 'u1' : 't1', '-m', String(calls), '-r', String(rate), '-l', '2000'];
  if (lost) args.push('-lost', String(lost));
  const r = await runSipp({ args, timeoutMs: 280_000 });
  expect(r.stats['FailedCall(C)'], r.errors.slice(0, 2000)).toBe('0');
  expect(r.stats['SuccessfulCall(C)']).toBe(String(calls));
  expect(r.code).toBe(0);
  expect(uas.counts.invites).toBeGreaterThanOrEqual(calls);
  await uas.stack.close();
  expect(uas.stack.counters()).toMatchObject({ clientTransactions: 0, serverTransactions: 0, dialogs: 0, connections: 0, sockets: 0, timers: 0 });
  await expectNoMoreResourcesThan(before);
}

describe('SipStack as UAS under SIPp load (real sipp on 127.0.0.1)', () => {
  it('answers 2,000 calls at 200 calls/s over UDP with 0 failed, and close() leaves no timer or socket', async () => {
    await uasRun('udp', 2000, 200);
  }, 120_000);

  it('answers 2,000 calls at 200 calls/s over TCP with 0 failed, and close() leaves no timer or socket', async () => {
    await uasRun('tcp', 2000, 200);
  }, 120_000);

  it('answers 500 calls over UDP with 10% packet loss (-lost 10) with 0 failed, recovering by retransmission', async () => {
    await uasRun('udp', 500, 100, 10);
  }, 300_000);
});
