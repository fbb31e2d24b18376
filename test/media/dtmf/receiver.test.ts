import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DtmfReceiver, type DtmfDigit } from '../../../src/media/dtmf/receiver.js';
import { dtmfPackets } from '../../../src/media/dtmf/sender.js';
import { serializeTelephoneEvent } from '../../../src/media/dtmf/telephone-event.js';
import { readRtpFromPcap, type RtpFromPcap } from './pcap.js';

const PCAP_DIR = '/usr/share/sip-tester';
const FILES: Array<[file: string, digit: string]> = [
  ...Array.from({ length: 10 }, (_, d) => [`dtmf_2833_${d}.pcap`, String(d)] as [string, string]),
  ['dtmf_2833_star.pcap', '*'],
  ['dtmf_2833_pound.pcap', '#'],
];

function load(file: string): RtpFromPcap[] {
  return readRtpFromPcap(`${PCAP_DIR}/${file}`);
}

function feed(rx: DtmfReceiver, packets: Array<{ timestamp: number; payload: Buffer; timeMs?: number }>): DtmfDigit[] {
  const out: DtmfDigit[] = [];
  packets.forEach((p, i) => out.push(...rx.push({ timestamp: p.timestamp, payload: p.payload, arrivalMs: p.timeMs ?? i * 20 })));
  return out;
}

const isEnd = (p: { payload: Buffer }): boolean => (p.payload[1]! & 0x80) !== 0;

describe.skipIf(!existsSync(`${PCAP_DIR}/dtmf_2833_1.pcap`))('DtmfReceiver on SIPp\'s RFC 2833 captures', () => {
  it('the captures are what the tests assume: start with marker, updates, three end packets', () => {
    const pkts = load('dtmf_2833_1.pcap');
    expect(pkts[0]!.marker).toBe(true);
    expect(pkts.filter(isEnd)).toHaveLength(3);
    expect(new Set(pkts.map((p) => p.timestamp)).size).toBe(1);
  });

  for (const [file, digit] of FILES) {
    it(`${file} yields exactly the digit ${digit}, once, with its duration`, () => {
      const pkts = load(file);
      const digits = feed(new DtmfReceiver(), pkts);
      expect(digits.map((d) => d.digit)).toEqual([digit]);
      const last = pkts.at(-1)!;
      expect(digits[0]!.durationTicks).toBe(last.payload.readUInt16BE(2));
      expect(digits[0]!.durationMs).toBe(Math.round(last.payload.readUInt16BE(2) / 8));
      expect(digits[0]!.ended).toBe(true);
    });
  }

  it('all twelve captures played back to back (new timestamps) give 0123456789*# once each', () => {
    const rx = new DtmfReceiver();
    const digits: DtmfDigit[] = [];
    FILES.forEach(([file], k) => {
      digits.push(...feed(rx, load(file).map((p) => ({ ...p, timestamp: (p.timestamp + k * 8000) >>> 0 }))));
    });
    expect(digits.map((d) => d.digit).join('')).toBe('0123456789*#');
  });

  it('does not need the marker bit: the receiver ignores it (captures with markers cleared)', () => {
    const pkts = load('dtmf_2833_5.pcap').map((p) => ({ ...p, marker: false }));
    expect(feed(new DtmfReceiver(), pkts).map((d) => d.digit)).toEqual(['5']);
  });

  it('reports the digit once when the start packets are lost', () => {
    const pkts = load('dtmf_2833_7.pcap').slice(3);
    expect(feed(new DtmfReceiver(), pkts).map((d) => d.digit)).toEqual(['7']);
  });

  it('reports a digit that arrives only as end packets', () => {
    const pkts = load('dtmf_2833_9.pcap').filter(isEnd);
    const digits = feed(new DtmfReceiver(), pkts);
    expect(digits.map((d) => d.digit)).toEqual(['9']);
    expect(digits[0]!.durationTicks).toBe(pkts[0]!.payload.readUInt16BE(2));
  });

  it('reports the digit once when every packet is duplicated', () => {
    const pkts = load('dtmf_2833_3.pcap').flatMap((p) => [p, p]);
    expect(feed(new DtmfReceiver(), pkts).map((d) => d.digit)).toEqual(['3']);
  });

  it('reports once when an end packet overtakes the updates', () => {
    const pkts = load('dtmf_2833_2.pcap');
    const end = pkts.findIndex(isEnd);
    const reordered = [pkts[end]!, ...pkts.slice(0, end), ...pkts.slice(end + 1)];
    const digits = feed(new DtmfReceiver(), reordered);
    expect(digits.map((d) => d.digit)).toEqual(['2']);
  });

  it('closes a digit whose end packets were all lost when the next digit starts, or after the timeout', () => {
    const rx = new DtmfReceiver({ endTimeoutMs: 500 });
    const four = load('dtmf_2833_4.pcap').filter((p) => !isEnd(p));
    const six = load('dtmf_2833_6.pcap').map((p) => ({ ...p, timestamp: (p.timestamp + 8000) >>> 0 }));
    const first = feed(rx, four);
    expect(first).toEqual([]);
    const digits = feed(rx, six);
    expect(digits.map((d) => [d.digit, d.ended])).toEqual([['4', false], ['6', true]]);

    const rx2 = new DtmfReceiver({ endTimeoutMs: 500 });
    for (const [i, p] of four.entries()) rx2.push({ timestamp: p.timestamp, payload: p.payload, arrivalMs: 1000 + i * 20 });
    expect(rx2.poll(1000 + four.length * 20)).toEqual([]);
    expect(rx2.poll(1000 + four.length * 20 + 600).map((d) => d.digit)).toEqual(['4']);
    expect(rx2.poll(5000)).toEqual([]);
  });
});

