import { describe, expect, it } from 'vitest';
import { prettyLine } from '../src/log-pretty.js';

describe('readable log lines (a terminal)', () => {
  it('shows time, level and message first, then the fields, without pid/hostname/name', () => {
    const line = JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 2, 12, 3, 4, 512), pid: 1, hostname: 'h', name: 'trunkgate', callId: 'abc@h', event: 'call_end', msg: 'call ended', durationMs: 10412, reason: 'caller hung up' });
    expect(prettyLine(line, false)).toBe('12:03:04.512 INFO  call ended callId=abc@h event=call_end durationMs=10412 reason="caller hung up"');
  });

  it('prints an error\'s stack under the line and quotes objects as JSON', () => {
    const line = JSON.stringify({ level: 50, time: 0, msg: 'boom', err: { message: 'x', stack: 'Error: x\n    at f' }, issues: [{ path: 'a' }] });
    expect(prettyLine(line, false)).toBe('00:00:00.000 ERROR boom issues=[{"path":"a"}]\n    Error: x\n        at f');
  });

  it('passes anything that is not a JSON object through unchanged', () => {
    expect(prettyLine('not json', false)).toBe('not json');
    expect(prettyLine('[1,2]', false)).toBe('[1,2]');
  });

  it('colours the level on a terminal', () => {
    expect(prettyLine(JSON.stringify({ level: 40, time: 0, msg: 'w' }), true)).toContain('\x1b[33mWARN ');
  });
});
