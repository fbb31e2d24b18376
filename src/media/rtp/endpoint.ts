/**
 * One call's RTP/RTCP transport: a UDP socket on the leased even port (RTP, and RTCP too with
 * rtcp-mux, RFC 5761) and one on port+1 for RTCP otherwise (RFC 3550 §11). Incoming RTP is parsed
 * (rtp/header.ts), checked (version 2, negotiated payload type) and passed through the symmetric
 * RTP latch; everything is counted. The sockets come from src/media/udp (the native batched pump
 * or Node's dgram).
 *
 * With `srtp` keys (SDES, src/media/sdp/srtp.ts) every packet is SRTP/SRTCP on the wire (RFC 3711):
 * incoming packets are authenticated, replay-checked and decrypted before anything else looks at
 * them (so an unauthenticated packet never latches), outgoing ones protected last. The tap sees
 * RTP and RTCP in clear, as the session does.
 */
import type { RtpAddress } from '../sdp/types.js';
import type { PacketTap } from '../session/types.js';
import { readRtpHeader, type RtpHeaderView } from './header.js';
import { SourceLatch, type SourceCheck } from './latch.js';
import { looksLikeRtcp } from './rtcp.js';
import { createSrtpSession, type SrtpKeys, type SrtpSession } from '../srtp/session.js';
import { datagramBinder, type DatagramBinder, type DatagramSocket, type DatagramSource } from '../udp/index.js';

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
  /** SRTP/SRTCP packets refused: authentication failed, replayed, or not SRTP at all. */
  srtpRejected: number;
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
  /** 'latch' (default): symmetric RTP latching; 'strict': RTP and RTCP only from the SDP's addresses (latch.ts). */
  sourceCheck?: SourceCheck;
  /** A valid RTP packet from the accepted source: parsed header and payload. */
  onRtp: (header: RtpHeaderView, payload: Buffer, arrivalMs: number) => void;
  onRtcp?: (packet: Buffer, arrivalMs: number) => void;
  tap?: PacketTap;
  /** SO_RCVBUF for the RTP socket (bytes). */
  recvBufferSize?: number;
  /** The UDP layer (default: the thread's, src/media/udp/select.ts). */
  binder?: DatagramBinder;
  /** SRTP keys agreed in SDP: the endpoint speaks SRTP/SRTCP (RFC 3711) with them. */
  srtp?: SrtpKeys;
}

export class RtpEndpoint {
  readonly port: number;
  readonly counters: RtpEndpointCounters = {
    packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0, rejectedSource: 0, malformed: 0, rtcpIn: 0, rtcpOut: 0, srtpRejected: 0,
  };
  readonly #opts: RtpEndpointOptions;
  readonly #rtp: DatagramSocket;
  readonly #rtcp: DatagramSocket | undefined;
  readonly #latch: SourceLatch;
  #remoteRtcp: RtpAddress;
  /** Where the peer's RTCP actually comes from (symmetric RTCP, RFC 4961). */
  #rtcpSource: RtpAddress | undefined;
  #closed = false;
  #srtpKeys: SrtpKeys | undefined;
  #srtp: SrtpSession | undefined;

  private constructor(opts: RtpEndpointOptions, rtp: DatagramSocket, rtcp: DatagramSocket | undefined) {
    this.#opts = opts;
    this.port = opts.port;
    this.#rtp = rtp;
    this.#rtcp = rtcp;
    this.#latch = new SourceLatch(opts.remote, opts.latchPackets ?? 3, opts.sourceCheck ?? 'latch');
    this.#remoteRtcp = opts.remoteRtcp;
    this.#srtpKeys = opts.srtp;
    this.#srtp = opts.srtp ? createSrtpSession(opts.srtp) : undefined;
  }

