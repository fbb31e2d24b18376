import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import Srf from 'drachtio-srf';
import { ControlServer, type SipVerbMessage } from '../../../src/drachtio/control/control-server.js';
import { encodeFrame, FrameDecoder } from '../../../src/drachtio/wire/framing.js';
import { createLogger } from '../../../src/log.js';
import { freePort } from '../../helpers/ports.js';

const logger = createLogger({ level: 'silent' });

async function startControl(onSip: (m: SipVerbMessage) => void = () => {}): Promise<{ control: ControlServer; port: number }> {
  const port = await freePort();
  const control = new ControlServer({
    host: '127.0.0.1', port, secret: 'cymru', logger,
    hostports: () => ['udp/127.0.0.1:5999', 'tcp/127.0.0.1:5999'],
    onSipMessage: (_c, m) => onSip(m), onAppGone: () => {},
  });
  await control.listen();
  return { control, port };
}

function srfConnect(port: number, secret: string): Promise<{ srf: Srf; err: Error | null; hostport?: string }> {
  const srf = new Srf();
  return new Promise((resolve) => {
    srf.on('connect', (err: Error | null, hostport: string) => resolve({ srf, err, hostport }));
    srf.on('error', () => { /* reconnect noise after a refused login */ });
    srf.connect({ host: '127.0.0.1', port, secret, reconnect: { maxAttempts: 1 } } as any);
  });
}

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const c of cleanup.reverse()) await c(); cleanup = []; });

describe('control listener with the real drachtio-srf', () => {
  it('authenticates drachtio-srf with the shared secret and hands it the SIP hostports', async () => {
    const { control, port } = await startControl();
    cleanup.push(() => control.close());
    const { srf, err, hostport } = await srfConnect(port, 'cymru');
    cleanup.push(() => srf.disconnect());
    expect(err).toBeFalsy();
    expect(hostport).toBe('udp/127.0.0.1:5999,tcp/127.0.0.1:5999');
    expect(control.apps.size).toBe(1);
  });

  it('refuses a wrong secret: srf gets a connect error and the app is not registered', async () => {
    const { control, port } = await startControl();
    cleanup.push(() => control.close());
    const { srf, err } = await srfConnect(port, 'wrong');
    cleanup.push(() => { try { srf.disconnect(); } catch { /* already closed */ } });
    expect(err).toBeInstanceOf(Error);
    expect(control.apps.size).toBe(0);
  });

  it('registers routes srf asks for and routes methods round robin among apps', async () => {
    const { control, port } = await startControl();
    cleanup.push(() => control.close());
    const a = await srfConnect(port, 'cymru');
    const b = await srfConnect(port, 'cymru');
    cleanup.push(() => a.srf.disconnect(), () => b.srf.disconnect());
    a.srf.invite(() => {});
    b.srf.invite(() => {});
    (a.srf as any).options(() => {});
    await waitFor(() => control.registry.all('invite').length === 2 && control.registry.all('options').length === 1);
    const picks = new Set([control.registry.select('INVITE')!.id, control.registry.select('INVITE')!.id]);
    expect(picks.size).toBe(2);
    expect(control.registry.select('BYE')).toBeUndefined();
  });

  it('answers ping with OK|pong and refuses messages before authentication', async () => {
    const { control, port } = await startControl();
    cleanup.push(() => control.close());
    const sock = connect(port, '127.0.0.1');
    cleanup.push(() => { sock.destroy(); });
    const dec = new FrameDecoder();
    const got: string[] = [];
    sock.on('data', (d: Buffer) => got.push(...dec.push(d)));
    await new Promise((r) => sock.once('connect', r));
    sock.write(encodeFrame('a1|authenticate|cymru|'));
    sock.write(encodeFrame('p1|ping'));
    await waitFor(() => got.length >= 2);
    expect(got[1]!.split('|').slice(1)).toEqual(['response', 'p1', 'OK', 'pong']);

    const raw = connect(port, '127.0.0.1');
    const dec2 = new FrameDecoder();
    const got2: string[] = [];
    let closed = false;
    raw.on('data', (d: Buffer) => got2.push(...dec2.push(d)));
    raw.on('close', () => { closed = true; });
    raw.write(encodeFrame('p2|ping'));
    await waitFor(() => closed);
    expect(got2[0]!.split('|').slice(1, 4)).toEqual(['response', 'p2', 'NO']);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
