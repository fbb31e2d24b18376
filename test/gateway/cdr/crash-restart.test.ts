/**
 * Issue 15: "kill -9 under a SIPp load, then restart: every call SIPp completed has a finished CDR,
 * every call in flight has an unfinished one; none missing, none duplicated". The real gateway
 * (built bin) under real SIPp on 127.0.0.1, killed with SIGKILL while calls are up; the calls are
 * correlated by Call-ID with SIPp's own message trace, and the CDRs read with the built
 * `trunkgate cdr`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, sippMediaPort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { gatewayFolder, isStartup, runBin, startBin } from './helpers.js';

interface SippCall {
  /** SIPp got a 180 or 200 to its INVITE: the gateway application had the call. */
  reached: boolean;
  byeSent: boolean;
  /** SIPp got the 200 to its BYE: for SIPp the call is complete. */
  completed: boolean;
}

/** Reads SIPp's -trace_msg file: per Call-ID, what SIPp sent and received. */
function sippCalls(file: string): Map<string, SippCall> {
  const calls = new Map<string, SippCall>();
  for (const block of readFileSync(file, 'utf8').split(/^-{20,}.*$/m)) {
    const m = /^\s*(?:UDP|TCP) message (sent|received)[^\n]*\n\s*\n([^\n]*)\n([\s\S]*)/m.exec(block);
    if (!m) continue;
    const [, dir, start, rest] = m as unknown as [string, 'sent' | 'received', string, string];
    const callId = /^(?:Call-ID|i)\s*:\s*(\S+)/im.exec(rest)?.[1];
    const method = /^CSeq\s*:\s*\d+\s+(\w+)/im.exec(rest)?.[1];
    if (!callId || !method) continue;
    const c = calls.get(callId) ?? { reached: false, byeSent: false, completed: false };
    calls.set(callId, c);
    const status = /^SIP\/2\.0 (\d{3})/.exec(start)?.[1];
    if (dir === 'sent' && start.startsWith('BYE ')) c.byeSent = true;
    if (dir === 'received' && method === 'INVITE' && (status === '180' || status === '200')) c.reached = true;
    if (dir === 'received' && method === 'BYE' && status === '200') c.completed = true;
  }
  return calls;
}

describe('CDRs survive kill -9 of the gateway under load', () => {
  it('after a restart every call SIPp completed has one finished CDR and every call in flight one marked gateway_crashed', async () => {
    const g = await gatewayFolder({ mediaPorts: 400 });
    const gw = startBin(['start', '--config', g.config], g.dir);
    await gw.waitFor(isStartup, 'startup');

    // 40 calls/s of 2 s each: ~80 calls up at any time. SIPp gives up on a call after 3 s without
    // an answer, so it ends by itself once the gateway is gone (and flushes its trace).
    const sippPort = await freePort();
    const sipp = runSipp({
      args: ['-sn', 'uac', `127.0.0.1:${g.sip}`, '-i', '127.0.0.1', '-p', String(sippPort), '-mp', String(await sippMediaPort()),
        '-r', '40', '-m', '240', '-d', '2000', '-recv_timeout', '3000', '-trace_msg', '-message_file', join(g.dir, 'sipp-messages.log')],
      cwd: g.dir,
      timeoutMs: 90_000,
    });
    let ended = 0;
    await gw.waitFor((l) => l.event === 'call_end' && ++ended >= 60, '60 calls ended');
    gw.child.kill('SIGKILL');
    const killed = await gw.exited;
    expect(killed.signal).toBe('SIGKILL');
    const s = await sipp;
    expect(Number(s.stats['FailedCall(C)'])).toBeGreaterThan(0); // the calls the kill cut off

    // Restart: the rows the dead process left in flight are marked.
    const again = startBin(['start', '--config', g.config], g.dir);
    const open = await again.waitFor((l) => l.event === 'cdr_open', 'cdr_open');
    await again.waitFor(isStartup, 'startup');
    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);

    const read = await runBin(['cdr', '--db', g.db, '--format', 'json'], g.dir);
    expect(read.stderr).toBe('');
    expect(read.code).toBe(0);
    const rows = read.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const calls = sippCalls(join(g.dir, readdirSync(g.dir).find((f) => f === 'sipp-messages.log')!));

    // None duplicated, none foreign.
    const byCallId = new Map<string, Record<string, unknown>>();
    for (const r of rows) {
      expect(byCallId.has(r.sip_call_id as string), `duplicate CDR for ${String(r.sip_call_id)}`).toBe(false);
      byCallId.set(r.sip_call_id as string, r);
      expect(calls.has(r.sip_call_id as string), `CDR for a call SIPp never made: ${String(r.sip_call_id)}`).toBe(true);
    }
    const completed = [...calls].filter(([, c]) => c.completed);
    const inFlight = [...calls].filter(([, c]) => c.reached && !c.completed);
    expect(completed.length).toBeGreaterThanOrEqual(50); // 60 call_end lines before the kill; a few 200s to BYE may not have left
    expect(inFlight.length).toBeGreaterThan(0);
    // None missing: every completed call finished, with both ends written.
    for (const [id] of completed) {
      const r = byCallId.get(id);
      expect(r, `no CDR for completed call ${id}`).toBeDefined();
      expect(r!.state, id).toBe('ended');
      expect(r!.hangup_by, id).toBe('caller');
      expect(r!.answer_at, id).not.toBeNull();
      expect(r!.end_at, id).not.toBeNull();
    }
    // Every call in flight is there, unfinished: gateway_crashed, end unknown. (One whose BYE the
    // gateway had taken but whose 200 never reached SIPp may be ended by the caller: the gateway saw it end.)
    let crashed = 0;
    for (const [id, c] of inFlight) {
      const r = byCallId.get(id);
      expect(r, `no CDR for call in flight ${id}`).toBeDefined();
      if (r!.state === 'ended' && c.byeSent) {
        expect(r!.hangup_by, id).toBe('caller');
        continue;
      }
      expect(r!.state, id).toBe('crashed');
      expect(r!.hangup_reason, id).toBe('gateway_crashed');
      expect(r!.end_at, id).toBeNull();
      crashed++;
    }
    expect(crashed).toBeGreaterThan(0);
    expect(open.crashed).toBe(rows.filter((r) => r.state === 'crashed').length);
    expect(rows.every((r) => r.state === 'ended' || r.state === 'crashed')).toBe(true);
  }, 120_000);
});
