/**
 * MediaSessionImpl: one call's media. Per tick of the shared media clock it (1) plays out one
 * frame from the jitter buffer (decode or conceal, resample, emit `audio`), in the clock's
 * `playout` phase, and (2) sends exactly one frame: queued audio, an RFC 4733 event, or idle
 * filler, in its `send` phase. RTCP reports ride the same clock.
 *
 * A talk spurt's first frame does not wait for the next tick: once audio played while the session
 * is idle makes a whole frame (a play, or the mark that pads it), that frame goes out at once, one
 * frame ahead of the clock; the spurt then goes on at one frame per tick with consecutive RTP
 * timestamps, and the first tick after it that has nothing to send gives the frame back (sends
 * nothing and does not advance the timestamp), so the stream's timestamps stay on the clock
 * (RFC 3550 §5.1). The first frame carries the marker bit (RFC 3551 §4.1).
 */
import { randomUUID } from 'node:crypto';
import type { RtpHeaderView as RtpHeader } from '../rtp/header.js';
import { rootLogger, type Logger } from '../../log.js';
import { createCodec, type AudioCodec } from '../codecs/index.js';
import { generateComfortNoise } from '../codecs/comfort-noise.js';
import { sharedClock, type ClockTick, type MediaTicker } from '../rtp/clock.js';
import { RtpEndpoint } from '../rtp/endpoint.js';
import { RtpPacketizer } from '../rtp/packetizer.js';
import { RtcpSession, randomizedInterval } from '../rtp/rtcp-session.js';
import { readRemote } from '../sdp/negotiate.js';
import type { MediaDirection, NegotiatedMedia, RtpAddress } from '../sdp/types.js';
import { drainDatagrams } from '../udp/index.js';
import { TypedEmitter } from './emitter.js';
import { MediaSessionError } from './errors.js';
import { createDtmfReceiver, createDtmfSender, createJitter, createResampler, type DtmfReceiverPart, type DtmfSenderPart, type JitterPart, type ResamplerPart } from './parts.js';
import { PlayQueue } from './play-queue.js';
import type { DtmfEvent, MediaSession, MediaSessionEvents, MediaSessionOptions, MediaStats, PlayFormat } from './types.js';

/** The idle comfort noise level: −65 dBov RMS, uniform noise of amplitude ±32. */
const IDLE_NOISE_DBOV = -65;

const CN_PAYLOAD_TYPE = 13;

function sends(d: MediaDirection): boolean { return d === 'sendrecv' || d === 'sendonly'; }
function receives(d: MediaDirection): boolean { return d === 'sendrecv' || d === 'recvonly'; }

export class MediaSessionImpl extends TypedEmitter<MediaSessionEvents> implements MediaSession {
  readonly id: string;
  readonly localPort: number;
  #negotiated: NegotiatedMedia;
  readonly #opts: MediaSessionOptions;
  readonly #log: Logger;
  readonly #codec: AudioCodec;
  readonly #endpoint: RtpEndpoint;
  readonly #clock: MediaTicker;
  readonly #packetizer: RtpPacketizer;
  readonly #rtcp: RtcpSession;
  readonly #queue: PlayQueue;
  /** Audio at another rate (and marks behind it) not yet resampled into #queue (see #fill). */
  #pending: ({ pcm: Int16Array; offset: number; rate: number; resampler: ResamplerPart | undefined } | { mark: string })[] = [];
  /** The samples of #pending at the codec rate (for queuedMs). */
  #pendingInput = 0;
  /** The frame being sent, reused every tick (the codecs encode it into a new payload). */
  readonly #frame: Int16Array;
  /** With `transientAudio`: the buffer every received frame is decoded into. */
  readonly #decoded: Int16Array | undefined;
  readonly #jitter: JitterPart;
  readonly #dtmfIn: DtmfReceiverPart | undefined;
  readonly #dtmfOut: DtmfSenderPart | undefined;
  readonly #frameSamples: number;
  readonly #idle: 'silence' | 'comfort-noise' | 'none';
  #silencePayload: Buffer | undefined;
  #unsubscribe: (() => void) | undefined;
  #localDirection: MediaDirection;
  #outputRate: number;
  #outResampler: ResamplerPart | undefined;
  #inResamplers = new Map<number, ResamplerPart>();
  #talking = false;
  /** The last tick sent idle filler (or nothing): audio played now starts a talk spurt. */
  #idleAtLastTick = true;
  /** 1 while a talk spurt's first frame went out ahead of the clock (given back by the next empty tick). */
  #lead = 0;
  #playoutStarted = false;
  #ticks = 0;
  #nextRtcpTick = 0;
  #lateFrames = 0;
  #framesSent = 0;
  #underruns = 0;
  #dtmfInCount = 0;
  #dtmfOutCount = 0;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** setPlayFormat('payload'): the queue holds G.711 octets (one per sample), sent as they are. */
  #payloadOut = false;
  /** The codec's payload for one frame of silence (G.711: one octet repeated), for lost frames in `payload` events. */
  #silenceOctet: number | undefined;

