import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { RtpHeader, RtpPacket } from 'werift-rtp';
import { RtpEndpoint } from '../../../src/media/rtp/endpoint.js';
import type { SourceCheck } from '../../../src/media/rtp/latch.js';
import { dgramBinder, nativePumpBinder, type DatagramBinder } from '../../../src/media/udp/index.js';
import { freePort, freePortRange } from '../../helpers/ports.js';

const LO = '127.0.0.1';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => { while (cleanups.length) await cleanups.pop()!(); });

async function peer(): Promise<{ socket: Socket; port: number; received: Buffer[]; next: () => Promise<Buffer> }> {
  const port = await freePort();
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(port, LO, () => r()));
  const received: Buffer[] = [];
  let waiter: ((b: Buffer) => void) | undefined;
  socket.on('message', (m) => { received.push(m); waiter?.(m); waiter = undefined; });
  cleanups.push(() => new Promise<void>((r) => socket.close(() => r())));
  return { socket, port, received, next: () => new Promise<Buffer>((r) => { waiter = r; }) };
}

function rtp(seq: number, opts: { pt?: number; ssrc?: number; version?: number } = {}): Buffer {
  const b = new RtpPacket(new RtpHeader({ payloadType: opts.pt ?? 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: opts.ssrc ?? 1234 }), Buffer.alloc(160, 0xff)).serialize();
  if (opts.version !== undefined) b[0] = (b[0]! & 0x3f) | (opts.version << 6);
  return b;
}

function send(s: Socket, buf: Buffer, port: number): Promise<void> {
  return new Promise((r) => s.send(buf, port, LO, () => r()));
}

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The UDP layer the endpoints of the current `describe.each` run on. */
let binder: DatagramBinder = dgramBinder;

async function openEndpoint(remotePort: number, rtcpMux = false, o: { sourceCheck?: SourceCheck; remoteRtcpPort?: number } = {}) {
  const { min } = await freePortRange(2);
  const got: { seq: number; payloadLen: number }[] = [];
  const rtcp: Buffer[] = [];
  const ep = await RtpEndpoint.open({
    localAddress: LO, port: min, rtcpMux, ...(o.sourceCheck ? { sourceCheck: o.sourceCheck } : {}),
    remote: { address: LO, port: remotePort }, remoteRtcp: { address: LO, port: o.remoteRtcpPort ?? (rtcpMux ? remotePort : remotePort + 1) },
    payloadTypes: new Set([0, 101]),
    onRtp: (h, p) => got.push({ seq: h.sequenceNumber, payloadLen: p.length }),
    onRtcp: (b) => rtcp.push(b),
    binder,
  });
  cleanups.push(() => ep.close());
  return { ep, got, rtcp };
}

const BINDERS: [string, DatagramBinder | undefined][] = [['the native UDP pump', nativePumpBinder()], ["Node's dgram", dgramBinder]];

