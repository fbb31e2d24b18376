import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeFrame, encodeFrames, FrameDecoder } from '../../../src/drachtio/wire/framing.js';
import { DrachtioError } from '../../../src/drachtio/errors.js';

describe('drachtio wire framing', () => {
  it('prefixes the payload with its UTF-8 byte length and #', () => {
    expect(encodeFrame('ab|ping').toString()).toBe('7#ab|ping');
    expect(encodeFrame('x|é').toString('utf8')).toBe('4#x|é');
  });

  it('decodes back-to-back frames from one chunk', () => {
    const d = new FrameDecoder();
    const buf = Buffer.concat([encodeFrame('1|ping'), encodeFrame('2|route|invite')]);
    expect(d.push(buf)).toEqual(['1|ping', '2|route|invite']);
    expect(d.pending).toBe(0);
  });

  it('waits for the rest of a frame split inside the length prefix', () => {
    const d = new FrameDecoder();
    const buf = encodeFrame('id|sip|||\r\nINVITE sip:a@b SIP/2.0\r\n\r\n');
    expect(d.push(buf.subarray(0, 1))).toEqual([]);
    expect(d.push(buf.subarray(1))).toEqual(['id|sip|||\r\nINVITE sip:a@b SIP/2.0\r\n\r\n']);
  });

  it('rejects a non-numeric length with DRACHTIO_BAD_FRAME', () => {
    for (const input of ['x1#abc', '#abc']) {
      expect(() => new FrameDecoder().push(Buffer.from(input)), input).toThrow(DrachtioError);
      expect(() => new FrameDecoder().push(Buffer.from(input)), input).toThrow(expect.objectContaining({ code: 'DRACHTIO_BAD_FRAME' }));
    }
  });

  it('rejects a stream of digits with no separator', () => {
    expect(() => new FrameDecoder().push(Buffer.from('12345678901234'))).toThrow(DrachtioError);
  });

  it('property: encodeFrames(payloads) is the frames of each payload back to back', () => {
    fc.assert(fc.property(
      fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 2000 }), { maxLength: 8 }),
      (payloads) => {
        expect(encodeFrames(payloads).toString('utf8')).toBe(payloads.map((p) => `${Buffer.byteLength(p)}#${p}`).join(''));
        expect(new FrameDecoder().push(encodeFrames(payloads))).toEqual(payloads);
      }));
  });

  it('property: any payloads, split at any points, decode to the same payloads in order', () => {
    fc.assert(fc.property(
      fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (payloads, cuts) => {
        const wire = Buffer.concat(payloads.map(encodeFrame));
        const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
        const d = new FrameDecoder();
        const out: string[] = [];
        let prev = 0;
        for (const p of [...points, wire.length]) {
          out.push(...d.push(wire.subarray(prev, p)));
          prev = p;
        }
        expect(out).toEqual(payloads);
        expect(d.pending).toBe(0);
      }));
  });
});
