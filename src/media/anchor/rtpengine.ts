/**
 * rtpengine as the media anchor. An anchored call has two sides in rtpengine: the far party's
 * (the carrier's caller, or a party we call) and ours (trunkgate's media engine, or a human after
 * a direct-media hand-over). Whatever one side offers goes through ng `offer` and whatever the other
 * answers through `answer`, so each side only ever sees rtpengine's address: the carrier gets
 * rtpengine's public address and, for SRTP, rtpengine's SDES keys (rtpengine does SRTP ↔ RTP; our
 * side is plain RTP/AVP), and rtpengine transcodes where `transcode` adds codecs to an offer.
 * `delete` at call end returns its counters.
 *
 * rtpengine names the sides by tags; here they are fixed labels (`far`, `trunkgate`), since each
 * rtpengine call holds one pair. The tag of an ng `offer` is always the offering side's, whichever
 * party sent the INVITE (as Kamailio's rtpengine module does for a re-INVITE from the callee).
 * rtpengine may move a side to new ports on a re-offer: every SDP it returns is used as is.
 *
 * One or several daemons (`ng: ["127.0.0.1:22222", …]`); each call is placed on the next daemon
 * that answers (round robin), and stays there.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, type NgResponse } from 'rtpengine-client';
import { TrunkgateError } from '../../errors.js';
import type { CodecName, SrtpPolicy } from '../sdp/types.js';
import type { SrtpSuiteName } from '../srtp/suites.js';

export class RtpengineError extends TrunkgateError<'RTPENGINE_UNAVAILABLE' | 'RTPENGINE_REFUSED'> {
  constructor(code: 'RTPENGINE_UNAVAILABLE' | 'RTPENGINE_REFUSED', message: string, readonly addresses: string[]) {
    super(code, message);
  }
}

interface Daemon {
  address: string;
  host: string;
  port: number;
}

/** What rtpengine counted for a call (its `delete` response, `totals`). */
export interface RtpengineStats {
  daemon: string;
  rtp: { packets: number; bytes: number; errors: number };
  rtcp: { packets: number; bytes: number; errors: number };
  /** The call's recording (`record call` / `start recording`), once rtpengine has closed it. */
  recording?: { file: string; format: 'pcap' };
}

export interface RtpengineAnchorOptions {
  /** ng control addresses, `host:port`. */
  ng: string[];
  /** How long an ng command may take (default 1000 ms). */
  timeoutMs?: number;
  /**
   * The daemons' `--recording-dir` (with `--recording-method=pcap`): where the gateway finds a
   * recorded call's file, `<dir>/pcaps/<call-id, %-escaped>-<16 hex>.pcap`.
   */
  recordingDir?: string | undefined;
  /** Codecs added to every offer (AnchorOfferOptions.transcode): rtpengine transcodes to and from them. */
  transcode?: CodecName[] | undefined;
}

function parseAddress(a: string): Daemon {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(a.trim());
  if (!m) throw new RtpengineError('RTPENGINE_UNAVAILABLE', `rtpengine ng address '${a}' is not host:port`, [a]);
  return { address: a, host: m[1]!, port: Number(m[2]) };
}

function counters(x: unknown): { packets: number; bytes: number; errors: number } {
  const o = (x ?? {}) as Record<string, unknown>;
  return { packets: Number(o.packets ?? 0), bytes: Number(o.bytes ?? 0), errors: Number(o.errors ?? 0) };
}

/**
 * On every offer and answer: no ICE toward either side, our origin and connection lines, and
 * `port-latching` — rtpengine keeps a side's local port when the other side's address changes (a
 * re-answer after a direct-media hand-over, a re-INVITE); without it rtpengine 10.5 moves the far
 * party's port on every re-answer, an SDP the far party is never sent.
 */
const NG_COMMON = { ICE: 'remove', replace: ['origin', 'session-connection'], flags: ['port-latching'] };

const FAR = 'far';
const OURS = 'trunkgate';
type Side = typeof FAR | typeof OURS;

/** rtpengine's SDES suites (10.5): all but the ones a trunk allows are excluded from its offers. */
const RTPENGINE_SDES_SUITES = ['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_256_CM_HMAC_SHA1_80', 'AES_256_CM_HMAC_SHA1_32', 'AES_192_CM_HMAC_SHA1_80',
  'AES_192_CM_HMAC_SHA1_32', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'F8_128_HMAC_SHA1_80', 'F8_128_HMAC_SHA1_32', 'NULL_HMAC_SHA1_80', 'NULL_HMAC_SHA1_32'];

