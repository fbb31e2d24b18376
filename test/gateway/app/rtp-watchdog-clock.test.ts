/**
 * RtpWatchdog's decisions with an injected clock and fake timers: which timeout applies (caller,
 * hold, bridged human leg without an agent), that packets restart the clock, that hold/resume
 * restart it, and that an ended or offloaded call is left alone. The SIPp tests beside this one
 * (rtp-watchdog.test.ts) show the same on the wire.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RtpWatchdog } from '../../../src/gateway/app/rtp-watchdog.js';
import type { Call, CallState } from '../../../src/gateway/app/call.js';

interface FakeCall {
  call: Call;
  packets: { caller: number; human: number };
  ends: { by: string; reason: string; cause: unknown }[];
  setHold(h: boolean): void;
  bridgeHuman(): void;
}

function fakeCall(): FakeCall {
  const packets = { caller: 0, human: 0 };
  const ends: FakeCall['ends'] = [];
  const listeners = new Set<(s: CallState) => void>();
  const media = { remoteHold: false };
  const humanLeg = { session: { stats: () => ({ packetsIn: packets.human }) } };
  const call = {
    ended: false, mediaOffloaded: false, agent: {}, human: undefined as unknown, endFields: {} as Record<string, unknown>,
    caller: { media },
    session: { stats: () => ({ packetsIn: packets.caller }) },
    log: { warn: () => undefined },
    onState: (l: (s: CallState) => void) => { listeners.add(l); return () => listeners.delete(l); },
    end(by: string, reason: string) {
      call.ended = true;
      ends.push({ by, reason, cause: call.endFields.endCause });
      for (const l of listeners) l('ending');
      return Promise.resolve();
    },
  };
  return {
    call: call as unknown as Call, packets, ends,
    setHold: (h) => { media.remoteHold = h; },
    bridgeHuman: () => { call.human = humanLeg; call.agent = undefined as unknown as object; },
  };
}

let now = 0;
beforeEach(() => { vi.useFakeTimers(); now = 0; });
afterEach(() => { vi.useRealTimers(); });

function advance(ms: number): void {
  for (let t = 0; t < ms; t += 100) { now += 100; vi.advanceTimersByTime(100); }
}

describe('RtpWatchdog', () => {
  it('ends a call whose caller sent nothing for rtpTimeoutMs with endCause rtp_timeout, and not before', () => {
    const w = new RtpWatchdog({ rtpTimeoutMs: 3000, holdTimeoutMs: 10_000, sweepMs: 100, now: () => now });
    const f = fakeCall();
    w.watch(f.call);
    advance(2900);
    expect(f.ends).toEqual([]);
    advance(200);
    expect(f.ends).toEqual([{ by: 'gateway', reason: 'no RTP from the caller for 3 s', cause: 'rtp_timeout' }]);
    expect(w.watching).toBe(0);
  });

  it('every packet restarts the clock', () => {
    const w = new RtpWatchdog({ rtpTimeoutMs: 1000, holdTimeoutMs: 0, sweepMs: 100, now: () => now });
    const f = fakeCall();
    w.watch(f.call);
    for (let i = 0; i < 20; i++) { advance(500); f.packets.caller += 25; }
    expect(f.ends).toEqual([]);
    advance(1100);
    expect(f.ends.map((e) => e.cause)).toEqual(['rtp_timeout']);
  });

  it('while the caller holds, holdTimeoutMs applies (hold_timeout); putting on hold restarts the clock', () => {
    const w = new RtpWatchdog({ rtpTimeoutMs: 1000, holdTimeoutMs: 5000, sweepMs: 100, now: () => now });
    const f = fakeCall();
    w.watch(f.call);
    advance(800);
    f.setHold(true);
    advance(4800);
    expect(f.ends).toEqual([]);
    advance(300);
    expect(f.ends.map((e) => e.cause)).toEqual(['hold_timeout']);
  });

  it('a bridged human leg with no agent left that goes silent ends the call (human_rtp_timeout) while the caller talks', () => {
    const w = new RtpWatchdog({ rtpTimeoutMs: 1000, holdTimeoutMs: 0, sweepMs: 100, now: () => now });
    const f = fakeCall();
    w.watch(f.call);
    f.bridgeHuman();
    for (let i = 0; i < 8; i++) { advance(200); f.packets.caller += 10; }
    expect(f.ends.map((e) => e.cause)).toEqual(['human_rtp_timeout']);
  });

  it('leaves alone a call whose media was offloaded (transfer.media: direct), and watches nothing when both timeouts are 0', () => {
    const w = new RtpWatchdog({ rtpTimeoutMs: 1000, holdTimeoutMs: 1000, sweepMs: 100, now: () => now });
    const f = fakeCall();
    (f.call as { mediaOffloaded: boolean }).mediaOffloaded = true;
    w.watch(f.call);
    advance(5000);
    expect(f.ends).toEqual([]);
    w.close();
    const off = new RtpWatchdog({ rtpTimeoutMs: 0, holdTimeoutMs: 0, now: () => now });
    off.watch(fakeCall().call);
    expect(off.watching).toBe(0);
  });

  it('forgets a call once it ends by itself', () => {
    const w = new RtpWatchdog({ rtpTimeoutMs: 1000, holdTimeoutMs: 0, sweepMs: 100, now: () => now });
    const f = fakeCall();
    w.watch(f.call);
    void f.call.end('caller', 'bye');
    expect(w.watching).toBe(0);
    advance(2000);
    expect(f.ends).toHaveLength(1);
  });
});
