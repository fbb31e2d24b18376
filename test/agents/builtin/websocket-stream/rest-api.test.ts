/**
 * The carrier REST hang-up emulation answers as the carriers do: Twilio's Calls resource (200, or
 * 404 with Twilio's error body and code 20404, which Pipecat reads as "already terminated") and
 * Plivo's DELETE Call (204, or 404).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { registerRestHangup } from '../../../../src/agents/builtin/websocket-stream/rest-api.js';
import { freePort } from '../../../helpers/ports.js';

const cleanups: (() => void)[] = [];
afterEach(() => { for (const c of cleanups.splice(0)) c(); });

const twilioUrl = (port: number, callSid: string) => `http://127.0.0.1:${port}/2010-04-01/Accounts/AC0123/Calls/${callSid}.json`;
const completed = () => ({ method: 'POST', body: new URLSearchParams({ Status: 'completed' }), headers: { authorization: `Basic ${Buffer.from('AC0123:token').toString('base64')}` } });

describe('REST hang-up endpoint', () => {
  it('POST Status=completed for a live call answers 200 with the call and hangs it up once', async () => {
    const port = await freePort();
    const hangups: string[] = [];
    cleanups.push(await registerRestHangup('127.0.0.1', port, 'CA1', () => hangups.push('CA1')));
    const res = await fetch(twilioUrl(port, 'CA1'), completed());
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sid: 'CA1', status: 'completed' });
    expect(hangups).toEqual(['CA1']);
  });

  it('an unknown call gets 404 with Twilio\'s error body, code 20404', async () => {
    const port = await freePort();
    cleanups.push(await registerRestHangup('127.0.0.1', port, 'CA1', () => undefined));
    const res = await fetch(twilioUrl(port, 'CA2'), completed());
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 20404, status: 404, more_info: 'https://www.twilio.com/docs/errors/20404' });
  });

  it('a call that has ended answers 404 code 20404 while the endpoint lingers, even with no call left', async () => {
    const port = await freePort();
    const hangups: string[] = [];
    const remove = await registerRestHangup('127.0.0.1', port, 'CA1', () => hangups.push('CA1'));
    remove();
    const res = await fetch(twilioUrl(port, 'CA1'), completed());
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 20404 });
    expect(hangups).toEqual([]);
  });

  it('a Status other than completed/canceled is refused with 400 and does not hang up', async () => {
    const port = await freePort();
    const hangups: string[] = [];
    cleanups.push(await registerRestHangup('127.0.0.1', port, 'CA1', () => hangups.push('CA1')));
    const res = await fetch(twilioUrl(port, 'CA1'), { method: 'POST', body: new URLSearchParams({ Url: 'http://x/twiml' }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ status: 400 });
    expect(hangups).toEqual([]);
  });

  it('Plivo DELETE /v1/Account/{id}/Call/{uuid}/ answers 204 and hangs up; an unknown call gets 404', async () => {
    const port = await freePort();
    const hangups: string[] = [];
    cleanups.push(await registerRestHangup('127.0.0.1', port, 'c0ffee', () => hangups.push('c0ffee')));
    const unknown = await fetch(`http://127.0.0.1:${port}/v1/Account/MA1/Call/other/`, { method: 'DELETE' });
    expect(unknown.status).toBe(404);
    const res = await fetch(`http://127.0.0.1:${port}/v1/Account/MA1/Call/c0ffee/`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(hangups).toEqual(['c0ffee']);
  });
});
