import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDemoAgent, DEMO_TEXTS, loadDemoPrompts } from '../../../src/agents/builtin/demo.js';
import { synthesize } from '../../../src/agents/builtin/prompts.js';
import { rootLogger } from '../../../src/log.js';
import { callInfo, recordingIO } from '../helpers.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'tg-prompts-'));

describe('espeak-ng prompts', () => {
  it('synthesises 16 kHz speech and serves it from the cache the second time', async () => {
    const first = await synthesize('Testing one two.', { cacheDir });
    expect(first.sampleRate).toBe(16000);
    expect(first.samples.length).toBeGreaterThan(16000 * 0.5);
    const second = await synthesize('Testing one two.', { cacheDir });
    expect(Array.from(second.samples.subarray(0, 100))).toEqual(Array.from(first.samples.subarray(0, 100)));
  }, 30_000);
});

describe('the demo agent', () => {
  const ctx = { transferTargets: { support: 'sip:support@127.0.0.1' }, log: rootLogger };

  it('greets, plays the menu and starts echoing once the menu has been played', async () => {
    const prompts = await loadDemoPrompts(cacheDir);
    const agent = await createDemoAgent({ cache_dir: cacheDir }, ctx);
    const r = recordingIO();
    await agent.start(callInfo, r.io);
    expect(r.io.audioRate).toBe(16000);
    expect(r.played.map((p) => p.pcm)).toEqual([prompts.greeting.samples, prompts.menu.samples]);
    r.feed(new Int16Array(320));
    expect(r.played).toHaveLength(2);
    r.reach('menu-done');
    r.feed(new Int16Array(320).fill(9));
    expect(r.played).toHaveLength(3);
  }, 30_000);

  it('on 1 asks for a warm transfer to its target and, when the human is not reached, says so and carries on echoing', async () => {
    const prompts = await loadDemoPrompts(cacheDir);
    const agent = await createDemoAgent({ cache_dir: cacheDir, transfer_target: 'support' }, ctx);
    const r = recordingIO();
    await agent.start(callInfo, r.io);
    r.press('1');
    await new Promise((res) => setImmediate(res));
    expect(r.transfers).toEqual(['support']);
    expect(r.played.at(-1)!.pcm).toBe(prompts.unavailable.samples);
    expect(r.hangups).toEqual([]);
    const before = r.played.length;
    r.feed(new Int16Array(320).fill(9));
    expect(r.played).toHaveLength(before + 1);
  }, 30_000);

  it('on 2 says goodbye and hangs up after the goodbye has been played', async () => {
    const prompts = await loadDemoPrompts(cacheDir);
    const agent = await createDemoAgent({ cache_dir: cacheDir }, ctx);
    const r = recordingIO();
    await agent.start(callInfo, r.io);
    r.press('2');
    expect(r.played.at(-1)!.pcm).toBe(prompts.goodbye.samples);
    expect(r.hangups).toEqual([]);
    r.reach('goodbye-done');
    expect(r.hangups).toHaveLength(1);
  }, 30_000);

  it('has a prompt for every text', async () => {
    const prompts = await loadDemoPrompts(cacheDir);
    expect(Object.keys(prompts).sort()).toEqual(Object.keys(DEMO_TEXTS).sort());
  }, 30_000);
});
