/**
 * SipStack as UAS under SIPp load: SIPp's built-in uac scenario (INVITE/100/180/200/ACK/BYE/200)
 * over UDP at increasing rates, a few seconds each. Reports the highest rate with 0 failed calls
 * and the stack process's CPU time per call (from /proc/self/stat), and, in the same run, the
 * same ladder against SIPp's own uas as the reference peer (ratio = ours / SIPp).
 */
import { readFileSync } from 'node:fs';
import type { BenchResult } from '../run.js';
import { freePort } from '../../test/helpers/ports.js';
import { runSipp } from '../../test/helpers/sipp.js';
import { startUas } from '../../test/sip/fixtures/uas.js';

const RATES = [500, 1000, 2000, 3000, 4000, 6000];
const SECONDS = 4;
const CLK_TCK = 100;

function cpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of /proc/[pid]/stat (indices 11, 12 after the comm field).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

interface Step { rate: number; ok: number; failed: number; cpuUsPerCall?: number }

async function ladder(target: 'stack' | 'sipp'): Promise<Step[]> {
  const steps: Step[] = [];
  for (const rate of RATES) {
    const port = await freePort();
    const calls = rate * SECONDS;
    let close: () => Promise<void> = async () => undefined;
    let peer: ReturnType<typeof runSipp> | undefined;
    if (target === 'stack') {
      const uas = await startUas({ listen: [{ protocol: 'udp', address: '127.0.0.1', port }] });
      close = () => uas.stack.close();
    } else {
      peer = runSipp({ args: ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(port), '-buff_size', '4194304', '-m', String(calls)], timeoutMs: 120_000 });
      await new Promise((r) => setTimeout(r, 300));
      close = async () => { peer!.kill(); await peer; };
    }
    const cpu0 = cpuMs();
    const r = await runSipp({ args: ['-sn', 'uac', `127.0.0.1:${port}`, '-i', '127.0.0.1', '-p', String(await freePort()), '-buff_size', '4194304',
      '-m', String(calls), '-r', String(rate), '-rp', '1000', '-l', String(rate * 8), '-recv_timeout', '20000'], timeoutMs: 120_000 });
    const cpu1 = cpuMs();
    await close();
    const ok = Number(r.stats['SuccessfulCall(C)'] ?? 0);
    const failed = Number(r.stats['FailedCall(C)'] ?? calls - ok);
    const step: Step = { rate, ok, failed };
    if (target === 'stack') step.cpuUsPerCall = ((cpu1 - cpu0) * 1000) / Math.max(1, ok);
    steps.push(step);
    process.stdout.write(`  ${target} ${rate}/s: ok ${ok} failed ${failed}${step.cpuUsPerCall ? ` cpu ${step.cpuUsPerCall.toFixed(0)} µs/call` : ''}\n`);
    if (failed > 0 || ok < calls) break;
    await new Promise((res) => setTimeout(res, 1000));
  }
  return steps;
}

export async function run(): Promise<BenchResult[]> {
  const ours = await ladder('stack');
  const ref = await ladder('sipp');
  const best = (s: Step[]): Step | undefined => [...s].reverse().find((x) => x.failed === 0 && x.ok === x.rate * SECONDS);
  const oursBest = best(ours);
  const refBest = best(ref);
  const results: BenchResult[] = [
    { suite: 'sip-stack', name: 'UAS max calls/s with 0 failed (UDP, SIPp uac)', value: oursBest?.rate ?? 0, unit: 'calls/s',
      detail: { ladder: ours, secondsPerStep: SECONDS, ratioToSippUas: refBest ? +((oursBest?.rate ?? 0) / refBest.rate).toFixed(2) : null } },
    { suite: 'sip-stack', name: 'UAS CPU time per call at that rate', value: oursBest?.cpuUsPerCall ?? 0, unit: 'µs/call',
      detail: { note: 'process CPU (user+sys) of the Node process running the stack, /proc/self/stat; 7 SIP messages per call' } },
    { suite: 'sip-stack', name: 'reference: SIPp uas max calls/s with 0 failed', value: refBest?.rate ?? 0, unit: 'calls/s', detail: { ladder: ref } },
  ];
  return results;
}
