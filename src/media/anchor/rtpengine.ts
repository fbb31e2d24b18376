/**
 * rtpengine as the media anchor: the caller's offer goes through rtpengine's ng `offer`, so
 * trunkgate's media engine answers rtpengine (plain RTP on the inner leg), and our answer goes
 * through `answer`, so the carrier sees rtpengine's address and, for an SRTP caller, rtpengine's
 * SDES keys (rtpengine does SRTP ↔ RTP). `delete` at call end returns its counters.
 *
 * One or several daemons (`ng: ["127.0.0.1:22222", …]`); each call is placed on the next daemon
 * that answers (round robin), and stays there.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, type NgResponse } from 'rtpengine-client';
import { TrunkgateError } from '../../errors.js';

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

export class RtpengineAnchor {
  readonly #client: Client;
  readonly #daemons: Daemon[];
  /** Per anchored call: its daemon, tags, and the SDP rtpengine offered us (its inner side). */
  readonly #calls = new Map<string, { daemon: Daemon; fromTag: string; toTag?: string; inner: string; recording: boolean }>();
  readonly #recordingDir: string | undefined;
  #next = 0;

  private constructor(client: Client, daemons: Daemon[], recordingDir: string | undefined) {
    this.#client = client;
    this.#daemons = daemons;
    this.#recordingDir = recordingDir;
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
    const anchor = new RtpengineAnchor(client, daemons, options.recordingDir);
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
   * The caller's offer → the SDP our media engine answers (rtpengine's inner side, plain RTP/AVP).
   * Tries each daemon in turn from the next one; the call stays on the one that answered.
   */
  async offer(callId: string, fromTag: string, sdp: string, options: { record?: boolean } = {}): Promise<string> {
    const record = options.record === true && this.canRecord;
    const tried: string[] = [];
    for (let i = 0; i < this.#daemons.length; i++) {
      const d = this.#daemons[(this.#next + i) % this.#daemons.length]!;
      tried.push(d.address);
      let r: NgResponse;
      try {
        r = await this.#client.offer(d.port, d.host, {
          'call-id': callId, 'from-tag': fromTag, sdp,
          'transport-protocol': 'RTP/AVP', ICE: 'remove', replace: ['origin', 'session-connection'],
          ...(record ? { 'record call': 'yes' } : {}),
        });
      } catch {
        continue; // timeout: fail over to the next daemon
      }
      this.#next = (this.#next + i + 1) % this.#daemons.length;
      if (r.result !== 'ok' || !r.sdp) throw new RtpengineError('RTPENGINE_REFUSED', `rtpengine ${d.address} refused the offer: ${r['error-reason'] ?? r.result}`, [d.address]);
      this.#calls.set(callId, { daemon: d, fromTag, inner: r.sdp, recording: record });
      return r.sdp;
    }
    throw new RtpengineError('RTPENGINE_UNAVAILABLE', `no rtpengine answered the offer (${tried.join(', ')})`, tried);
  }

  /** Our answer → the SDP for the caller (rtpengine's outer side, in the caller's profile). */
  async answer(callId: string, fromTag: string, toTag: string, sdp: string): Promise<string> {
    const c = this.#calls.get(callId);
    if (!c) throw new RtpengineError('RTPENGINE_REFUSED', `no rtpengine offer for call ${callId}`, []);
    const d = c.daemon;
    const r = await this.#client.answer(d.port, d.host, { 'call-id': callId, 'from-tag': fromTag, 'to-tag': toTag, sdp, ICE: 'remove', replace: ['origin', 'session-connection'] });
    if (r.result !== 'ok' || !r.sdp) throw new RtpengineError('RTPENGINE_REFUSED', `rtpengine ${d.address} refused the answer: ${r['error-reason'] ?? r.result}`, [d.address]);
    c.toTag = toTag;
    return r.sdp;
  }

  /** Whether the call is anchored here (offered and answered). */
  anchored(callId: string): boolean {
    return this.#calls.get(callId)?.toTag !== undefined;
  }

  /** The SDP rtpengine offered for the call's inner leg: its inner address and port, the caller's codecs. */
  innerOffer(callId: string): string | undefined {
    return this.#calls.get(callId)?.inner;
  }

  /**
   * Points the call's inner leg somewhere else: the same `answer` again (a re-answer, as for a
   * re-INVITE) with another party's SDP, e.g. a human's once a transfer is bridged, so rtpengine
   * relays caller ↔ that party and trunkgate's media engine is out of the path. Returns the SDP for
   * the caller's side (rtpengine keeps its ports: the caller needs no re-INVITE).
   */
  async repoint(callId: string, sdp: string): Promise<string> {
    const c = this.#calls.get(callId);
    if (!c?.toTag) throw new RtpengineError('RTPENGINE_REFUSED', `call ${callId} is not anchored in rtpengine`, []);
    return this.answer(callId, c.fromTag, c.toTag, sdp);
  }

  /** Start recording an anchored call now (ng `start recording`); the file is named in delete()'s result. */
  async startRecording(callId: string): Promise<void> {
    const c = this.#calls.get(callId);
    if (!c) throw new RtpengineError('RTPENGINE_REFUSED', `call ${callId} is not anchored in rtpengine`, []);
    if (!this.canRecord) throw new RtpengineError('RTPENGINE_REFUSED', 'recording needs media.rtpengine.recording_dir (the daemons\' --recording-dir)', [c.daemon.address]);
    if (c.recording) return;
    const r = await this.#client.startRecording(c.daemon.port, c.daemon.host, { 'call-id': callId, 'from-tag': c.fromTag });
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
