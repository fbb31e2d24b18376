import { createSocket, type Socket } from 'node:dgram';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'sdp-transform';
import { RtpengineAnchor, RtpengineError } from '../../../src/media/anchor/rtpengine.js';
import { decodeUlaw, encodeUlaw } from '../../../src/media/codecs/g711.js';
import { detectTone } from '../../../src/media/dsp/analysis.js';
import { negotiateAnswer } from '../../../src/media/sdp/negotiate.js';
import { writeRtpPacket } from '../../../src/media/rtp/header.js';
import { MediaEngine } from '../../../src/media/session/engine.js';
import type { MediaSession } from '../../../src/media/session/types.js';
import { SRTP_SUITES, SrtpContext, newMasterKey, splitMasterKey } from '../../../src/media/srtp/index.js';
import { freePort, freePortRange } from '../../helpers/ports.js';
import { startRtpengine, type RtpengineDaemon } from '../../helpers/rtpengine.js';
import { LO, until } from '../session/helpers.js';

let daemon: RtpengineDaemon;
let anchor: RtpengineAnchor;
beforeAll(async () => {
  daemon = await startRtpengine();
  anchor = await RtpengineAnchor.connect({ ng: [daemon.ng] });
});
afterAll(async () => {
  anchor?.close();
  await daemon?.stop();
});
const open: (MediaSession | Socket)[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    if ('close' in o && 'localPort' in o) await o.close();
    else (o as Socket).close();
  }
});

function tone(hz: number, n: number, offset = 0): Int16Array {
  return Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * hz * (i + offset)) / 8000)));
}

async function caller(): Promise<{ socket: Socket; port: number; heard: Int16Array[] }> {
  const port = await freePort();
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(port, LO, () => r()));
  return { socket, port, heard: [] };
}

