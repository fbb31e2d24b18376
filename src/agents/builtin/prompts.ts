/**
 * Spoken prompts synthesised offline with espeak-ng and resampled with sox, cached as WAV files
 * keyed by a hash of (text, voice, rate) so a restart does not synthesise again.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readWav, type PcmAudio } from './wav.js';
import { TrunkgateError } from '../../errors.js';

const run = promisify(execFile);

export class PromptSynthesisError extends TrunkgateError<'PROMPT_SYNTHESIS_FAILED'> {
  constructor(readonly text: string, reason: string) {
    super('PROMPT_SYNTHESIS_FAILED', `espeak-ng/sox failed for "${text}": ${reason}`);
  }
}

export interface SynthesizeOptions {
  /** Output sample rate (default 16000). */
  sampleRate?: number;
  voice?: string;
  /** Words per minute (espeak-ng -s, default 160). */
  speed?: number;
  cacheDir?: string;
}

export function defaultPromptCache(): string {
  return process.env.TRUNKGATE_PROMPT_CACHE ?? join(tmpdir(), 'trunkgate-prompts');
}

export async function synthesize(text: string, options: SynthesizeOptions = {}): Promise<PcmAudio> {
  const rate = options.sampleRate ?? 16000;
  const voice = options.voice ?? 'en-us';
  const speed = options.speed ?? 160;
  const dir = options.cacheDir ?? defaultPromptCache();
  mkdirSync(dir, { recursive: true });
  const key = createHash('sha256').update(`${voice}|${speed}|${rate}|${text}`).digest('hex').slice(0, 24);
  const file = join(dir, `${key}.wav`);
  try {
    return readWav(readFileSync(file));
  } catch { /* not cached yet */ }
  const raw = join(dir, `${key}.${process.pid}.espeak.wav`);
  const tmp = join(dir, `${key}.${process.pid}.tmp.wav`);
  try {
    await run('espeak-ng', ['-v', voice, '-s', String(speed), '-w', raw, text]);
    await run('sox', [raw, '-r', String(rate), '-c', '1', '-b', '16', '-e', 'signed-integer', tmp]);
    renameSync(tmp, file);
  } catch (err) {
    throw new PromptSynthesisError(text, (err as Error).message);
  } finally {
    rmSync(raw, { force: true });
    rmSync(tmp, { force: true });
  }
  return readWav(readFileSync(file));
}