  private constructor(opts: MediaSessionOptions, endpoint: RtpEndpoint, codec: AudioCodec, id: string, log: Logger) {
    super(log);
    this.id = id;
    this.#log = log;
    this.#opts = opts;
    this.#negotiated = opts.negotiated;
    this.#codec = codec;
    this.#endpoint = endpoint;
    this.localPort = opts.lease.port;
    const n = opts.negotiated;
    this.#clock = opts.clock ?? sharedClock(n.ptime);
    if (this.#clock.periodMs !== n.ptime) throw new RangeError(`clock period ${this.#clock.periodMs} ms does not match ptime ${n.ptime} ms`);
    this.#frameSamples = codec.frameSamples(n.ptime);
    this.#packetizer = new RtpPacketizer({ payloadType: n.codec.payloadType, ticksPerFrame: codec.frameTicks(n.ptime) });
    this.#rtcp = new RtcpSession({ ssrc: this.#packetizer.ssrc, cname: `${id}@trunkgate`, clockRate: n.codec.clockRate });
    this.#queue = new PlayQueue(this.#frameSamples);
    this.#frame = new Int16Array(this.#frameSamples);
    this.#decoded = opts.transientAudio ? new Int16Array(this.#frameSamples) : undefined;
    this.#jitter = createJitter({ clockRate: n.codec.clockRate, ptimeMs: n.ptime, frameTicks: codec.frameTicks(n.ptime), targetMs: opts.jitterTargetMs ?? 40 });
    if (n.telephoneEvent) {
      this.#dtmfIn = createDtmfReceiver({ clockRate: n.telephoneEvent.clockRate });
      this.#dtmfOut = createDtmfSender({ clockRate: n.telephoneEvent.clockRate, payloadType: n.telephoneEvent.payloadType, ptimeMs: n.ptime });
    }
    this.#idle = opts.idle ?? 'silence';
    this.#localDirection = n.direction;
    this.#outputRate = codec.sampleRate;
    this.#nextRtcpTick = this.#ticksFor(randomizedInterval(opts.rtcpIntervalMs ?? 5000) / 2);
  }

  /** Bind the port pair and start sending on the next clock tick. */
  static async create(opts: MediaSessionOptions): Promise<MediaSessionImpl> {
    const id = opts.id ?? randomUUID();
    const log = (opts.logger ?? rootLogger).child({ media: id });
    const n = opts.negotiated;
    const codec = createCodec(n.codec.name);
    const payloadTypes = new Set([n.codec.payloadType, CN_PAYLOAD_TYPE]);
    if (n.telephoneEvent) payloadTypes.add(n.telephoneEvent.payloadType);
    const ref: { session?: MediaSessionImpl } = {};
    const endpoint = await RtpEndpoint.open({
      localAddress: opts.localAddress,
      port: opts.lease.port,
      rtcpMux: n.rtcpMux,
      remote: n.remote,
      remoteRtcp: n.remoteRtcp,
      payloadTypes,
      ...(opts.latchPackets !== undefined ? { latchPackets: opts.latchPackets } : {}),
      ...(opts.sourceCheck !== undefined ? { sourceCheck: opts.sourceCheck } : {}),
      onRtp: (h, p, at) => ref.session?.onRtp(h, p, at),
      onRtcp: (b, at) => ref.session?.onRtcp(b, at),
      ...(opts.tap ? { tap: opts.tap } : {}),
      ...(n.srtp ? { srtp: n.srtp } : {}),
    });
    const session = new MediaSessionImpl(opts, endpoint, codec, id, log);
    ref.session = session;
    // The clock reads what the native UDP pump has waiting before each tick (rtp/clock.ts).
    session.#clock.socketReader ??= drainDatagrams;
    const unPlayout = session.#clock.subscribe(session.#onPlayoutTick, 'playout');
    const unSend = session.#clock.subscribe(session.#onSendTick, 'send');
    session.#unsubscribe = () => { unPlayout(); unSend(); };
    log.debug({ codec: n.codec, remote: n.remote, port: opts.lease.port }, 'media session started');
    return session;
  }

  get negotiated(): NegotiatedMedia { return this.#negotiated; }
  get closed(): boolean { return this.#closed; }
  get queuedMs(): number { return ((this.#queue.samples + this.#pendingInput) / this.#codec.sampleRate) * 1000; }

  #ticksFor(ms: number): number {
    return this.#ticks + Math.max(1, Math.round(ms / this.#negotiated.ptime));
  }

  #sending(): boolean {
    return sends(this.#localDirection) && receives(this.#negotiated.remoteDirection);
  }

  #receiving(): boolean {
    return receives(this.#localDirection) && sends(this.#negotiated.remoteDirection);
  }

  setOutputRate(rate: number): void {
    if (!Number.isInteger(rate) || rate <= 0) throw new RangeError(`invalid output rate ${rate}`);
    this.#outputRate = rate;
    this.#outResampler = rate === this.#codec.sampleRate ? undefined : createResampler(this.#codec.sampleRate, rate);
  }

  play(pcm: Int16Array, sampleRate: number): void {
    if (this.#closed || pcm.length === 0) return;
    if (sampleRate === this.#codec.sampleRate && this.#pending.length === 0) {
      this.#queue.push(this.#payloadOut ? Int16Array.from(this.#codec.encode(pcm)) : pcm);
    } else {
      let r = this.#inResamplers.get(sampleRate);
      if (!r && sampleRate !== this.#codec.sampleRate) {
        r = createResampler(sampleRate, this.#codec.sampleRate);
        this.#inResamplers.set(sampleRate, r);
      }
      this.#pending.push({ pcm, offset: 0, rate: sampleRate, resampler: r });
      this.#pendingInput += pcm.length * (this.#codec.sampleRate / sampleRate);
      this.#fill(1);
    }
    this.#kickIfIdle();
  }

  /**
   * Moves audio played at another rate into the play queue, resampled, until it holds `frames`
   * whole frames: audio is resampled a frame or two ahead of its sending, not when it is played,
   * so seconds of answer audio arriving at once (an AI agent's deltas) cost a little on each tick
   * instead of one long stall of every session on this thread. Marks played after such audio wait
   * behind it here.
   */
  #fill(frames: number): void {
    const codecRate = this.#codec.sampleRate;
    while (this.#pending.length > 0 && this.#queue.frames < frames) {
      const head = this.#pending[0]!;
      if ('mark' in head) {
        this.#pending.shift();
        this.#queue.mark(head.mark);
        continue;
      }
      // Two frames of input per step: enough to make a frame whatever the resampler holds back.
      const n = Math.min(head.pcm.length - head.offset, Math.ceil((2 * this.#frameSamples * head.rate) / codecRate));
      const chunk = head.pcm.subarray(head.offset, head.offset + n);
      head.offset += n;
      this.#pendingInput -= n * (codecRate / head.rate);
      if (head.offset >= head.pcm.length) this.#pending.shift();
      const samples = head.resampler ? head.resampler.process(chunk) : chunk;
      if (samples.length > 0) this.#queue.push(this.#payloadOut ? Int16Array.from(this.#codec.encode(samples)) : samples);
    }
    if (this.#pending.length === 0) this.#pendingInput = 0;
  }

  /**
   * Audio was queued (or a mark padded it to a frame): when the session is idle and a whole frame
   * is ready, send it now, not at the next tick. Done synchronously, so it does not wait behind the
   * rest of the caller's task (a media worker applying seconds of answer audio, resampled, in one
   * message); the marks it makes due are reported in a microtask, not inside the caller's call.
   */
  #kickIfIdle(): void {
    if (!this.#idleAtLastTick || this.#lead > 0 || this.#closed || this.#queue.frames === 0 || !this.#sending() || this.#dtmfOut?.busy) return;
    if (this.#sendAudio(true)) {
      this.#lead = 1;
      this.#idleAtLastTick = false;
    }
  }

  setPlayFormat(format: PlayFormat): void {
    const payload = format === 'payload';
    if (payload && this.#codec.name !== 'PCMU' && this.#codec.name !== 'PCMA') {
      throw new MediaSessionError('MEDIA_PAYLOAD_UNSUPPORTED', `payload playback needs PCMU or PCMA, not ${this.#codec.name}`);
    }
    if (payload === this.#payloadOut) return;
    this.clear();
    this.#payloadOut = payload;
    this.#queue.padValue = payload ? this.#silenceByte() : 0;
  }

  playPayload(payload: Uint8Array): void {
    if (this.#closed || payload.length === 0) return;
    if (!this.#payloadOut) throw new MediaSessionError('MEDIA_PLAY_FORMAT', "playPayload needs setPlayFormat('payload')");
    this.#queue.push(Int16Array.from(payload));
    this.#kickIfIdle();
  }

  /** G.711 silence: 0xFF (µ-law), 0xD5 (A-law). */
  #silenceByte(): number {
    this.#silenceOctet ??= this.#codec.encode(new Int16Array(1))[0]!;
    return this.#silenceOctet;
  }

  mark(name: string): void {
    if (this.#closed) return;
    if (this.#pending.length > 0) {
      this.#pending.push({ mark: name });
      this.#fill(1);
    } else {
      this.#queue.mark(name);
    }
    // The mark padded a partial frame: it may be the spurt's first.
    this.#kickIfIdle();
    // Everything queued before it has been sent already (an early frame, or nothing was queued).
    this.#emitDueMarksSoon(this.#queue.takeDueMarks());
  }

  /** Marks that became due outside a tick, reported in a microtask (not inside the caller's play or mark). */
  #emitDueMarksSoon(due: readonly string[]): void {
    if (due.length > 0) queueMicrotask(() => { for (const name of due) this.safeEmit('mark', name, { cleared: false }); });
  }

  clear(): void {
    const dropped = [...this.#queue.clear(), ...this.#pending.flatMap((p) => ('mark' in p ? [p.mark] : []))];
    this.#pending = [];
    this.#pendingInput = 0;
    for (const r of this.#inResamplers.values()) r.reset?.();
    for (const name of dropped) this.safeEmit('mark', name, { cleared: true });
  }

  sendDtmf(digits: string, options: { durationMs?: number; gapMs?: number } = {}): Promise<void> {
    if (!this.#dtmfOut) return Promise.reject(new MediaSessionError('MEDIA_NO_TELEPHONE_EVENT', 'telephone-event was not negotiated'));
    if (this.#closed) return Promise.reject(new MediaSessionError('MEDIA_SESSION_CLOSED', 'media session is closed'));
    this.#dtmfOutCount += digits.length;
    return this.#dtmfOut.queue(digits, options);
  }

  updateRemote(update: NegotiatedMedia | string | RtpAddress): void {
    if (typeof update === 'string') {
      this.#negotiated = { ...this.#negotiated, ...readRemote(update) };
    } else if ('codec' in update) {
      this.#negotiated = { ...update, codec: this.#negotiated.codec };
      this.#localDirection = update.direction;
    } else {
      this.#negotiated = { ...this.#negotiated, remote: update, remoteRtcp: { address: update.address, port: this.#negotiated.rtcpMux ? update.port : update.port + 1 } };
    }
    const n = this.#negotiated;
    this.#endpoint.updateRemote(n.remote, n.remoteRtcp, n.srtp);
    this.#log.debug({ remote: n.remote, remoteDirection: n.remoteDirection }, 'media remote updated');
  }

  setDirection(hold: boolean | MediaDirection): void {
    this.#localDirection = typeof hold === 'string' ? hold : hold ? 'inactive' : 'sendrecv';
  }

  /**
   * The counters of stats() written into `out` (every field; absent optional ones set to
   * undefined) and returned: what the media worker calls for every session on every tick, without
   * building a new object each time.
   */
  statsInto(out: MediaStats): MediaStats {
    const c = this.#endpoint.counters;
    const src = this.#rtcp.mainSource;
    const remote = this.#rtcp.remoteView;
    out.packetsIn = c.packetsIn;
    out.bytesIn = c.bytesIn;
    out.packetsOut = c.packetsOut;
    out.bytesOut = c.bytesOut;
    out.packetsRejected = c.rejectedSource + c.malformed + c.srtpRejected;
    out.packetsLost = src?.packetsLost ?? 0;
    out.fractionLost = src?.lastFractionLost ?? 0;
    out.jitterMs = src?.jitterMs ?? 0;
    out.lateFrames = this.#lateFrames;
    out.framesSent = this.#framesSent;
    out.underruns = this.#underruns;
    out.latchedSource = this.#endpoint.latchedSource;
    out.rttMs = remote?.rttMs;
    out.remoteFractionLost = remote?.fractionLost;
    out.remotePacketsLost = remote?.packetsLost;
    out.remoteJitterMs = remote?.jitterMs;
    out.dtmfIn = this.#dtmfInCount;
    out.dtmfOut = this.#dtmfOutCount;
    return out;
  }

  /** statsInto() read back into a new object, the figures that are absent left out. */
  stats(): MediaStats {
    const s = this.statsInto({} as MediaStats);
    for (const k of Object.keys(s) as (keyof MediaStats)[]) if (s[k] === undefined) delete s[k];
    return s;
  }

  /** Called by the endpoint for each accepted RTP packet. */
  private onRtp(header: RtpHeader, payload: Buffer, arrivalMs: number): void {
    if (this.#closed) return;
    const n = this.#negotiated;
    const event = n.telephoneEvent !== undefined && header.payloadType === n.telephoneEvent.payloadType;
    // RFC 3550 A.3 counts the stream's sequence numbers, so every packet of it is received, audio,
    // RFC 4733 event or RFC 3389 comfort noise alike: a digit is not loss. An event's packets all
    // carry its start timestamp (RFC 4733 §2.3.1), so they stay out of the A.8 jitter.
    this.#rtcp.onRtpReceived(header.ssrc, header.sequenceNumber, header.timestamp, arrivalMs, !event);
    if (event) {
      let digits: DtmfEvent[] = [];
      try {
        digits = this.#dtmfIn?.push(header, payload, arrivalMs) ?? [];
      } catch {
        return; // malformed telephone-event payload
      }
      this.#emitDtmf(digits);
      return;
    }
    if (header.payloadType !== n.codec.payloadType) return; // CN: nothing to play
    this.#jitter.push(header, payload, arrivalMs);
  }

  #emitDtmf(digits: DtmfEvent[]): void {
    for (const d of digits) {
      this.#dtmfInCount++;
      this.safeEmit('dtmf', d);
    }
  }

  private onRtcp(packet: Buffer, arrivalMs: number): void {
    if (this.#closed) return;
    try {
      this.#rtcp.onRtcpReceived(packet, arrivalMs);
    } catch (err) {
      this.#log.debug({ err }, 'unparseable RTCP ignored');
    }
  }

  readonly #onPlayoutTick = (tick: ClockTick): void => {
    if (this.#closed) return;
    this.#ticks++;
    this.#playout(tick.deadline);
  };

  readonly #onSendTick = (tick: ClockTick): void => {
    if (this.#closed) return;
    const sent = this.#framesSent;
    this.#send();
    // A frame is late when it left more than half a period after its deadline.
    if (this.#framesSent !== sent && tick.lateMs > this.#negotiated.ptime / 2) this.#lateFrames++;
    if (this.#dtmfIn && (this.#ticks & 7) === 0) this.#emitDtmf(this.#dtmfIn.poll(performance.now()));
    if (this.#ticks >= this.#nextRtcpTick) {
      this.#nextRtcpTick = this.#ticksFor(randomizedInterval(this.#opts.rtcpIntervalMs ?? 5000));
      void this.#endpoint.sendRtcp(this.#rtcp.report());
      this.safeEmit('stats', this.stats());
    }
  };

  /**
   * Play the frame due at this tick. The jitter buffer is given the tick's deadline, not the time
   * it runs: its margin between a packet's arrival and the packet's tick is then the same for
   * every tick of the stream, however late the first one ran (rtp/clock.ts, jitter-buffer.ts).
   */
  #playout(deadline: number): void {
    const out = this.#jitter.pop(deadline);
    if (out.kind === 'frame' || (out.kind === 'missing' && this.#playoutStarted)) this.#emitPayload(out.kind === 'frame' ? out.payload : undefined);
    // Only `payload` listeners (G.711 passthrough): nothing to decode.
    const decode = this.listenerCount('audio') > 0 || this.listenerCount('payload') === 0;
    let pcm: Int16Array | undefined;
    if (out.kind === 'frame') {
      this.#playoutStarted = true;
      if (!decode) return;
      try {
        pcm = this.#codec.decode(out.payload, this.#decoded);
      } catch {
        pcm = this.#codec.conceal(this.#frameSamples);
      }
    } else if (out.kind === 'missing' && this.#playoutStarted) {
      this.#underruns++;
      if (!decode) return;
      pcm = this.#codec.conceal(this.#frameSamples);
    }
    if (!pcm || !this.#receiving() || this.listenerCount('audio') === 0) return;
    const samples = this.#outResampler ? this.#outResampler.process(pcm) : pcm;
    this.safeEmit('audio', { samples, sampleRate: this.#outputRate });
  }

  /** The `payload` event: the frame's octets as received (a lost G.711 frame: silence), no decoding. */
  #emitPayload(payload: Buffer | undefined): void {
    if (this.listenerCount('payload') === 0 || !this.#receiving()) return;
    if (payload) {
      this.safeEmit('payload', { payload: new Uint8Array(payload) });
    } else if (this.#codec.name === 'PCMU' || this.#codec.name === 'PCMA') {
      this.safeEmit('payload', { payload: new Uint8Array(this.#frameSamples).fill(this.#silenceByte()) });
    }
  }

  #send(): void {
    this.#fill(2);
    for (const name of this.#queue.takeDueMarks()) this.safeEmit('mark', name, { cleared: false });
    if (!this.#sending()) {
      this.#idleTick();
      this.#talking = false;
      return;
    }
    // RFC 4733 §2.5.1: while an event is sent, its packets replace the audio of those periods.
    const event = this.#dtmfOut?.next(this.#packetizer.timestamp);
    if (event) {
      for (const p of event.packets) {
        this.#endpoint.sendRtp(this.#packetizer.packet(this.#negotiated.telephoneEvent!.payloadType, p.payload, p.marker, event.timestamp));
      }
      this.#packetizer.skipFrame();
      this.#fill(1);
      this.#queue.nextFrame(this.#frame);
      this.#framesSent++;
      this.#idleAtLastTick = false;
      return;
    }
    if (this.#sendAudio()) {
      this.#idleAtLastTick = false;
      return;
    }
    this.#talking = false;
    if (this.#lead > 0) {
      // The spurt's first frame went out ahead of this tick: give its slot back (nothing sent,
      // timestamp not advanced) so the stream is on the clock again.
      this.#lead = 0;
      return;
    }
    this.#idleAtLastTick = true;
    const payload = this.#idlePayload();
    if (!payload) {
      this.#packetizer.skipFrame();
      return;
    }
    const ts = this.#packetizer.timestamp;
    this.#endpoint.sendRtp(this.#packetizer.frame(payload, false));
    this.#rtcp.onRtpSent(payload.length, ts);
    this.#framesSent++;
  }

  /** A tick that sends nothing (on hold): the timestamp moves on, unless it gives back a spurt's early frame. */
  #idleTick(): void {
    this.#idleAtLastTick = true;
    if (this.#lead > 0) this.#lead = 0;
    else this.#packetizer.skipFrame();
  }

  /** Send the next queued frame, if one is ready; false when the queue has none. Emits the marks it makes due (in a microtask when `deferMarks`). */
  #sendAudio(deferMarks = false): boolean {
    this.#fill(1);
    const frame = this.#queue.nextFrame(this.#frame);
    if (!frame) return false;
    // RFC 3551 §4.1: the marker bit flags the first packet of a talk spurt.
    const marker = !this.#talking;
    this.#talking = true;
    const codec = this.#codec;
    const ts = this.#packetizer.timestamp;
    if (this.#payloadOut) {
      // The queue holds G.711 octets: copied into the packet as they are.
      const pkt = this.#packetizer.frameFor(frame.length, marker);
      for (let i = 0; i < frame.length; i++) pkt[12 + i] = frame[i]!;
      this.#endpoint.sendRtp(pkt);
      this.#rtcp.onRtpSent(frame.length, ts);
      this.#framesSent++;
    } else if (codec.encodeInto && codec.payloadBytes) {
      // Encoded straight into the packet: no payload Buffer per frame.
      const bytes = codec.payloadBytes(frame.length);
      const pkt = this.#packetizer.frameFor(bytes, marker);
      codec.encodeInto(frame, pkt, 12);
      this.#endpoint.sendRtp(pkt);
      this.#rtcp.onRtpSent(bytes, ts);
      this.#framesSent++;
    } else {
      const payload = codec.encode(frame);
      this.#endpoint.sendRtp(this.#packetizer.frame(payload, marker));
      this.#rtcp.onRtpSent(payload.length, ts);
      this.#framesSent++;
    }
    const due = this.#queue.takeDueMarks();
    if (deferMarks) this.#emitDueMarksSoon(due);
    else for (const name of due) this.safeEmit('mark', name, { cleared: false });
    return true;
  }

  #idlePayload(): Buffer | undefined {
    if (this.#idle === 'none') return undefined;
    if (this.#idle === 'silence') {
      // Stateless codecs encode silence to the same bytes every time: encode once.
      if (this.#codec.name === 'PCMU' || this.#codec.name === 'PCMA') {
        this.#silencePayload ??= this.#codec.encode(new Int16Array(this.#frameSamples));
        return this.#silencePayload;
      }
      return this.#codec.encode(new Int16Array(this.#frameSamples));
    }
    // Comfort noise, so the line does not sound dead.
    return this.#codec.encode(generateComfortNoise(this.#frameSamples, IDLE_NOISE_DBOV));
  }

  close(reason = 'closed'): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    this.#closing = (async () => {
      this.#unsubscribe?.();
      // RFC 3550 §6.6: a participant leaving sends BYE.
      await Promise.race([this.#endpoint.sendRtcp(this.#rtcp.bye()), new Promise((r) => setTimeout(r, 200))]);
      await this.#endpoint.close();
      this.#opts.lease.release();
      this.#dtmfOut?.cancel();
      this.#log.debug({ reason, stats: this.stats() }, 'media session closed');
      this.safeEmit('close', reason);
    })();
    return this.#closing;
  }
}

/** Create and start a MediaSession (binds the leased port pair). */
export function createMediaSession(options: MediaSessionOptions): Promise<MediaSession> {
  return MediaSessionImpl.create(options);
}