function callerOffer(port: number, crypto?: string): string {
  return ['v=0', 'o=carrier 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${port} ${crypto ? 'RTP/SAVP' : 'RTP/AVP'} 0`, 'a=rtpmap:0 PCMU/8000',
    ...(crypto ? [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${crypto}`] : []), 'a=sendrecv', ''].join('\r\n');
}

describe('RtpengineAnchor with the real rtpengine daemon', () => {
  it('connect() rejects with RTPENGINE_UNAVAILABLE naming the address when the ng port does not answer', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const err = await RtpengineAnchor.connect({ ng: [dead], timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RtpengineError);
    expect((err as RtpengineError).code).toBe('RTPENGINE_UNAVAILABLE');
    expect((err as RtpengineError).addresses).toEqual([dead]);
  });

  for (const secure of [false, true]) {
    it(`anchors a ${secure ? 'SRTP (SDES) caller, rtpengine doing SRTP ↔ RTP,' : 'plain RTP caller'} to a media session: audio both ways, counters in delete`, async () => {
      const c = await caller();
      open.push(c.socket);
      const callerKey = newMasterKey('AES_CM_128_HMAC_SHA1_80');
      const callId = `anchor-${secure}-${Date.now()}`;
      const inner = await anchor.offer(callId, callerOffer(c.port, secure ? callerKey : undefined));
      const innerMedia = parse(inner).media[0]!;
      expect(innerMedia.protocol).toBe('RTP/AVP');
      expect(innerMedia.crypto).toBeUndefined();
      const engine = new MediaEngine({ localAddress: LO, ports: await freePortRange(2), codecs: ['PCMU'] });
      const { answer, session } = await engine.answer(inner);
      open.push(session);
      const outer = await anchor.answer(callId, answer.sdp);
      const outerMedia = parse(outer).media[0]!;
      expect(outerMedia.port).not.toBe(session.localPort);
      expect(outerMedia.port).toBeGreaterThanOrEqual(daemon.ports.min);
      let tx: SrtpContext | undefined;
      let rx: SrtpContext | undefined;
      if (secure) {
        expect(outerMedia.protocol).toBe('RTP/SAVP');
        const theirs = outerMedia.crypto!.find((x) => x.suite === 'AES_CM_128_HMAC_SHA1_80')!;
        const k = splitMasterKey('AES_CM_128_HMAC_SHA1_80', theirs.config.replace(/^inline:/, '').split('|')[0]!);
        rx = new SrtpContext(SRTP_SUITES.AES_CM_128_HMAC_SHA1_80, k.masterKey, k.masterSalt);
        const ours = splitMasterKey('AES_CM_128_HMAC_SHA1_80', callerKey);
        tx = new SrtpContext(SRTP_SUITES.AES_CM_128_HMAC_SHA1_80, ours.masterKey, ours.masterSalt);
      }
      // Our session hears the caller's 1000 Hz; the caller hears our 700 Hz.
      const frames: Int16Array[] = [];
      session.on('audio', (f) => { if (frames.length > 0 || f.samples.some((x) => Math.abs(x) > 2000)) frames.push(Int16Array.from(f.samples)); });
      c.socket.on('message', (m) => {
        const plain = rx ? rx.unprotectRtp(Buffer.from(m)) : m;
        if (typeof plain !== 'string' && (plain[1]! & 0x7f) === 0) c.heard.push(decodeUlaw(plain.subarray(12)));
      });
      session.play(tone(700, 8000 * 2), 8000);
      for (let i = 0; i < 60; i++) {
        const pkt = writeRtpPacket(0, i === 0, 1000 + i, i * 160, 0xc0ffee, encodeUlaw(tone(1000, 160, i * 160)));
        const wire = tx ? tx.protectRtp(pkt)! : pkt;
        c.socket.send(wire, outerMedia.port, LO);
        await new Promise((r) => setTimeout(r, 20));
      }
      await until(() => frames.length >= 30 && c.heard.length >= 30);
      const got = new Int16Array(frames.length * 160);
      frames.forEach((f, i) => got.set(f, i * 160));
      expect(detectTone(got.subarray(800), 8000, [400, 700, 1000, 1400])).toBe(1000);
      const back = new Int16Array(c.heard.length * 160);
      c.heard.forEach((f, i) => back.set(f, i * 160));
      expect(detectTone(back.subarray(back.length - 160 * 20), 8000, [400, 700, 1000, 1400])).toBe(700);
      const stats = await anchor.delete(callId);
      expect(stats?.daemon).toBe(daemon.ng);
      expect(stats!.rtp.packets).toBeGreaterThan(60);
    }, 20_000);
  }

  /** Sends `n` frames of a `hz` tone from the far party's socket to `port` and returns what our session heard (tone found). */
  async function farSpeaks(c: { socket: Socket }, session: MediaSession, port: number, hz: number, n = 40, tx?: SrtpContext): Promise<number | undefined> {
    const frames: Int16Array[] = [];
    const onAudio = (f: { samples: Int16Array }): void => { if (frames.length > 0 || f.samples.some((x) => Math.abs(x) > 2000)) frames.push(Int16Array.from(f.samples)); };
    session.on('audio', onAudio);
    const ssrc = 0x5000 + hz;
    for (let i = 0; i < n; i++) {
      const pkt = writeRtpPacket(0, i === 0, 2000 + i, i * 160, ssrc, encodeUlaw(tone(hz, 160, i * 160)));
      c.socket.send(tx ? tx.protectRtp(pkt)! : pkt, port, LO);
      await new Promise((r) => setTimeout(r, 20));
    }
    await until(() => frames.length >= n / 2).catch(() => undefined);
    session.off('audio', onAudio);
    if (frames.length < n / 2) return undefined;
    const got = new Int16Array(frames.length * 160);
    frames.forEach((f, i) => got.set(f, i * 160));
    return detectTone(got.subarray(800), 8000, [400, 700, 1000, 1400]);
  }

  it('our offer outward (delayed offer): the far party is offered RTP/SAVP with only the allowed suite, our side stays plain; its answer reaches our session; audio both ways', async () => {
    const c = await caller();
    open.push(c.socket);
    const callId = `outward-${Date.now()}`;
    const engine = new MediaEngine({ localAddress: LO, ports: await freePortRange(2), codecs: ['PCMU'] });
    const pending = engine.offer({ codecs: ['PCMU'] });
    const outer = parse(await anchor.offerOutward(callId, pending.offer.sdp, { srtp: 'mandatory', suites: ['AES_CM_128_HMAC_SHA1_80'] }));
    const m = outer.media[0]!;
    expect(m.protocol).toBe('RTP/SAVP');
    expect(m.crypto!.map((x) => x.suite)).toEqual(['AES_CM_128_HMAC_SHA1_80']);
    expect(m.port).toBeGreaterThanOrEqual(daemon.ports.min);
    // The far party answers with its own key; rtpengine's key (in its offer) protects what it sends us.
    const farKey = newMasterKey('AES_CM_128_HMAC_SHA1_80');
    const inner = await anchor.answerInward(callId, callerOffer(c.port, farKey));
    expect(parse(inner).media[0]!.protocol).toBe('RTP/AVP');
    expect(anchor.anchored(callId)).toBe(true);
    const session = await pending.accept(inner);
    open.push(session);
    const rk = splitMasterKey('AES_CM_128_HMAC_SHA1_80', m.crypto![0]!.config.replace(/^inline:/, '').split('|')[0]!);
    const rx = new SrtpContext(SRTP_SUITES.AES_CM_128_HMAC_SHA1_80, rk.masterKey, rk.masterSalt);
    const fk = splitMasterKey('AES_CM_128_HMAC_SHA1_80', farKey);
    const tx = new SrtpContext(SRTP_SUITES.AES_CM_128_HMAC_SHA1_80, fk.masterKey, fk.masterSalt);
    c.socket.on('message', (msg) => {
      const plain = rx.unprotectRtp(Buffer.from(msg));
      if (typeof plain !== 'string' && (plain[1]! & 0x7f) === 0) c.heard.push(decodeUlaw(plain.subarray(12)));
    });
    session.play(tone(700, 8000 * 2), 8000);
    expect(await farSpeaks(c, session, m.port!, 1000, 40, tx)).toBe(1000);
    await until(() => c.heard.length >= 30);
    const back = new Int16Array(c.heard.length * 160);
    c.heard.forEach((f, i) => back.set(f, i * 160));
    expect(detectTone(back.subarray(back.length - 160 * 20), 8000, [400, 700, 1000, 1400])).toBe(700);
    await anchor.delete(callId);
  }, 20_000);

  for (const first of ['far', 'ours'] as const) {
    it(`a re-offer from the far party moving to a new port (${first === 'far' ? 'it' : 'we'} offered first): our session follows rtpengine's inner SDP and the far party is heard from the new port`, async () => {
      const a = await caller();
      const b = await caller();
      open.push(a.socket, b.socket);
      const callId = `reoffer-${first}-${Date.now()}`;
      const engine = new MediaEngine({ localAddress: LO, ports: await freePortRange(2), codecs: ['PCMU'] });
      let session: MediaSession;
      let outerPort: number;
      if (first === 'far') {
        const r = await engine.answer(await anchor.offer(callId, callerOffer(a.port)));
        session = r.session;
        outerPort = parse(await anchor.answer(callId, r.answer.sdp)).media[0]!.port;
      } else {
        const pending = engine.offer({ codecs: ['PCMU'] });
        outerPort = parse(await anchor.offerOutward(callId, pending.offer.sdp, { srtp: 'off' })).media[0]!.port;
        session = await pending.accept(await anchor.answerInward(callId, callerOffer(a.port)));
      }
      open.push(session);
      expect(await farSpeaks(a, session, outerPort, 1000)).toBe(1000);
      // The far party moves to socket b: a re-INVITE with a new port, the session takes rtpengine's new inner SDP.
      const inner = await anchor.reoffer(callId, callerOffer(b.port).replace('o=carrier 1 1', 'o=carrier 1 2'));
      const next = negotiateAnswer(inner, { codecs: ['PCMU'], localAddress: LO, localPort: session.localPort });
      session.updateRemote(next);
      const outer2 = parse(await anchor.reanswer(callId, next.sdp)).media[0]!.port;
      b.socket.on('message', (msg) => { if ((msg[1]! & 0x7f) === 0) b.heard.push(decodeUlaw(msg.subarray(12))); });
      session.play(tone(700, 8000 * 2), 8000);
      expect(await farSpeaks(b, session, outer2, 1400)).toBe(1400);
      await until(() => b.heard.length >= 20);
      const stats = await anchor.delete(callId);
      expect(stats!.rtp.packets).toBeGreaterThan(60);
    }, 20_000);
  }

  it('repoint to an SRTP party (reofferInward RTP/SAVP in one suite): the far party keeps rtpengine\'s port, and the new party, reached in SRTP, hears it', async () => {
    const far = await caller();
    const human = await caller();
    open.push(far.socket, human.socket);
    const callId = `srtp-repoint-${Date.now()}`;
    const engine = new MediaEngine({ localAddress: LO, ports: await freePortRange(2), codecs: ['PCMU'] });
    const r = await engine.answer(await anchor.offer(callId, callerOffer(far.port)));
    open.push(r.session);
    const outerPort = parse(await anchor.answer(callId, r.answer.sdp)).media[0]!.port;
    // Our side goes to a human in SRTP: rtpengine offers its inner side as RTP/SAVP, one suite.
    const inner = parse(await anchor.reofferInward(callId, { srtp: 'mandatory', suites: ['AES_CM_128_HMAC_SHA1_32'] })).media[0]!;
    expect(inner.protocol).toBe('RTP/SAVP');
    expect(inner.crypto!.map((x) => x.suite)).toEqual(['AES_CM_128_HMAC_SHA1_32']);
    const humanKey = newMasterKey('AES_CM_128_HMAC_SHA1_32');
    const farSdp = parse(await anchor.repoint(callId, callerOffer(human.port, humanKey).replace('AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32')));
    // port-latching: the far party's side of rtpengine did not move (it is sent no new SDP).
    expect(farSdp.media[0]!.port).toBe(outerPort);
    const rk = splitMasterKey('AES_CM_128_HMAC_SHA1_32', inner.crypto![0]!.config.replace(/^inline:/, '').split('|')[0]!);
    const rx = new SrtpContext(SRTP_SUITES.AES_CM_128_HMAC_SHA1_32, rk.masterKey, rk.masterSalt);
    human.socket.on('message', (msg) => {
      const plain = rx.unprotectRtp(Buffer.from(msg));
      if (typeof plain !== 'string' && (plain[1]! & 0x7f) === 0) human.heard.push(decodeUlaw(plain.subarray(12)));
    });
    // The far party speaks 1000 Hz (plain) to rtpengine's old port; the human hears it, decrypted with rtpengine's key.
    for (let i = 0; i < 50; i++) {
      far.socket.send(writeRtpPacket(0, i === 0, 3000 + i, i * 160, 0xfa4, encodeUlaw(tone(1000, 160, i * 160))), outerPort, LO);
      await new Promise((res) => setTimeout(res, 20));
    }
    await until(() => human.heard.length >= 30);
    const got = new Int16Array(human.heard.length * 160);
    human.heard.forEach((f, i) => got.set(f, i * 160));
    expect(detectTone(got.subarray(got.length - 160 * 20), 8000, [400, 700, 1000, 1400])).toBe(1000);
    await anchor.delete(callId);
  }, 20_000);

  it('repoint after we offered first (delayed offer): a re-offer from our side answered with the far party\'s last SDP; the far party keeps its port and the new party hears it', async () => {
    const far = await caller();
    const human = await caller();
    open.push(far.socket, human.socket);
    const callId = `repoint-ours-${Date.now()}`;
    const engine = new MediaEngine({ localAddress: LO, ports: await freePortRange(2), codecs: ['PCMU'] });
    const pending = engine.offer({ codecs: ['PCMU'] });
    const outerPort = parse(await anchor.offerOutward(callId, pending.offer.sdp, { srtp: 'off' })).media[0]!.port;
    const session = await pending.accept(await anchor.answerInward(callId, callerOffer(far.port)));
    open.push(session);
    const innerBefore = parse(anchor.innerOffer(callId)!).media[0]!.port;
    const farSdp = parse(await anchor.repoint(callId, callerOffer(human.port))).media[0]!;
    expect(farSdp.port).toBe(outerPort);
    // The human was offered rtpengine's inner side before the repoint: it must not move either.
    expect(parse(anchor.innerOffer(callId)!).media[0]!.port).toBe(innerBefore);
    // As the gateway does once the human is re-pointed: our session stops, the human talks to rtpengine's inner side.
    await session.close();
    const innerPort = parse(anchor.innerOffer(callId)!).media[0]!.port;
    human.socket.on('message', (msg) => { if ((msg[1]! & 0x7f) === 0) human.heard.push(decodeUlaw(msg.subarray(12))); });
    for (let i = 0; i < 50; i++) {
      human.socket.send(writeRtpPacket(0, i === 0, 5000 + i, i * 160, 0x4a, encodeUlaw(tone(700, 160, i * 160))), innerPort, LO);
      far.socket.send(writeRtpPacket(0, i === 0, 4000 + i, i * 160, 0xfa5, encodeUlaw(tone(1000, 160, i * 160))), outerPort, LO);
      await new Promise((res) => setTimeout(res, 20));
    }
    await until(() => human.heard.length >= 30);
    const got = new Int16Array(human.heard.length * 160);
    human.heard.forEach((f, i) => got.set(f, i * 160));
    expect(detectTone(got.subarray(got.length - 160 * 20), 8000, [400, 700, 1000, 1400])).toBe(1000);
    await anchor.delete(callId);
  }, 20_000);
});
