/**
 * One call's RTP/RTCP transport: a UDP socket on the leased even port (RTP, and RTCP too with
 * rtcp-mux, RFC 5761) and one on port+1 for RTCP otherwise (RFC 3550 §11). Incoming RTP is parsed
 * (rtp/header.ts), checked (version 2, negotiated payload type) and passed through the symmetric
 * RTP latch; everything is counted.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { RtpAddress } from '../sdp/types.js';
import type { PacketTap } from '../session/types.js';
import { readRtpHeader, type RtpHeaderView } from './header.js';
import { SourceLatch } from './latch.js';
import { looksLikeRtcp } from './rtcp.js';

export interface RtpEndpointCounters {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  /** From a source other than the latched one. */
  rejectedSource: number;
  /** Not RTP version 2, or a payload type we did not negotiate, or unparseable. */
  malformed: number;
  rtcpIn: number;
  rtcpOut: number;
}

export interface RtpEndpointOptions {
  localAddress: string;
  port: number;
  rtcpMux: boolean;
  remote: RtpAddress;
  remoteRtcp: RtpAddress;
  /** Payload types accepted (codec, telephone-event, CN). */
  payloadTypes: ReadonlySet<number>;
  latchPackets?: number;
  /** A valid RTP packet from the accepted source: parsed header and payload. */
  onRtp: (header: RtpHeaderView, payload: Buffer, arrivalMs: number) => void;
  onRtcp?: (packet: Buffer, arrivalMs: number) => void;
  tap?: PacketTap;
  /** SO_RCVBUF for the RTP socket (bytes). */
  recvBufferSize?: number;
}

function bind(socket: Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    socket.once('error', onError);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

export class RtpEndpoint {
  readonly port: number;
  readonly counters: RtpEndpointCounters = {
    packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0, rejectedSource: 0, malformed: 0, rtcpIn: 0, rtcpOut: 0,
  };
  readonly #opts: RtpEndpointOptions;
  readonly #rtp: Socket;
  readonly #rtcp: Socket | undefined;
  readonly #latch: SourceLatch;
  #remoteRtcp: RtpAddress;
  /** Where the peer's RTCP actually comes from (symmetric RTCP, RFC 4961). */
  #rtcpSource: RtpAddress | undefined;
  #closed = false;

  private constructor(opts: RtpEndpointOptions, rtp: Socket, rtcp: Socket | undefined) {
    this.#opts = opts;
    this.port = opts.port;
    this.#rtp = rtp;
    this.#rtcp = rtcp;
    this.#latch = new SourceLatch(opts.remote, opts.latchPackets ?? 3);
    this.#remoteRtcp = opts.remoteRtcp;
    rtp.on('message', this.#onRtpSocket);
    rtcp?.on('message', this.#onRtcpSocket);
    // A send to a closed port (ICMP unreachable) surfaces as an error event: count it, keep going.
    rtp.on('error', () => { /* datagram errors are not fatal for media */ });
    rtcp?.on('error', () => { /* idem */ });
  }

  /** Bind the sockets; rejects (EADDRINUSE …) if the port pair is taken by someone else. */
  static async open(opts: RtpEndpointOptions): Promise<RtpEndpoint> {
    const rtp = createSocket({ type: opts.localAddress.includes(':') ? 'udp6' : 'udp4' });
    await bind(rtp, opts.port, opts.localAddress);
    if (opts.recvBufferSize) rtp.setRecvBufferSize(opts.recvBufferSize);
    let rtcp: Socket | undefined;
    if (!opts.rtcpMux) {
      rtcp = createSocket({ type: opts.localAddress.includes(':') ? 'udp6' : 'udp4' });
      try {
        await bind(rtcp, opts.port + 1, opts.localAddress);
      } catch (err) {
        rtp.close();
        throw err;
      }
    }
    return new RtpEndpoint(opts, rtp, rtcp);
  }

  get latchedSource(): RtpAddress | undefined {
    return this.#latch.latched;
  }

  get destination(): RtpAddress {
    return this.#latch.destination;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The peer moved (re-INVITE): send to the new SDP address and latch afresh. */
  updateRemote(remote: RtpAddress, remoteRtcp: RtpAddress): void {
    this.#latch.reset(remote);
    this.#remoteRtcp = remoteRtcp;
    this.#rtcpSource = undefined;
  }

  sendRtp(packet: Buffer): void {
    if (this.#closed) return;
    const to = this.#latch.destination;
    this.counters.packetsOut++;
    this.counters.bytesOut += packet.length;
    this.#opts.tap?.('out', packet, to);
    this.#rtp.send(packet, to.port, to.address);
  }

  /** RTCP goes where the peer's RTCP comes from, else beside the latched RTP, else to the SDP's. */
  sendRtcp(packet: Buffer): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const latched = this.#latch.latched;
    const to = this.#rtcpSource
      ?? (latched && this.#opts.rtcpMux ? latched : undefined)
      ?? (latched ? { address: latched.address, port: latched.port + 1 } : this.#remoteRtcp);
    this.counters.rtcpOut++;
    this.#opts.tap?.('out', packet, to);
    return new Promise((resolve) => (this.#rtcp ?? this.#rtp).send(packet, to.port, to.address, () => resolve()));
  }

  readonly #onRtpSocket = (msg: Buffer, rinfo: { address: string; port: number }): void => {
    const arrival = performance.now();
    if (this.#opts.rtcpMux && looksLikeRtcp(msg)) {
      this.#acceptRtcp(msg, rinfo, arrival);
      return;
    }
    // RFC 3550 §5.1: V=2 and a payload type we negotiated.
    const header = readRtpHeader(msg);
    if (!header || !this.#opts.payloadTypes.has(header.payloadType)) {
      this.counters.malformed++;
      return;
    }
    if (this.#latch.offer(rinfo.address, rinfo.port, header.ssrc) === 'reject') {
      this.counters.rejectedSource++;
      return;
    }
    this.counters.packetsIn++;
    this.counters.bytesIn += msg.length;
    this.#opts.tap?.('in', msg, rinfo);
    this.#opts.onRtp(header, msg.subarray(header.payloadOffset, header.payloadEnd), arrival);
  };

  readonly #onRtcpSocket = (msg: Buffer, rinfo: { address: string; port: number }): void => {
    if (!looksLikeRtcp(msg)) {
      this.counters.malformed++;
      return;
    }
    this.#acceptRtcp(msg, rinfo, performance.now());
  };

  #acceptRtcp(msg: Buffer, rinfo: { address: string; port: number }, arrival: number): void {
    // Only from the peer's host: the latched one, or the SDP's before latching.
    if (rinfo.address !== this.#latch.destination.address) {
      this.counters.rejectedSource++;
      return;
    }
    this.#rtcpSource = { address: rinfo.address, port: rinfo.port };
    this.counters.rtcpIn++;
    this.#opts.tap?.('in', msg, rinfo);
    this.#opts.onRtcp?.(msg, arrival);
  }

  /** Idempotent. Resolves when both sockets are closed. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([this.#rtp, this.#rtcp].filter((s): s is Socket => !!s)
      .map((s) => new Promise<void>((resolve) => { try { s.close(() => resolve()); } catch { resolve(); } })));
  }
}