  /** Bind the sockets; rejects (EADDRINUSE …) if the port pair is taken by someone else. */
  static async open(opts: RtpEndpointOptions): Promise<RtpEndpoint> {
    const binder = opts.binder ?? datagramBinder();
    // The handlers reach the endpoint through `ref`: the sockets exist before it does.
    const ref: { endpoint?: RtpEndpoint } = {};
    const rtp = await binder.bind({
      address: opts.localAddress, port: opts.port,
      ...(opts.recvBufferSize ? { recvBufferSize: opts.recvBufferSize } : {}),
      onMessage: (msg, from) => ref.endpoint?.onRtpSocket(msg, from),
    });
    let rtcp: DatagramSocket | undefined;
    if (!opts.rtcpMux) {
      try {
        rtcp = await binder.bind({ address: opts.localAddress, port: opts.port + 1, onMessage: (msg, from) => ref.endpoint?.onRtcpSocket(msg, from) });
      } catch (err) {
        await rtp.close();
        throw err;
      }
    }
    ref.endpoint = new RtpEndpoint(opts, rtp, rtcp);
    return ref.endpoint;
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

  /**
   * The peer moved (re-INVITE): send to the new SDP address and latch afresh. New SRTP keys
   * (RFC 4568 §7.1.4: a re-offer may change them) start new contexts; the same keys keep theirs.
   */
  updateRemote(remote: RtpAddress, remoteRtcp: RtpAddress, srtp?: SrtpKeys): void {
    this.#latch.reset(remote);
    this.#remoteRtcp = remoteRtcp;
    this.#rtcpSource = undefined;
    const k = this.#srtpKeys;
    if (srtp && (!k || k.suite !== srtp.suite || k.localKey !== srtp.localKey || k.remoteKey !== srtp.remoteKey)) {
      this.#srtpKeys = srtp;
      this.#srtp = createSrtpSession(srtp);
    }
  }

  sendRtp(packet: Buffer): void {
    if (this.#closed) return;
    const to = this.#latch.destination;
    this.#opts.tap?.('out', packet, to);
    const wire = this.#srtp ? this.#srtp.outbound.protectRtp(packet) : packet;
    if (!wire) return;
    this.counters.packetsOut++;
    this.counters.bytesOut += wire.length;
    this.#rtp.send(wire, to.port, to.address);
  }

  /** RTCP goes where the peer's RTCP comes from, else beside the latched RTP, else to the SDP's. */
  sendRtcp(packet: Buffer): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const latched = this.#latch.latched;
    const to = this.#rtcpSource
      ?? (latched && this.#opts.rtcpMux ? latched : undefined)
      ?? (latched ? { address: latched.address, port: latched.port + 1 } : this.#remoteRtcp);
    this.#opts.tap?.('out', packet, to);
    const wire = this.#srtp ? this.#srtp.outbound.protectRtcp(packet) : packet;
    if (!wire) return Promise.resolve();
    this.counters.rtcpOut++;
    (this.#rtcp ?? this.#rtp).send(wire, to.port, to.address);
    return Promise.resolve();
  }

  private onRtpSocket(wire: Buffer, rinfo: DatagramSource): void {
    const arrival = performance.now();
    if (this.#opts.rtcpMux && looksLikeRtcp(wire)) {
      this.#acceptRtcp(wire, rinfo, arrival);
      return;
    }
    let msg = wire;
    if (this.#srtp) {
      // RFC 3711 §3.3: authenticate and replay-check before the packet counts for anything.
      const plain = this.#srtp.inbound.unprotectRtp(wire);
      if (typeof plain === 'string') {
        this.counters.srtpRejected++;
        return;
      }
      msg = plain;
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
  }

  private onRtcpSocket(msg: Buffer, rinfo: DatagramSource): void {
    if (!looksLikeRtcp(msg)) {
      this.counters.malformed++;
      return;
    }
    this.#acceptRtcp(msg, rinfo, performance.now());
  }

  #acceptRtcp(wire: Buffer, rinfo: DatagramSource, arrival: number): void {
    // Only from the peer's host: the latched one, or the SDP's before latching; strict, only from
    // the SDP's RTCP address and port (its RTP's with rtcp-mux).
    const strict = this.#latch.check === 'strict' ? (this.#opts.rtcpMux ? this.#latch.destination : this.#remoteRtcp) : undefined;
    if (strict ? rinfo.address !== strict.address || rinfo.port !== strict.port : rinfo.address !== this.#latch.destination.address) {
      this.counters.rejectedSource++;
      return;
    }
    let msg = wire;
    if (this.#srtp) {
      const plain = this.#srtp.inbound.unprotectRtcp(wire);
      if (typeof plain === 'string') {
        this.counters.srtpRejected++;
        return;
      }
      msg = plain;
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
    await Promise.all([this.#rtp.close(), this.#rtcp?.close()]);
  }
}
