import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeL16, encodeL16 } from '../../../../src/agents/builtin/websocket-stream/audio.js';
import { createFrameChunker } from '../../../../src/agents/builtin/websocket-stream/chunker.js';

const pcmArb = fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 400 }).map((a) => Int16Array.from(a));

describe('L16 payloads', () => {
  it('round-trip in both byte orders', () => {
    fc.assert(fc.property(pcmArb, fc.constantFrom('be' as const, 'le' as const), (pcm, order) => {
      expect(Array.from(decodeL16(encodeL16(pcm, order), order))).toEqual(Array.from(pcm));
    }));
  });
  it('big-endian puts the high byte first (network order)', () => {
    expect(Array.from(encodeL16(Int16Array.from([0x1234, -2]), 'be'))).toEqual([0x12, 0x34, 0xff, 0xfe]);
    expect(Array.from(encodeL16(Int16Array.from([0x1234, -2]), 'le'))).toEqual([0x34, 0x12, 0xfe, 0xff]);
  });
});

describe('the 20 ms chunker', () => {
  it('emits the input, in order, in chunks of exactly the chunk size, keeping the remainder', () => {
    fc.assert(fc.property(fc.array(pcmArb, { maxLength: 10 }), fc.integer({ min: 1, max: 200 }), (frames, size) => {
      const chunker = createFrameChunker(size);
      const out = frames.flatMap((f) => chunker.push(f));
      const input = frames.flatMap((f) => Array.from(f));
      expect(out.every((c) => c.length === size)).toBe(true);
      expect(out.length).toBe(Math.floor(input.length / size));
      expect(out.flatMap((c) => Array.from(c))).toEqual(input.slice(0, out.length * size));
    }));
  });
});
