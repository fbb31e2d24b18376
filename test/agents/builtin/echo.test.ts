import { describe, expect, it } from 'vitest';
import { createEchoAgent } from '../../../src/agents/builtin/echo.js';
import { rootLogger } from '../../../src/log.js';
import { callInfo, recordingIO } from '../helpers.js';

describe('the echo agent', () => {
  it('queues delay_ms of silence first, then plays every frame it hears, in order', async () => {
    const agent = await createEchoAgent({ delay_ms: 200 }, { transferTargets: {}, log: rootLogger });
    const r = recordingIO(8000);
    await agent.start(callInfo, r.io);
    const a = Int16Array.from([1, 2, 3]);
    const b = Int16Array.from([4, 5, 6]);
    r.feed(a);
    r.feed(b);
    expect(r.played[0]!.pcm.length).toBe(1600);
    expect(r.played[0]!.pcm.every((s) => s === 0)).toBe(true);
    expect(r.played.slice(1).map((p) => Array.from(p.pcm))).toEqual([[1, 2, 3], [4, 5, 6]]);
  });
  it('copies frames, so a reused input buffer does not change what is queued', async () => {
    const agent = await createEchoAgent({ delay_ms: 0 }, { transferTargets: {}, log: rootLogger });
    const r = recordingIO(8000);
    await agent.start(callInfo, r.io);
    const f = Int16Array.from([7, 7]);
    r.feed(f);
    f.fill(0);
    expect(Array.from(r.played[0]!.pcm)).toEqual([7, 7]);
  });

  describe('live backlog: a stall of the agent\'s thread does not leave the echo deeper for the rest of the call', () => {
    /**
     * The agent on a modelled session: every period the session sends one frame from its queue
     * (if it has one), then the agent hears the frame played out in that period. `stall` periods
     * deliver their frames late, all at once, as a blocked event loop would.
     */
    async function run(delayMs: number, periods: number, stallAt: number, stalledFrames: number) {
      const agent = await createEchoAgent({ delay_ms: delayMs }, { transferTargets: {}, log: rootLogger });
      const r = recordingIO(8000);
      let queued = 0;
      Object.defineProperty(r.io, 'queuedMs', { get: () => queued });
      const play = r.io.play.bind(r.io);
      r.io.play = (pcm, rate) => { queued += (pcm.length / rate) * 1000; play(pcm, rate); };
      await agent.start(callInfo, r.io);
      const depth: number[] = [];
      const frame = new Int16Array(160);
      for (let p = 0; p < periods; p++) {
        queued = Math.max(0, queued - 20);
        depth.push(queued);
        if (p === stallAt) continue; // the frames heard during the stall arrive together later
        const n = p === stallAt + stalledFrames ? stalledFrames + 1 : p > stallAt && p < stallAt + stalledFrames ? 0 : 1;
        for (let i = 0; i < n; i++) r.feed(frame);
      }
      return { depth, summary: agent.summary?.() };
    }

    it('delay 0: two frames heard at once leave a standing frame, dropped after 1 s of it (counted in call_end), and the depth is back to 0', async () => {
      const { depth, summary } = await run(0, 120, 10, 1);
      expect(depth.slice(2, 10).every((d) => d === 0)).toBe(true);
      expect(depth[12]).toBe(20); // one frame deeper after the stall
      expect(depth.slice(70)).toEqual(new Array(50).fill(0));
      expect(summary).toEqual({ echoFramesDropped: 1 });
    });

    it('delay 200 ms: a stall shorter than the delay is absorbed by the delay line (nothing dropped)', async () => {
      const { depth, summary } = await run(200, 100, 20, 3);
      expect(depth.slice(5, 20).every((d) => d === 180)).toBe(true);
      expect(depth.slice(30)).toEqual(new Array(70).fill(180));
      expect(summary).toBeUndefined();
    });

    it('delay 200 ms: after a stall longer than the delay, the frames above one of slack are dropped at once and the standing one after 1 s; back to 200 ms', async () => {
      const { depth, summary } = await run(200, 150, 20, 12);
      expect(depth.slice(5, 20).every((d) => d === 180)).toBe(true);
      expect(depth[34]).toBe(200);
      expect(depth.slice(100)).toEqual(new Array(50).fill(180));
      expect(summary).toEqual({ echoFramesDropped: 3 });
    });

    it('no stall: nothing dropped, no call_end field', async () => {
      const { depth, summary } = await run(0, 100, -10, 0);
      expect(depth.slice(1).every((d) => d === 0)).toBe(true);
      expect(summary).toBeUndefined();
    });
  });
});