/** How a side is offered media: the far side when we offer (delayed offer, a REFER's new party), or ours (reofferInward). */
export interface FarProfile {
  /** off: RTP/AVP; optional: RTP/AVP with a=crypto (RFC 8643 OSRTP); mandatory: RTP/SAVP. */
  srtp: SrtpPolicy;
  /** The SDES suites offered (default: rtpengine's). */
  suites?: SrtpSuiteName[] | undefined;
}

export interface AnchorOfferOptions {
  /** Record the call (needs a recording directory). */
  record?: boolean;
  /** Codecs rtpengine adds to the offer and transcodes to and from (ng `codec: { transcode }`); default: the anchor's. */
  transcode?: CodecName[] | undefined;
}

/** ng flags that make rtpengine offer a side in `profile` (the other side keeps its own). */
function profileFlags(profile: FarProfile): Record<string, unknown> {
  const sdes = profile.srtp !== 'off' && profile.suites ? { SDES: RTPENGINE_SDES_SUITES.filter((s) => !profile.suites!.includes(s as SrtpSuiteName)).map((s) => `no-${s}`) } : {};
  return profile.srtp === 'mandatory' ? { 'transport-protocol': 'RTP/SAVP', ...sdes }
    : profile.srtp === 'optional' ? { 'transport-protocol': 'RTP/AVP', OSRTP: ['offer'], ...sdes }
      : { 'transport-protocol': 'RTP/AVP' };
}

interface AnchoredCall {
  id: string;
  daemon: Daemon;
  /** Both sides have spoken (an offer and its answer). */
  answered: boolean;
  /** Which side made the last offer: a change of our side's SDP is a re-answer if it was the far side. */
  lastOffer: Side;
  /** What each side last gave rtpengine. */
  sdp: { far?: string; ours?: string };
  /** What rtpengine last gave our side: its inner address and port, the far party's codecs. */
  inner?: string;
  recording: boolean;
  transcode: CodecName[] | undefined;
}

export class RtpengineAnchor {
  readonly #client: Client;
  readonly #daemons: Daemon[];
  readonly #calls = new Map<string, AnchoredCall>();
  readonly #recordingDir: string | undefined;
  readonly #transcode: CodecName[];
  #next = 0;

  private constructor(client: Client, daemons: Daemon[], options: RtpengineAnchorOptions) {
    this.#client = client;
    this.#daemons = daemons;
    this.#recordingDir = options.recordingDir;
    this.#transcode = options.transcode ?? [];
  }

  /** Whether calls can be recorded (a recording directory is configured). */
  get canRecord(): boolean {
    return this.#recordingDir !== undefined;
  }

