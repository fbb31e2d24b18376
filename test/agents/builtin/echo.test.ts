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
});
