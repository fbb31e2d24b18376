import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { pcmFrame } from '../../../src/media/codecs/pcm-frame.js';

describe('pcmFrame', () => {
  it('property: every frame is zero-filled, of the asked length, and shares no sample with any other frame', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 1, maxLength: 80 }), (sizes) => {
      const frames = sizes.map((n) => pcmFrame(n));
      frames.forEach((f, i) => {
        expect(f.length).toBe(sizes[i]);
        expect(f.every((s) => s === 0)).toBe(true);
      });
      frames.forEach((f, i) => f.fill(i + 1));
      frames.forEach((f, i) => expect(f.every((s) => s === i + 1)).toBe(true));
    }));
  });
});
