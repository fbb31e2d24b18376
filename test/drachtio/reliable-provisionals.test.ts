/**
 * RFC 3262 reliable provisional responses and RFC 3261 §8.2.2.3 Require through the embedded
 * server, driven by the unmodified drachtio-srf and real SIPp peers on 127.0.0.1.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runSipp } from '../helpers/sipp.js';
import { freePort } from '../helpers/ports.js';
import { SDP, scenario, startHarness, until, type Harness } from './helpers/harness.js';

let h: Harness | undefined;
const kills: Array<() => void> = [];
const traceDirs: string[] = [];
afterEach(async () => {
  for (const k of kills.splice(0)) k();
  await h?.close();
  h = undefined;
  for (const d of traceDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A SIPp message-trace file path in a fresh temp folder (removed after the test). */
function traceFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-trace-'));
  traceDirs.push(dir);
  return join(dir, 'messages.log');
}

/** The SIP messages SIPp logged as received (`-trace_msg`), each as its text. */
function received(trace: string): string[] {
  const text = readFileSync(trace, 'utf8');
  return text.split(/-{20,}[^\n]*\n/).filter((m) => /message received/.test(m)).map((m) => m.slice(m.indexOf('\n\n') + 2));
}

function header(message: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(message);
  return m?.[1]?.trim();
}

async function uac(file: string, sipPort: number, extra: string[] = []): Promise<ReturnType<typeof runSipp>> {
  const run = runSipp({ args: ['-sf', scenario(file), `127.0.0.1:${sipPort}`, '-p', String(await freePort()), '-i', '127.0.0.1', '-m', '1', ...extra], timeoutMs: 60_000 });
  kills.push(run.kill);
  return run;
}

