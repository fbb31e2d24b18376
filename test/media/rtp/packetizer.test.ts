import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readRtpHeader } from '../../../src/media/rtp/header.js';
import { RtpPacketizer } from '../../../src/media/rtp/packetizer.js';

describe('RtpPacketizer', () => {
  it('property: frameFor(n) then filling the payload gives the same packets and numbering as frame(payload)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffffffff }),
      fc.array(fc.tuple(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.boolean(), fc.boolean()), { maxLength: 40 }),
      (seq, ts, frames) => {
        const opts = { payloadType: 0, ticksPerFrame: 160, ssrc: 0xabcdef, initialSequence: seq, initialTimestamp: ts };
        const a = new RtpPacketizer(opts);
        const b = new RtpPacketizer(opts);
        for (const [payload, marker, skip] of frames) {
          if (skip) {
            a.skipFrame();
            b.skipFrame();
            continue;
          }
          const viaFrame = a.frame(Buffer.from(payload), marker);
          const viaFrameFor = b.frameFor(payload.length, marker);
          viaFrameFor.set(payload, 12);
          expect(viaFrameFor).toEqual(viaFrame);
          expect(readRtpHeader(viaFrameFor)).toEqual(readRtpHeader(viaFrame));
          expect(b.sequence).toBe(a.sequence);
          expect(b.timestamp).toBe(a.timestamp);
        }
      },
    ));
  });
});
