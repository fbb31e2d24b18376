import { afterEach, describe, expect, it } from 'vitest';
import Srf from 'drachtio-srf';
import { runSipp } from '../helpers/sipp.js';
import { freePort } from '../helpers/ports.js';
import { SDP, scenario, startHarness, until, type Harness } from './helpers/harness.js';

let h: Harness | undefined;
const kills: Array<() => void> = [];
afterEach(async () => { for (const k of kills.splice(0)) k(); await h?.close(); h = undefined; });

/** Starts a SIPp uac scenario; resolves once it runs (not when it ends: `.done` does). */
async function uac(file: string, target: number): Promise<{ done: ReturnType<typeof runSipp> }> {
  const done = runSipp({ args: ['-sf', scenario(file), `127.0.0.1:${target}`, '-p', String(await freePort()), '-i', '127.0.0.1', '-m', '1'], timeoutMs: 40_000 });
  kills.push(done.kill);
  return { done };
}

describe('applications coming and going', () => {
  it('tears down an app’s calls when it disconnects: BYE to both legs of a bridged call', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const bPort = await freePort();
    let bridged!: () => void;
    const up = new Promise<void>((r) => { bridged = r; });
    srf.invite(async (req: any, res: any) => {
      const { uas } = await srf.createB2BUA(req, res, `sip:service@127.0.0.1:${bPort}`, { localSdpB: req.body });
      uas.once('ack', () => bridged());
    });
    const b = runSipp({ args: ['-sn', 'uas', '-p', String(bPort), '-i', '127.0.0.1', '-m', '1'], timeoutMs: 40_000 });
    kills.push(b.kill);
    await b.listening();
    const a = await uac('uac-expect-bye.xml', h.sipPort);
    await up;
    expect(h.server.stats.dialogs).toBe(2);
    srf.disconnect();
    const [ra, rb] = await Promise.all([a.done, b]);
    expect(ra.code, ra.errors).toBe(0);
    expect(rb.code, rb.errors).toBe(0);
    await until(() => h!.server.stats.dialogs === 0 && h!.server.stats.applications === 0);
  });

  it('cancels the B leg of a ringing bridged call when the app disconnects, and answers the caller 480', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const bPort = await freePort();
    srf.invite((req: any, res: any) => {
      srf.createB2BUA(req, res, `sip:service@127.0.0.1:${bPort}`, { localSdpB: req.body }).catch(() => undefined);
    });
    const b = runSipp({ args: ['-sf', scenario('uas-ring-expect-cancel.xml'), '-p', String(bPort), '-i', '127.0.0.1', '-m', '1'], timeoutMs: 40_000 });
    kills.push(b.kill);
    await b.listening();
    const a = await uac('uac-expect-480.xml', h.sipPort);
    // The B leg is out (its INVITE pending); a CANCEL waits for its 180 if need be (§9.1).
    await until(() => h!.server.stats.pendingClientRequests === 1);
    srf.disconnect();
    const [ra, rb] = await Promise.all([a.done, b]);
    expect(rb.code, rb.errors).toBe(0);
    expect(ra.code, ra.errors).toBe(0);
    await until(() => h!.server.stats.pendingClientRequests === 0 && h!.server.stats.pendingServerRequests === 0);
  });

  it('answers an INVITE the departed app never answered with 480', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const got = new Promise<void>((resolve) => srf.invite(() => resolve()));
    const a = await uac('uac-expect-480.xml', h.sipPort);
    await got;
    srf.disconnect();
    const r = await a.done;
    expect(r.code, r.errors).toBe(0);
    await until(() => h!.server.stats.pendingServerRequests === 0);
  });

  it('delivers the 200 OK to the caller’s BYE that an app sent just before disconnecting', async () => {
    h = await startHarness();
    const srf = await h.connect();
    srf.invite(async (req: any, res: any) => {
      const dlg = await srf.createUAS(req, res, { localSdp: SDP });
      dlg.on('destroy', () => srf.disconnect()); // srf has just written the 200 to the BYE
    });
    const r = await runSipp({ args: ['-sn', 'uac', '-d', '200', `127.0.0.1:${h.sipPort}`, '-p', String(await freePort()), '-i', '127.0.0.1', '-m', '1'], timeoutMs: 40_000 });
    expect(r.code, r.errors).toBe(0);
    expect(r.stats['SuccessfulCall(C)']).toBe('1');
    await until(() => h!.server.stats.applications === 0 && h!.server.stats.dialogs === 0);
  });

  it('forgets a new request its application never answers after appResponseTimeout and sends nothing, as drachtio-server does after CLIENT_TIMEOUT', async () => {
    h = await startHarness({ appResponseTimeout: 1000 });
    const srf = await h.connect();
    let late!: (res: any) => void;
    const got = new Promise<any>((resolve) => { late = resolve; });
    srf.options((_req: any, res: any) => late(res)); // does not answer in time
    const done = runSipp({ args: ['-sf', scenario('uac-options-expect-no-answer.xml'), `127.0.0.1:${h.sipPort}`, '-p', String(await freePort()), '-i', '127.0.0.1', '-m', '1', '-nr'], timeoutMs: 40_000 });
    kills.push(done.kill);
    const res = await got;
    expect(h.server.stats.pendingServerRequests).toBe(1);
    await until(() => h!.server.stats.pendingServerRequests === 0);
    expect(h.server.stack.counters().serverTransactions).toBe(0);
    const failed = await new Promise<unknown>((resolve) => res.send(200, (err: unknown) => resolve(err)));
    expect(failed).toBeTruthy(); // srf hands back the server’s failure: the transaction is gone
    const r = await done;
    // The scenario's wait for a response timed out (its ontimeout jump, logged as an event) and the call ended well.
    expect(r.code, r.errors).toBe(0);
  });

  it('never times out an INVITE its app has rung (as drachtio-server): the caller’s CANCEL ends it with 487 and leaves nothing pending', async () => {
    h = await startHarness({ appResponseTimeout: 500 });
    const srf = await h.connect();
    const canceled = new Promise<void>((resolve) => {
      srf.invite((req: any, res: any) => { req.on('cancel', () => resolve()); res.send(180); });
    });
    const r = await (await uac('uac-ring-wait-cancel-expect-487.xml', h.sipPort)).done;
    expect(r.code, r.errors).toBe(0);
    await canceled;
    await until(() => h!.server.stats.pendingServerRequests === 0 && h!.server.stats.dialogs === 0);
  });

  it('forgets an INVITE its app never responds to after appResponseTimeout, so a later CANCEL gets 481 as from drachtio-server', async () => {
    h = await startHarness({ appResponseTimeout: 500 });
    const srf = await h.connect();
    let invites = 0;
    srf.invite(() => { invites++; }); // never responds
    const r = await (await uac('uac-wait-cancel-expect-481.xml', h.sipPort)).done;
    expect(r.code, r.errors).toBe(0);
    expect(invites).toBe(1);
    expect(h.server.stats.pendingServerRequests).toBe(0);
  });

  it('rejects a request no application routes with 503', async () => {
    h = await startHarness();
    const srf = await h.connect();
    srf.register((_req: any, res: any) => res.send(200)); // routes REGISTER only
    const r = await (await uac('uac-expect-503.xml', h.sipPort)).done;
    expect(r.code, r.errors).toBe(0);
  });

  it('passes every SIP packet through the configured source policy before parsing; dropped packets get no answer', async () => {
    const seen: number[] = [];
    let drop = false;
    h = await startHarness({ sourcePolicy: (source) => { seen.push(source.port); return drop ? 'drop' : 'accept'; } });
    const srf = await h.connect();
    srf.invite(async (req: any, res: any) => { await srf.createUAS(req, res, { localSdp: SDP }); });
    const port = await freePort();
    const ok = await runSipp({ args: ['-sn', 'uac', `127.0.0.1:${h.sipPort}`, '-p', String(port), '-i', '127.0.0.1', '-m', '1', '-d', '100'], timeoutMs: 40_000 });
    expect(ok.code, ok.errors).toBe(0);
    expect(new Set(seen)).toEqual(new Set([port]));
    drop = true;
    const dropped = await runSipp({ args: ['-sn', 'uac', `127.0.0.1:${h.sipPort}`, '-p', String(await freePort()), '-i', '127.0.0.1', '-m', '1', '-timeout', '2s', '-timeout_error'], timeoutMs: 40_000 });
    expect(dropped.code).not.toBe(0);
    expect(h.server.stats.pendingServerRequests).toBe(0);
  });

  it('refuses an application with the wrong secret', async () => {
    h = await startHarness();
    const srf = new Srf();
    const err = await new Promise<Error | null>((resolve) => {
      srf.on('connect', (e: Error | null) => resolve(e));
      srf.on('error', () => { /* the refused socket closes */ });
      srf.connect({ host: '127.0.0.1', port: h!.controlPort, secret: 'not-cymru', reconnect: { maxAttempts: 1 } } as any);
    });
    try { srf.disconnect(); } catch { /* closed by the server */ }
    expect(err).toBeInstanceOf(Error);
    expect(h.server.stats.applications).toBe(0);
  });

  it('sends cdr:attempt, cdr:start and cdr:stop to apps that ask for them', async () => {
    h = await startHarness();
    const srf = await h.connect();
    const cdrs: string[] = [];
    const stopped = new Promise<void>((resolve) => {
      srf.on('cdr:attempt', (source: string) => cdrs.push(`attempt:${source}`));
      srf.on('cdr:start', (source: string, _time: string, role: string) => cdrs.push(`start:${source}:${role}`));
      srf.on('cdr:stop', (source: string, _time: string, reason: string) => { cdrs.push(`stop:${source}:${reason}`); resolve(); });
    });
    srf.invite(async (req: any, res: any) => { await srf.createUAS(req, res, { localSdp: SDP }); });
    await until(() => h!.server.stats.applications === 1);
    // srf sends route|cdr:* without waiting for the answers. The control connection is ordered and
    // the server handles each message as it arrives, so once it has answered a message this app sends
    // afterwards, the routes are in place. That message is a request to the server's own SIP address,
    // which the server refuses at once ('can not send request to myself', as drachtio-server does).
    const refusal = await new Promise<Error | null>((resolve) => {
      srf.request(`sip:barrier@127.0.0.1:${h!.sipPort}`, { method: 'OPTIONS' }, (err: Error | null) => resolve(err));
    });
    expect(refusal?.message).toMatch(/myself/);
    const r = await runSipp({ args: ['-sn', 'uac', `127.0.0.1:${h.sipPort}`, '-p', String(await freePort()), '-i', '127.0.0.1', '-m', '1', '-d', '100'], timeoutMs: 40_000 });
    expect(r.code, r.errors).toBe(0);
    await stopped;
    expect(cdrs).toEqual(['attempt:network', 'start:application:uas', 'stop:network:normal-release']);
  });
});
