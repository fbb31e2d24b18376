import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DtmfError, digitToEvent, eventToDigit, parseTelephoneEvent, serializeTelephoneEvent } from '../../../src/media/dtmf/telephone-event.js';

describe('RFC 4733 telephone-event payload', () => {
  it('parses event, E bit, volume and duration (RFC 4733 §2.3)', () => {
    expect(parseTelephoneEvent(Buffer.from([0x01, 0x8a, 0x08, 0xc0]))).toEqual({ event: 1, end: true, volume: 10, duration: 2240 });
    expect(parseTelephoneEvent(Buffer.from([0x0b, 0x0a, 0x00, 0xa0]))).toEqual({ event: 11, end: false, volume: 10, duration: 160 });
  });

  it('ignores the reserved R bit', () => {
    expect(parseTelephoneEvent(Buffer.from([5, 0x40 | 0x0a, 0, 0])).volume).toBe(10);
  });

  it('serialize and parse round-trip every valid field combination (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.boolean(), fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 0xffff }), (event, end, volume, duration) => {
        const ev = { event, end, volume, duration };
        expect(parseTelephoneEvent(serializeTelephoneEvent(ev))).toEqual(ev);
      }),
    );
  });

  it('parse never throws anything but DtmfError on arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), (bytes) => {
        try {
          parseTelephoneEvent(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(DtmfError);
          expect((err as DtmfError).code).toBe('DTMF_BAD_PAYLOAD');
        }
      }),
    );
  });

  it('rejects out-of-range fields on serialize with RangeError', () => {
    expect(() => serializeTelephoneEvent({ event: 1, end: false, volume: 64, duration: 0 })).toThrow(RangeError);
    expect(() => serializeTelephoneEvent({ event: 1, end: false, volume: 0, duration: 65536 })).toThrow(RangeError);
  });

  it('maps digits to RFC 4733 §3.2 events: 0-9, * = 10, # = 11, A-D = 12-15', () => {
    expect([...'0123456789*#ABCD'].map(digitToEvent)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(digitToEvent('a')).toBe(12);
    expect(eventToDigit(11)).toBe('#');
    expect(eventToDigit(16)).toBeUndefined();
    try {
      digitToEvent('x');
      expect.fail('accepted x');
    } catch (err) {
      expect((err as DtmfError).code).toBe('DTMF_BAD_DIGIT');
    }
  });
});
