import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Call, CallStateError, type CallState } from '../../../src/gateway/app/call.js';
import { MediaEngine } from '../../../src/media/index.js';
import { freePortRange } from '../../helpers/ports.js';

const OFFER = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

const made: Call[] = [];
afterEach(async () => { await Promise.all(made.splice(0).map((c) => c.end('gateway', 'test over'))); });

/** A call with a real media session on a loopback port (nothing is sent to port 9: the session idles). */
async function call(closedCalls: Call[] = []): Promise<Call> {
  const engine = new MediaEngine({ localAddress: '127.0.0.1', ports: await freePortRange(2), codecs: ['PCMU'] });
  const { answer, session } = await engine.answer(OFFER);
  const c = new Call({
    info: { from: '1', fromUri: 'sip:1@x', to: '2', dialled: '2', toUri: 'sip:2@x', trunk: 't', callId: 'c1', codec: { name: 'PCMU', clockRate: 8000 }, customParameters: {} },
    log: pino({ level: 'silent' }),
    caller: { dialog: undefined, session, media: answer },
    target: 'echo',
  }, (closed) => closedCalls.push(closed));
  made.push(c);
  return c;
}

describe('a call\'s state', () => {
  it('follows set-up → early → answered → transferring → bridged, and back to answered when the human is not reached', async () => {
    const c = await call();
    const seen: CallState[] = [];
    c.onState((s) => seen.push(s));
    c.to('early');
    c.to('answered');
    c.to('transferring');
    c.to('answered');
    c.to('transferring');
    c.to('bridged');
    expect(seen).toEqual(['early', 'answered', 'transferring', 'answered', 'transferring', 'bridged']);
  });

  it('refuses transitions the diagram does not have (e.g. a transfer before the answer, leaving a bridge for the agent)', async () => {
    const c = await call();
    expect(() => c.to('transferring')).toThrow(expect.objectContaining({ code: 'CALL_STATE', from: 'setting_up', to: 'transferring' }));
    c.to('answered');
    c.to('bridged');
    expect(() => c.to('answered')).toThrow(CallStateError);
  });

  it('ends once from any state: ending then ended, the close callback once, and later end() calls await the first', async () => {
    const closed: Call[] = [];
    const c = await call(closed);
    c.to('early');
    const seen: CallState[] = [];
    c.onState((s) => seen.push(s));
    const first = c.end('caller', 'bye');
    const second = c.end('agent', 'also bye');
    expect(second).toBe(first);
    await first;
    expect(seen).toEqual(['ending', 'ended']);
    expect(c.state).toBe('ended');
    expect(c.endedBy).toEqual({ by: 'caller', reason: 'bye' });
    expect(closed).toEqual([c]);
    expect(c.session.closed).toBe(true);
  });

  it('runs teardown hooks before call_end, and not the ones unsubscribed', async () => {
    const c = await call();
    const ran: string[] = [];
    c.onTeardown(() => { ran.push('a'); });
    const off = c.onTeardown(() => { ran.push('b'); });
    off();
    await c.end('gateway', 'test');
    expect(ran).toEqual(['a']);
  });
});