describe('reliable provisional responses, UAS side (RFC 3262 §3)', () => {
  /** The reliable 183s SIPp received: one RSeq, in 1 … 2**31 − 1, with Require: 100rel, retransmitted at least once. */
  function checkReliable183(trace: string): number {
    const reliable = received(trace).filter((m) => m.startsWith('SIP/2.0 183'));
    // Sent at 0, resent at T1 (and 3·T1) during the caller's 1.2 s pause (T1 = 500 ms).
    expect(reliable.length).toBeGreaterThanOrEqual(2);
    const rseqs = new Set(reliable.map((m) => header(m, 'RSeq')));
    expect(rseqs.size).toBe(1); // retransmissions of one response
    const rseq = Number([...rseqs][0]);
    expect(rseq).toBeGreaterThanOrEqual(1);
    expect(rseq).toBeLessThanOrEqual(2 ** 31 - 1);
    expect(header(reliable[0]!, 'Require')).toMatch(/100rel/);
    return rseq;
  }

  it('sends an app’s 183 with Require: 100rel reliably, retransmits it until the PRACK, and hands the PRACK (RAck = RSeq, CSeq) to the app, which answers it', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const pracks: string[] = [];
    let answer!: () => void;
    srf.prack((req: any, res: any) => { pracks.push(req.get('RAck')); res.send(200); answer(); });
    srf.invite((req: any, res: any) => {
      answer = () => { void srf.createUAS(req, res, { localSdp: SDP }); };
      res.send(183, { headers: { Require: '100rel' }, body: SDP });
    });
    const trace = traceFile();
    const r = await uac('uac-100rel-prack-then-expect-200.xml', h.sipPort, ['-trace_msg', '-message_file', trace]);
    expect(r.code, r.errors).toBe(0);
    const rseq = checkReliable183(trace);
    expect(pracks).toEqual([`${rseq} 1 INVITE`]);
    await until(() => h!.server.stats.dialogs === 0 && h!.server.stats.pendingServerRequests === 0);
    expect(h.server.stack.dialogs.reliableCount).toBe(0);
  });

  it('sends an app’s plain 183 reliably (adding Require: 100rel) when the INVITE required 100rel (§3)', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const pracks: string[] = [];
    let answer!: () => void;
    srf.prack((req: any, res: any) => { pracks.push(req.get('RAck')); res.send(200); answer(); });
    srf.invite((req: any, res: any) => {
      answer = () => { void srf.createUAS(req, res, { localSdp: SDP }); };
      res.send(183, { body: SDP });
    });
    const trace = traceFile();
    const r = await uac('uac-100rel-prack-then-expect-200.xml', h.sipPort, ['-trace_msg', '-message_file', trace]);
    expect(r.code, r.errors).toBe(0);
    const rseq = checkReliable183(trace);
    expect(pracks).toEqual([`${rseq} 1 INVITE`]);
  });

  it('holds an app’s 200 sent before the PRACK of a 183 with SDP until that PRACK arrives, and answers the PRACK 200 itself', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const pracks: string[] = [];
    srf.prack((req: any, res: any) => { pracks.push(req.get('RAck')); res.send(200); });
    srf.invite((req: any, res: any) => {
      res.send(183, { headers: { Require: '100rel' }, body: SDP });
      void srf.createUAS(req, res, { localSdp: SDP }); // sent at once; the server holds it (§3)
    });
    const trace = traceFile();
    // The scenario fails on any 200 during its 1.2 s pause before the PRACK.
    const r = await uac('uac-100rel-prack-expect-held-200.xml', h.sipPort, ['-trace_msg', '-message_file', trace]);
    expect(r.code, r.errors).toBe(0);
    checkReliable183(trace);
    expect(pracks).toEqual([]); // srf's Dialog would have answered it 501
    await until(() => h!.server.stats.dialogs === 0 && h!.server.stats.pendingServerRequests === 0);
    expect(h.server.stack.dialogs.reliableCount).toBe(0);
  });

  it('rejects the INVITE with 503 when the caller never PRACKs, after retransmitting the 18x with T1 doubling for 64·T1', async () => {
    const t1 = 100;
    h = await startHarness({ t1 });
    const srf = await h.connect();
    srf.invite((_req: any, res: any) => { res.send(183, { headers: { Require: '100rel' }, body: SDP }); });
    const trace = traceFile();
    const start = Date.now();
    const r = await uac('uac-100rel-no-prack-expect-503.xml', h.sipPort, ['-trace_msg', '-message_file', trace]);
    expect(r.code, r.errors).toBe(0);
    expect(Date.now() - start).toBeGreaterThanOrEqual(64 * t1);
    const got = received(trace);
    const reliable = got.filter((m) => m.startsWith('SIP/2.0 183'));
    // Sent at 0; resent at 1, 3, 7, 15, 31 (and 63, racing the 64·T1 give-up) T1: 6 or 7 in all.
    expect(reliable.length).toBeGreaterThanOrEqual(6);
    expect(reliable.length).toBeLessThanOrEqual(7);
    const final = got.find((m) => m.startsWith('SIP/2.0 503'));
    expect(header(final!, 'To')).toContain(`tag=`);
    await until(() => h!.server.stats.pendingServerRequests === 0 && h!.server.stats.stack.serverTransactions === 0);
    expect(h.server.stack.dialogs.reliableCount).toBe(0);
  });

  it('answers 481 to a PRACK that matches no reliable provisional response', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const pracks: string[] = [];
    srf.prack((req: any, res: any) => { pracks.push(req.get('RAck')); res.send(200); });
    srf.invite((_req: any, res: any) => { res.send(183, { headers: { Require: '100rel' }, body: SDP }); });
    const r = await uac('uac-100rel-wrong-rack-expect-481.xml', h.sipPort);
    expect(r.code, r.errors).toBe(0);
    expect(pracks).toEqual([]);
  });

  it('refuses to send a reliable 18x to a caller that did not offer 100rel, failing the app’s send', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const outcome = new Promise<unknown>((resolve) => {
      srf.invite((_req: any, res: any) => {
        res.send(183, { headers: { Require: '100rel' }, body: SDP }, (err: unknown) => {
          resolve(err);
          res.send(486);
        });
      });
    });
    const r = await uac('uac-expect-486.xml', h.sipPort);
    expect(r.code, r.errors).toBe(0);
    expect(await outcome).toBeTruthy();
  });
});