describe.each(BINDERS)('RtpEndpoint on %s', (_name, layer) => {
  beforeAll(() => {
    if (!layer) throw new Error('the native UDP pump is not built (npm run build:native)');
    binder = layer;
  });

  describe('symmetric RTP (RFC 4961) on 127.0.0.1', () => {
    it('sends to the SDP address until it latches onto the real source of 3 consecutive valid packets', async () => {
      const sdpPeer = await peer();
      const natPeer = await peer();
      const { ep, got } = await openEndpoint(sdpPeer.port);

      const first = sdpPeer.next();
      ep.sendRtp(rtp(1));
      await first;
      expect(ep.latchedSource).toBeUndefined();

      for (let i = 0; i < 3; i++) await send(natPeer.socket, rtp(100 + i), ep.port);
      await until(() => got.length === 3);
      expect(ep.latchedSource).toEqual({ address: LO, port: natPeer.port });
      expect(got.map((g) => g.seq)).toEqual([100, 101, 102]);
      expect(got[0]!.payloadLen).toBe(160);

      const latchedArrival = natPeer.next();
      ep.sendRtp(rtp(2));
      await latchedArrival;
      expect(sdpPeer.received).toHaveLength(1);
      expect(ep.counters.packetsOut).toBe(2);
      expect(ep.counters.packetsIn).toBe(3);
    });

    it('rejects RTP injected from another source after latching, and counts it', async () => {
      const legit = await peer();
      const attacker = await peer();
      const { ep, got } = await openEndpoint(legit.port);
      for (let i = 0; i < 3; i++) await send(legit.socket, rtp(i), ep.port);
      await until(() => got.length === 3);
      for (let i = 0; i < 20; i++) await send(attacker.socket, rtp(500 + i, { ssrc: 666 }), ep.port);
      await send(legit.socket, rtp(3), ep.port);
      await until(() => got.length === 4);
      await until(() => ep.counters.rejectedSource === 20);
      expect(got.map((g) => g.seq)).toEqual([0, 1, 2, 3]);
      expect(ep.latchedSource?.port).toBe(legit.port);
    });

    it('does not latch onto packets with the wrong version or an unnegotiated payload type', async () => {
      const legit = await peer();
      const other = await peer();
      const { ep, got } = await openEndpoint(legit.port);
      for (let i = 0; i < 5; i++) await send(other.socket, rtp(i, { pt: 8 }), ep.port);
      for (let i = 0; i < 5; i++) await send(other.socket, rtp(i, { version: 1 }), ep.port);
      await send(other.socket, Buffer.from('not rtp at all'), ep.port);
      await until(() => ep.counters.malformed === 11);
      expect(got).toHaveLength(0);
      expect(ep.latchedSource).toBeUndefined();
    });

    it('a source switching before the latch completes restarts the count', async () => {
      const a = await peer();
      const b = await peer();
      const { ep, got } = await openEndpoint(a.port);
      await send(a.socket, rtp(1), ep.port);
      await send(a.socket, rtp(2), ep.port);
      await send(b.socket, rtp(3, { ssrc: 9 }), ep.port);
      await until(() => got.length === 3);
      expect(ep.latchedSource).toBeUndefined();
      await send(b.socket, rtp(4, { ssrc: 9 }), ep.port);
      await send(b.socket, rtp(5, { ssrc: 9 }), ep.port);
      await until(() => got.length === 5);
      expect(ep.latchedSource?.port).toBe(b.port);
    });

    it('updateRemote (re-INVITE) releases the latch so the new address can latch', async () => {
      const oldPeer = await peer();
      const newPeer = await peer();
      const { ep, got } = await openEndpoint(oldPeer.port);
      for (let i = 0; i < 3; i++) await send(oldPeer.socket, rtp(i), ep.port);
      await until(() => got.length === 3);
      await send(newPeer.socket, rtp(10, { ssrc: 77 }), ep.port);
      await until(() => ep.counters.rejectedSource === 1);

      ep.updateRemote({ address: LO, port: newPeer.port }, { address: LO, port: newPeer.port + 1 });
      const arrival = newPeer.next();
      ep.sendRtp(rtp(50));
      await arrival;
      for (let i = 0; i < 3; i++) await send(newPeer.socket, rtp(11 + i, { ssrc: 77 }), ep.port);
      await until(() => got.length === 6);
      expect(ep.latchedSource?.port).toBe(newPeer.port);
    });

    it('with rtcp-mux, RTCP on the RTP port is demultiplexed (RFC 5761 §4)', async () => {
      const p = await peer();
      const { ep, got, rtcp } = await openEndpoint(p.port, true);
      const rr = Buffer.from([0x80, 201, 0, 1, 0, 0, 0, 5]);
      await send(p.socket, rr, ep.port);
      await send(p.socket, rtp(1), ep.port);
      await until(() => rtcp.length === 1 && got.length === 1);
      expect(ep.counters.rtcpIn).toBe(1);
    });

    it('without rtcp-mux, RTCP arrives on port + 1', async () => {
      const p = await peer();
      const { ep, rtcp } = await openEndpoint(p.port, false);
      await send(p.socket, Buffer.from([0x80, 201, 0, 1, 0, 0, 0, 5]), ep.port + 1);
      await until(() => rtcp.length === 1);
    });

    it('sourceCheck strict: RTP only from the SDP\'s address and port (no latching: another source is refused from the first packet), and RTP always goes to the SDP\'s address', async () => {
      const sdpPeer = await peer();
      const other = await peer();
      const { ep, got } = await openEndpoint(sdpPeer.port, false, { sourceCheck: 'strict' });
      for (let i = 0; i < 5; i++) await send(other.socket, rtp(i, { ssrc: 9 }), ep.port);
      await until(() => ep.counters.rejectedSource === 5);
      expect(got).toHaveLength(0);
      for (let i = 0; i < 3; i++) await send(sdpPeer.socket, rtp(10 + i), ep.port);
      await until(() => got.length === 3);
      expect(ep.latchedSource).toBeUndefined();
      const arrival = sdpPeer.next();
      ep.sendRtp(rtp(1));
      await arrival;
      expect(other.received).toHaveLength(0);
    });

    it('sourceCheck strict: RTCP only from the SDP\'s RTCP address and port', async () => {
      const p = await peer();
      const rtcpPeer = await peer();
      const { ep, rtcp } = await openEndpoint(p.port, false, { sourceCheck: 'strict', remoteRtcpPort: rtcpPeer.port });
      const rr = Buffer.from([0x80, 201, 0, 1, 0, 0, 0, 5]);
      // From the peer's host but its RTP port: refused (latching would take any port of that host).
      await send(p.socket, rr, ep.port + 1);
      await until(() => ep.counters.rejectedSource === 1);
      await send(rtcpPeer.socket, rr, ep.port + 1);
      await until(() => rtcp.length === 1);
      expect(ep.counters.rtcpIn).toBe(1);
    });

    it('close() is idempotent and frees the port', async () => {
      const p = await peer();
      const { ep } = await openEndpoint(p.port);
      await ep.close();
      await ep.close();
      const s = createSocket('udp4');
      await new Promise<void>((resolve, reject) => { s.once('error', reject); s.bind(ep.port, LO, () => resolve()); });
      await new Promise<void>((r) => s.close(() => r()));
    });
  });
});
