/**
 * Human-readable log lines for a terminal: `12:03:04.512 INFO  call_end  callId=… durationMs=…`.
 * A pino destination stream (pino hands it one JSON line per write); the JSON stays the format
 * for files, pipes and log collectors. Set TRUNKGATE_LOG_FORMAT=json to keep JSON on a terminal.
 */
import { Writable } from 'node:stream';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const COLOURS: Record<number, string> = { 10: '\x1b[90m', 20: '\x1b[36m', 30: '\x1b[32m', 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[35m' };
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
/** Fields every line has, or that the line's head already shows. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'v']);

function value(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  return JSON.stringify(v) ?? String(v);
}

/** One JSON log line as text; anything that is not a JSON object passes through unchanged. */
export function prettyLine(line: string, colour: boolean): string {
  let rec: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return line;
    rec = parsed as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = typeof rec.level === 'number' ? rec.level : 30;
  const time = typeof rec.time === 'number' ? new Date(rec.time).toISOString().slice(11, 23) : '';
  const err = rec.err as { message?: string; stack?: string } | undefined;
  const fields = Object.entries(rec).filter(([k]) => !HIDDEN.has(k) && k !== 'err').map(([k, v]) => `${k}=${value(v)}`);
  const head = colour ? `${DIM}${time}${RESET} ${COLOURS[level] ?? ''}${LEVELS[level] ?? level}${RESET}` : `${time} ${LEVELS[level] ?? level}`;
  const tail = fields.length ? (colour ? ` ${DIM}${fields.join(' ')}${RESET}` : ` ${fields.join(' ')}`) : '';
  const stack = err?.stack ? `\n    ${err.stack.split('\n').join('\n    ')}` : err?.message ? ` err=${value(err.message)}` : '';
  return `${head} ${String(rec.msg ?? '')}${tail}${stack}`;
}

/** A stream for pino that writes `prettyLine`s to `out`. */
export function prettyStream(out: NodeJS.WritableStream & { isTTY?: boolean }, colour = Boolean(out.isTTY)): Writable {
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      const text = chunk.toString();
      for (const line of text.split('\n')) if (line) out.write(`${prettyLine(line, colour)}\n`);
      cb();
    },
  });
}