describe('Require (RFC 3261 §8.2.2.3)', () => {
  it('answers 420 Bad Extension listing the unsupported option tag, without bothering the app', async () => {
    h = await startHarness();
    const srf = await h.connect();
    let invites = 0;
    srf.invite((_req: any, res: any) => { invites++; res.send(486); });
    const r = await uac('uac-require-foo-expect-420.xml', h.sipPort);
    expect(r.code, r.errors).toBe(0);
    expect(invites).toBe(0);
  });

  it('leaves Require to the app when supportedExtensions is false, as drachtio-server does', async () => {
    h = await startHarness({ supportedExtensions: false });
    const srf = await h.connect();
    let required = '';
    srf.invite((req: any, res: any) => { required = req.get('Require'); res.send(486); });
    const r = await uac('uac-require-foo-expect-486.xml', h.sipPort);
    expect(r.code, r.errors).toBe(0);
    expect(required).toBe('100rel, foo');
  });
});

describe('reliable provisional responses, UAC side (RFC 3262 §4)', () => {
  it('a B2BUA’s B leg that rings reliably gets drachtio-srf’s PRACK in the early dialog with RAck = RSeq + the INVITE’s CSeq, and the call completes', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const bPort = await freePort();
    const outcomes: string[] = [];
    srf.invite(async (req: any, res: any) => {
      try {
        const { uas, uac: b } = await srf.createB2BUA(req, res, `sip:service@127.0.0.1:${bPort}`, { localSdpB: req.body });
        uas.on('destroy', () => { outcomes.push('A hung up'); void b.destroy(); });
        b.on('destroy', () => { outcomes.push('B hung up'); void uas.destroy(); });
      } catch (err: any) {
        outcomes.push(`failed ${err.status ?? err.message}`);
      }
    });
    const bTrace = traceFile();
    const bRun = runSipp({ args: ['-sf', scenario('uas-reliable-180-expect-prack.xml'), '-p', String(bPort), '-i', '127.0.0.1', '-m', '1', '-trace_msg', '-message_file', bTrace], timeoutMs: 60_000 });
    kills.push(bRun.kill);
    await bRun.listening();
    const aRun = runSipp({ args: ['-sn', 'uac', '-d', '200', `127.0.0.1:${h.sipPort}`, '-p', String(await freePort()), '-i', '127.0.0.1', '-m', '1'], timeoutMs: 60_000 });
    kills.push(aRun.kill);
    const [a, b] = await Promise.all([aRun, bRun]);
    expect(b.code, b.errors).toBe(0);
    expect(a.code, a.errors).toBe(0);
    expect(outcomes).toEqual(['A hung up']);
    const got = received(bTrace);
    const invite = got.find((m) => m.startsWith('INVITE '))!;
    const pracks = got.filter((m) => m.startsWith('PRACK '));
    expect(pracks).toHaveLength(1);
    const prack = pracks[0]!;
    const inviteCseq = header(invite, 'CSeq')!.split(/\s+/)[0];
    expect(header(prack, 'RAck')!.split(/\s+/)).toEqual(['1', inviteCseq, 'INVITE']);
    // §4: the PRACK is sent in the early dialog the 180 created: its To tag, to its Contact.
    expect(header(prack, 'To')).toContain('tag=');
    expect(header(prack, 'Call-ID')).toBe(header(invite, 'Call-ID'));
    expect(prack.split('\n')[0]).toMatch(/^PRACK sip:127\.0\.0\.1:\d+;transport=UDP SIP\/2\.0/i);
    await until(() => h!.server.stats.dialogs === 0 && h!.server.stats.pendingClientRequests === 0);
  });
});