describe('DtmfReceiver with sender-generated events', () => {
  it('the same digit pressed twice (two timestamps) is reported twice', () => {
    const rx = new DtmfReceiver();
    const a = dtmfPackets('1', { timestamp: 1000 });
    const b = dtmfPackets('1', { timestamp: 3000 });
    expect(feed(rx, [...a, ...b]).map((d) => d.digit)).toEqual(['1', '1']);
  });

  it('ignores non-DTMF events (e.g. 16, flash) without reporting a digit', () => {
    const rx = new DtmfReceiver();
    const pkt = { timestamp: 1, payload: serializeTelephoneEvent({ event: 16, end: true, volume: 10, duration: 800 }) };
    expect(feed(rx, [pkt, pkt])).toEqual([]);
  });

  it('any digit sent with any duration, with duplicates and loss of all but one end packet, is reported exactly once (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...'0123456789*#ABCD'),
        fc.integer({ min: 40, max: 2000 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.integer({ min: 0, max: 2 }),
        (digit, durationMs, timestamp, dupIdx, keepEnd) => {
          const plan = dtmfPackets(digit, { timestamp, durationMs });
          const ends = plan.filter((p) => p.end);
          const lossy = [...plan.filter((p) => !p.end), ends[keepEnd]!];
          const withDups = [...lossy];
          for (const i of dupIdx) withDups.splice(i % (withDups.length + 1), 0, lossy[i % lossy.length]!);
          const digits = feed(new DtmfReceiver(), withDups);
          expect(digits.map((d) => d.digit)).toEqual([digit]);
          expect(digits[0]!.timestamp).toBe(timestamp);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('DtmfReceiver: long events (RFC 4733 §2.5.1.3)', () => {
  it('reports a digit longer than 0xFFFF ticks once, its segments joined', () => {
    const rx = new DtmfReceiver();
    const pkt = (timestamp: number, duration: number, end: boolean) => ({ timestamp, payload: serializeTelephoneEvent({ event: 5, end, volume: 10, duration }) });
    const t0 = 2 ** 32 - 1000; // the second segment's timestamp wraps
    const packets = [pkt(t0, 160, false), pkt(t0, 40000, false), pkt(t0, 0xffff, false), pkt((t0 + 0xffff) >>> 0, 800, false), pkt((t0 + 0xffff) >>> 0, 1600, true), pkt((t0 + 0xffff) >>> 0, 1600, true)];
    const digits = feed(rx, packets);
    expect(digits.map((d) => d.digit)).toEqual(['5']);
    expect(digits[0]!.durationTicks).toBe(0xffff + 1600);
    expect(digits[0]!.timestamp).toBe(t0);
  });

  it('joins the segments our sender makes for a 2 s digit at 48 kHz into one digit', () => {
    const plan = dtmfPackets('8', { timestamp: 2 ** 32 - 5000, durationMs: 2000, clockRate: 48000 });
    const digits = feed(new DtmfReceiver({ clockRate: 48000 }), plan);
    expect(digits.map((d) => [d.digit, d.durationMs])).toEqual([['8', 2000]]);
  });
});