  /** Bind the ng client on loopback and ping every daemon; rejects (naming them) if none answers. */
  static async connect(options: RtpengineAnchorOptions): Promise<RtpengineAnchor> {
    const daemons = options.ng.map(parseAddress);
    const client = new Client({ localAddress: '127.0.0.1', timeout: options.timeoutMs ?? 1000, rejectOnError: false });
    await new Promise<void>((resolve, reject) => {
      client.on('listening', () => resolve());
      client.on('error', (err) => reject(err as Error));
    });
    const anchor = new RtpengineAnchor(client, daemons, options);
    const alive = await Promise.all(daemons.map((d) => anchor.#ping(d)));
    if (!alive.some(Boolean)) {
      client.close();
      throw new RtpengineError('RTPENGINE_UNAVAILABLE', `rtpengine does not answer ng ping at ${options.ng.join(', ')}`, options.ng);
    }
    return anchor;
  }

  async #ping(d: Daemon): Promise<boolean> {
    try {
      return (await this.#client.ping(d.port, d.host)).result === 'pong';
    } catch {
      return false;
    }
  }

  /**
   * The far party's offer (an INVITE from the carrier) → the SDP our media engine answers
   * (rtpengine's inner side, plain RTP/AVP). Tries each daemon in turn from the next one; the call
   * stays on the one that answered.
   */
  async offer(callId: string, sdp: string, options: AnchorOfferOptions = {}): Promise<string> {
    const r = await this.#place(callId, FAR, sdp, { 'transport-protocol': 'RTP/AVP' }, options);
    this.#calls.get(callId)!.inner = r;
    return r;
  }

  /** Our answer to the far party's offer → the SDP for the far party (rtpengine's outer side, in its profile). */
  async answer(callId: string, sdp: string): Promise<string> {
    const c = this.#call(callId);
    const out = await this.#ng(c, 'answer', FAR, sdp);
    c.answered = true;
    return out;
  }

  /**
   * Our offer toward the far party (a delayed-offer INVITE's 200 OK, a new leg we place) → the SDP
   * to send it, in `profile` (rtpengine does the SRTP and keeps our side plain).
   */
  async offerOutward(callId: string, sdp: string, profile: FarProfile, options: AnchorOfferOptions = {}): Promise<string> {
    return this.#place(callId, OURS, sdp, profileFlags(profile), options);
  }

  /**
   * Re-offers the far party's last SDP to our side in `profile` — e.g. RTP/SAVP with rtpengine's
   * SDES keys before our side is handed to a human whose leg is SRTP (rtpengine then does SRTP on
   * both sides). The far party sees nothing. Returns the SDP for our side; answer it with repoint().
   */
  async reofferInward(callId: string, profile: FarProfile): Promise<string> {
    const c = this.#call(callId, true);
    const inner = await this.#ng(c, 'offer', FAR, c.sdp.far!, { ...profileFlags(profile), ...(c.transcode ? { codec: { transcode: c.transcode } } : {}) });
    c.inner = inner;
    return inner;
  }

  /** The far party's answer to our offer → the SDP our side takes (rtpengine's inner side). */
  async answerInward(callId: string, sdp: string): Promise<string> {
    const c = this.#call(callId);
    const inner = await this.#ng(c, 'answer', OURS, sdp);
    c.answered = true;
    c.inner = inner;
    return inner;
  }

  /**
   * A re-offer from the far party (a re-INVITE: hold, a new address) → the SDP for our side, which
   * answers it with reanswer(). rtpengine may give our side a new port here.
   */
  async reoffer(callId: string, sdp: string): Promise<string> {
    const c = this.#call(callId, true);
    const inner = await this.#ng(c, 'offer', FAR, sdp, c.transcode ? { codec: { transcode: c.transcode } } : {});
    c.inner = inner;
    return inner;
  }

  /** Our side's answer to the far party's re-offer → the SDP for the far party. */
  async reanswer(callId: string, sdp: string): Promise<string> {
    return this.#ng(this.#call(callId, true), 'answer', FAR, sdp);
  }

  /** Whether the call is anchored here (offered and answered). */
  anchored(callId: string): boolean {
    return this.#calls.get(callId)?.answered === true;
  }

  /** The SDP rtpengine last gave our side: its inner address and port, the far party's codecs. */
  innerOffer(callId: string): string | undefined {
    return this.#calls.get(callId)?.inner;
  }

  /** What our side last gave rtpengine (our engine's SDP, or a human's after a hand-over). */
  ourSdp(callId: string): string | undefined {
    return this.#calls.get(callId)?.sdp.ours;
  }

  /**
   * Points our side of the call somewhere else — e.g. a human's SDP once a transfer is bridged, so
   * rtpengine relays the far party ↔ that human and trunkgate's media engine is out of the path.
   * When the far party made the last offer this is a re-answer; when we did, a re-offer from our
   * side answered with the far party's last SDP. The far party needs no re-INVITE: its side of
   * rtpengine does not change. Returns the far party's SDP as rtpengine now gives it.
   */
  async repoint(callId: string, sdp: string): Promise<string> {
    const c = this.#call(callId, true);
    if (c.lastOffer === FAR) return this.#ng(c, 'answer', FAR, sdp);
    const far = c.sdp.far!;
    const forFar = await this.#ng(c, 'offer', OURS, sdp);
    c.inner = await this.#ng(c, 'answer', OURS, far);
    return forFar;
  }

  #call(callId: string, answered = false): AnchoredCall {
    const c = this.#calls.get(callId);
    if (!c || (answered && !c.answered)) throw new RtpengineError('RTPENGINE_REFUSED', `call ${callId} is not anchored in rtpengine`, []);
    return c;
  }

  /** The first offer of a call, on the next daemon that answers. */
  async #place(callId: string, by: Side, sdp: string, flags: Record<string, unknown>, options: AnchorOfferOptions): Promise<string> {
    const record = options.record === true && this.canRecord;
    const codecs = options.transcode ?? this.#transcode;
    const transcode = codecs.length > 0 ? codecs : undefined;
    const tried: string[] = [];
    for (let i = 0; i < this.#daemons.length; i++) {
      const d = this.#daemons[(this.#next + i) % this.#daemons.length]!;
      tried.push(d.address);
      let r: NgResponse;
      try {
        r = await this.#client.offer(d.port, d.host, {
          'call-id': callId, 'from-tag': by, sdp, ...NG_COMMON, ...flags,
          ...(transcode ? { codec: { transcode } } : {}),
          ...(record ? { 'record call': 'yes' } : {}),
        });
      } catch {
        continue; // timeout: fail over to the next daemon
      }
      this.#next = (this.#next + i + 1) % this.#daemons.length;
      if (r.result !== 'ok' || !r.sdp) throw new RtpengineError('RTPENGINE_REFUSED', `rtpengine ${d.address} refused the offer: ${r['error-reason'] ?? r.result}`, [d.address]);
      this.#calls.set(callId, { id: callId, daemon: d, answered: false, lastOffer: by, sdp: { [by === FAR ? 'far' : 'ours']: sdp }, recording: record, transcode });
      return r.sdp;
    }
    throw new RtpengineError('RTPENGINE_UNAVAILABLE', `no rtpengine answered the offer (${tried.join(', ')})`, tried);
  }

  /**
   * One ng offer or answer on the call's daemon. `offerer` is the side whose offer it is (the
   * from-tag); for an answer the other side speaks. Returns the SDP for the other side.
   */
  async #ng(c: AnchoredCall, op: 'offer' | 'answer', offerer: Side, sdp: string, extra: Record<string, unknown> = {}): Promise<string> {
    const other: Side = offerer === FAR ? OURS : FAR;
    const speaker = op === 'offer' ? offerer : other;
    const d = c.daemon;
    const params = {
      'call-id': c.id, 'from-tag': offerer, ...(op === 'answer' || c.answered ? { 'to-tag': other } : {}),
      sdp, ...NG_COMMON, ...extra,
    };
    let r: NgResponse;
    try {
      r = op === 'offer' ? await this.#client.offer(d.port, d.host, params) : await this.#client.answer(d.port, d.host, params);
    } catch (err) {
      throw new RtpengineError('RTPENGINE_UNAVAILABLE', `rtpengine ${d.address} did not answer the ${op}: ${(err as Error).message}`, [d.address]);
    }
    if (r.result !== 'ok' || !r.sdp) throw new RtpengineError('RTPENGINE_REFUSED', `rtpengine ${d.address} refused the ${op}: ${r['error-reason'] ?? r.result}`, [d.address]);
    c.sdp[speaker === FAR ? 'far' : 'ours'] = sdp;
    if (op === 'offer') c.lastOffer = offerer;
    return r.sdp;
  }

  /** Start recording an anchored call now (ng `start recording`); the file is named in delete()'s result. */
  async startRecording(callId: string): Promise<void> {
    const c = this.#calls.get(callId);
    if (!c) throw new RtpengineError('RTPENGINE_REFUSED', `call ${callId} is not anchored in rtpengine`, []);
    if (!this.canRecord) throw new RtpengineError('RTPENGINE_REFUSED', 'recording needs media.rtpengine.recording_dir (the daemons\' --recording-dir)', [c.daemon.address]);
    if (c.recording) return;
    const r = await this.#client.startRecording(c.daemon.port, c.daemon.host, { 'call-id': callId, 'from-tag': FAR });
    if (r.result !== 'ok') throw new RtpengineError('RTPENGINE_REFUSED', `rtpengine ${c.daemon.address} refused to record: ${r['error-reason'] ?? r.result}`, [c.daemon.address]);
    c.recording = true;
  }

  /** rtpengine's counters for a call now (`query`), or undefined when it is not anchored or the daemon does not answer. */
  async stats(callId: string): Promise<RtpengineStats | undefined> {
    const c = this.#calls.get(callId);
    if (!c) return undefined;
    try {
      const q = await this.#client.query(c.daemon.port, c.daemon.host, { 'call-id': callId });
      const totals = (q.totals ?? {}) as Record<string, unknown>;
      return { daemon: c.daemon.address, rtp: counters(totals.RTP), rtcp: counters(totals.RTCP) };
    } catch {
      return undefined;
    }
  }

  /** End the call on its daemon; its counters, or undefined if it was not anchored or the daemon is gone. */
  async delete(callId: string): Promise<RtpengineStats | undefined> {
    const c = this.#calls.get(callId);
    if (!c) return undefined;
    const d = c.daemon;
    try {
      // rtpengine 10.5 answers `delete` with a bare ok: read the counters with `query` first.
      const stats = await this.stats(callId);
      this.#calls.delete(callId);
      // No delete-delay: rtpengine ends the call (and closes its recording) before it answers.
      await this.#client.delete(d.port, d.host, { 'call-id': callId, 'delete-delay': 0 });
      const file = c.recording ? await this.#recordingFile(callId) : undefined;
      return stats && file ? { ...stats, recording: { file, format: 'pcap' } } : stats;
    } catch {
      return undefined;
    } finally {
      this.#calls.delete(callId);
    }
  }

  /** rtpengine names a pcap recording `<call-id with @ … %-escaped>-<16 hex>.pcap` under pcaps/. */
  async #recordingFile(callId: string): Promise<string | undefined> {
    const dir = join(this.#recordingDir!, 'pcaps');
    const names = await readdir(dir).catch(() => [] as string[]);
    const name = names.find((n) => {
      const m = /^(.*)-[0-9a-f]{16}\.pcap$/.exec(n);
      if (!m) return false;
      try { return decodeURIComponent(m[1]!) === callId; } catch { return m[1] === callId; }
    });
    return name ? join(dir, name) : undefined;
  }

  close(): void {
    this.#client.close();
  }
}
