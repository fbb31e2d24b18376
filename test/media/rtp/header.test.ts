import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RtpHeader, RtpPacket } from 'werift-rtp';
import { readRtpHeader, writeRtpPacket } from '../../../src/media/rtp/header.js';

describe('RTP fixed header (RFC 3550 §5.1), cross-checked with werift-rtp', () => {
  it('property: writeRtpPacket produces what werift-rtp parses back field for field', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 127 }), fc.boolean(), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0, max: 0xffffffff }), fc.uint8Array({ maxLength: 400 }),
      (pt, marker, seq, ts, ssrc, payload) => {
        const p = RtpPacket.deSerialize(writeRtpPacket(pt, marker, seq, ts, ssrc, payload));
        expect(p.header).toMatchObject({ version: 2, payloadType: pt, marker, sequenceNumber: seq, timestamp: ts, ssrc, csrcLength: 0, extension: false, padding: false });
        expect(Buffer.from(p.payload)).toEqual(Buffer.from(payload));
      },
    ));
  });

  it('property: readRtpHeader agrees with werift-rtp on packets with CSRCs, extensions and padding', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 127 }), fc.boolean(), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffffffff }),
      fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 15 }), fc.uint8Array({ minLength: 1, maxLength: 200 }),
      fc.boolean(), fc.integer({ min: 0, max: 3 }),
      (pt, marker, seq, ts, csrc, payload, ext, pad) => {
        const header = new RtpHeader({ payloadType: pt, marker, sequenceNumber: seq, timestamp: ts, ssrc: 7, csrc, csrcLength: csrc.length });
        if (ext) { header.extension = true; header.extensions = [{ id: 1, payload: Buffer.from([1, 2]) }]; }
        let buf = new RtpPacket(header, Buffer.from(payload)).serialize();
        if (pad > 0) {
          const padding = Buffer.alloc(pad + 1);
          padding[pad] = pad + 1;
          buf = Buffer.concat([buf, padding]);
          buf[0] = buf[0]! | 0x20;
        }
        const mine = readRtpHeader(buf)!;
        expect(mine).toBeDefined();
        expect({ pt: mine.payloadType, m: mine.marker, seq: mine.sequenceNumber, ts: mine.timestamp, ssrc: mine.ssrc })
          .toEqual({ pt, m: marker, seq, ts, ssrc: 7 });
        expect(Buffer.from(buf.subarray(mine.payloadOffset, mine.payloadEnd))).toEqual(Buffer.from(payload));
      },
    ));
  });

  it('rejects short packets, version ≠ 2, and padding or extensions longer than the packet', () => {
    expect(readRtpHeader(Buffer.alloc(11, 0x80))).toBeUndefined();
    const v1 = writeRtpPacket(0, false, 1, 1, 1, Buffer.alloc(10));
    v1[0] = 0x40;
    expect(readRtpHeader(v1)).toBeUndefined();
    const badPad = writeRtpPacket(0, false, 1, 1, 1, Buffer.alloc(4));
    badPad[0] = 0xa0;
    badPad[badPad.length - 1] = 200;
    expect(readRtpHeader(badPad)).toBeUndefined();
    const badExt = writeRtpPacket(0, false, 1, 1, 1, Buffer.from([0xbe, 0xde, 0x00, 0x09]));
    badExt[0] = 0x90;
    expect(readRtpHeader(badExt)).toBeUndefined();
  });

  it('property: readRtpHeader never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => { readRtpHeader(Buffer.from(bytes)); }));
  });
});
