/**
 * `demo`: the agent `npm start` runs, fully offline. It speaks a greeting and a menu (espeak-ng,
 * synthesised once at startup and cached), then echoes the caller. DTMF 1 = warm transfer to its
 * `transfer_target` (the human hears a whisper first; the caller hears ringback), DTMF 3 = blind
 * transfer; when the human is not reached it says so and goes on echoing. DTMF 2 says goodbye and
 * hangs up once the goodbye has been played (a mark).
 */
import type { Agent, AgentFactory, TransferOutcome } from '../types.js';
import { synthesize } from './prompts.js';
import type { PcmAudio } from './wav.js';

export const DEMO_TEXTS = {
  greeting: 'Hello, and welcome to trunk gate.',
  menu: 'Press 1 to talk to a person, or 3 to be put straight through. Press 2 to hang up. Anything you say will be echoed back to you.',
  transferring: 'Transferring you now.',
  unavailable: 'Sorry, nobody could take your call. I will keep echoing.',
  goodbye: 'Goodbye.',
} as const;

export type DemoPrompts = Record<keyof typeof DEMO_TEXTS, PcmAudio>;

const RATE = 16000;
let cached: Promise<DemoPrompts> | undefined;

/** Synthesises (or loads from cache) every demo prompt once per process. */
export function loadDemoPrompts(cacheDir?: string): Promise<DemoPrompts> {
  cached ??= (async () => {
    const entries = await Promise.all(Object.entries(DEMO_TEXTS).map(async ([k, text]) =>
      [k, await synthesize(text, { sampleRate: RATE, ...(cacheDir ? { cacheDir } : {}) })] as const));
    return Object.fromEntries(entries) as DemoPrompts;
  })();
  cached.catch(() => { cached = undefined; });
  return cached;
}

export const createDemoAgent: AgentFactory = async (settings, context) => {
  const prompts = await loadDemoPrompts(typeof settings.cache_dir === 'string' ? settings.cache_dir : undefined);
  const target = typeof settings.transfer_target === 'string' ? settings.transfer_target : Object.keys(context.transferTargets)[0] ?? 'human';
  let echoing = false;
  let ending = false;
  let transferring = false;
  const agent: Agent = {
    start(call, io) {
      io.audioRate = RATE;
      const say = (p: PcmAudio): void => io.play(p.samples, p.sampleRate);
      io.log.info({ agent: 'demo', from: call.from, to: call.to }, 'demo agent: greeting the caller');
      say(prompts.greeting);
      say(prompts.menu);
      io.mark('menu-done');
      io.onMark((name, cleared) => {
        if (name === 'menu-done' && !cleared) {
          echoing = true;
          io.log.info({ agent: 'demo' }, 'demo agent: menu played, echoing the caller');
        }
        if (name === 'goodbye-done') void io.hangup('demo agent: caller chose 2');
      });
      io.onAudio((frame) => {
        if (echoing && !ending) io.play(frame.slice(), RATE);
      });
      io.onDtmf((digit) => {
        io.log.info({ agent: 'demo', digit }, 'demo agent: DTMF');
        if (ending) return;
        if ((digit === '1' || digit === '3') && !transferring) {
          transferring = true;
          echoing = false;
          io.clear();
          say(prompts.transferring);
          const mode = digit === '1' ? 'warm' : 'blind';
          // The transfer starts once "transferring you now" has been played (afterPlayout).
          io.transfer(target, mode === 'warm' ? { mode, whisper: `A caller from ${call.from} was put through by the trunk gate demo.` } : { mode })
            .then((outcome: TransferOutcome) => {
              io.log.info({ agent: 'demo', target, mode, result: outcome.result }, `demo agent: transfer ${outcome.result}`);
              if (outcome.result === 'transferred' || outcome.result === 'caller_hung_up') return;
              transferring = false;
              say(prompts.unavailable);
              echoing = true;
            }, (err: unknown) => {
              io.log.error({ agent: 'demo', err }, 'demo agent: transfer could not start');
              transferring = false;
              say(prompts.unavailable);
              echoing = true;
            });
        } else if (digit === '2') {
          ending = true;
          io.clear();
          say(prompts.goodbye);
          io.mark('goodbye-done');
        }
      });
    },
  };
  return agent;
};
