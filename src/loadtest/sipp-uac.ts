/**
 * Runs the SIPp load generator (the uac side) with every trace the report needs: `-trace_stat`
 * every second, `-trace_rtt` for every call, `-trace_err`, a 4 MB socket buffer. SIPp runs in a
 * work directory holding a `media` link to sipp-scenarios/media, so scenario paths like
 * `media/hello-pcmu.wav` resolve, and its rtt file (named by SIPp) lands there.
 */
import { existsSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { startChild, type Child } from './child.js';
import { LoadtestError } from './errors.js';
import { SCENARIO_DIR } from './peers.js';
import { freeLoopbackPort, freeLoopbackRange } from './ports.js';
import type { PortRange } from './udp-drops.js';
import { parseSippRttCsv, parseSippStatCsv, type RttSample, type SippStatRow } from './sipp-stats.js';

export interface SippUacOptions {
  workDir: string;
  scenarioFile: string;
  /** host:port */
  target: string;
  rate: number;
  calls: number;
  /** -l: most calls alive at once. */
  concurrency: number;
  /** Call length in ms (-d, the scenario's bare <pause/>). */
  durationMs: number;
  /** -set audio 1 (only for scenarios that declare the `audio` global). */
  audio: boolean;
  /** Number dialled (-s). */
  service: string;
  /** Kill SIPp after this long. */
  timeoutMs: number;
  /** Port ranges SIPp's own media port must stay out of (the peer's media range). */
  avoidPorts?: PortRange[];
}

export interface SippUacRun {
  child: Child;
  statFile: string;
  /** Rows of the stat file so far (read from disk on each call). */
  readStats(): SippStatRow[];
  /** Resolves when SIPp has exited. */
  done: Promise<SippUacResult>;
  args: string[];
}

export interface SippUacResult {
  exitCode: number | null;
  killedByTimeout: boolean;
  stats: SippStatRow[];
  rtt: RttSample[];
  /** First lines of SIPp's error trace. */
  errorsExcerpt: string;
  errorLines: number;
}

/** Finds `name`, `name.xml` in sipp-scenarios/, or an existing path. */
export function resolveScenario(name: string): string {
  const candidates = [name, join(SCENARIO_DIR, name), join(SCENARIO_DIR, `${name}.xml`)];
  const found = candidates.find((c) => c.endsWith('.xml') && existsSync(c));
  if (!found) throw new LoadtestError('UNKNOWN_SCENARIO', `no SIPp scenario '${name}' (looked in ${SCENARIO_DIR})`);
  return found;
}

export async function startSippUac(o: SippUacOptions): Promise<SippUacRun> {
  const mediaLink = join(o.workDir, 'media');
  if (!existsSync(mediaLink)) symlinkSync(join(SCENARIO_DIR, 'media'), mediaLink);
  const localPort = await freeLoopbackPort(o.avoidPorts ?? []);
  const media = await freeLoopbackRange(4, [...(o.avoidPorts ?? []), { min: localPort, max: localPort }]);
  const statFile = join(o.workDir, 'sipp-stat.csv');
  const errFile = join(o.workDir, 'sipp-errors.log');
  const declaresAudio = /<Global\s+variables="[^"]*\baudio\b/.test(readFileSync(o.scenarioFile, 'utf8'));
  const args = [
    o.target, '-sf', o.scenarioFile, '-s', o.service, '-i', '127.0.0.1', '-p', String(localPort), '-mp', String(media.min),
    '-r', String(o.rate), '-m', String(o.calls), '-l', String(o.concurrency), '-d', String(o.durationMs),
    ...(declaresAudio ? ['-set', 'audio', o.audio ? '1' : '0'] : []),
    '-recv_timeout', String(Math.max(30_000, o.durationMs + 30_000)),
    '-buff_size', '4194304', '-nostdin',
    '-trace_stat', '-stf', statFile, '-fd', '1',
    '-trace_rtt', '-rtt_freq', '1',
    '-trace_err', '-error_file', errFile,
  ];
  const child = startChild('sipp', args, { name: 'sipp uac', cwd: o.workDir });
  let killedByTimeout = false;
  const timer = setTimeout(() => { killedByTimeout = true; void child.stop(2000); }, o.timeoutMs);
  const readStats = (): SippStatRow[] => {
    try { return parseSippStatCsv(readFileSync(statFile, 'utf8')); } catch { return []; }
  };
  const done = child.exited.then((exitCode): SippUacResult => {
    clearTimeout(timer);
    const prefix = `${basename(o.scenarioFile, '.xml')}_${child.pid}_rtt`;
    const rttName = readdirSync(o.workDir).find((f) => f.startsWith(prefix));
    const rtt = rttName ? parseSippRttCsv(readFileSync(join(o.workDir, rttName), 'utf8')) : [];
    let errors = '';
    try { errors = readFileSync(errFile, 'utf8'); } catch { /* no errors */ }
    const lines = errors.split('\n').filter((l) => l.trim().length > 0);
    return { exitCode, killedByTimeout, stats: readStats(), rtt, errorsExcerpt: lines.slice(0, 20).join('\n'), errorLines: lines.length };
  });
  return { child, statFile, readStats, done, args };
}
