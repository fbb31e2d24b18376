/**
 * The CDR recorder: follows each admitted INVITE and its Call through their lifecycle and keeps
 * one row per call in the CdrStore — written at the INVITE (admission), updated at the answer,
 * at the end (side and reason, before the BYE's answer can leave) and once the call_end record
 * exists (its figures). The application calls it at four points (CallRecorder); everything else
 * comes from the Call's own state listeners and its call_end record.
 */
import { randomUUID } from 'node:crypto';
import type Srf from 'drachtio-srf';
import type { Logger } from '../../log.js';
import type { Admitted, Refusal } from '../app/admission.js';
import type { Call } from '../app/call.js';
import { callNumbers, targetName } from '../app/inbound-setup.js';
import type { CdrWebhookConfig } from '../config/cdr.js';
import { CdrStore, CRASHED_REASON, type EndColumns } from './store.js';
import { CdrWebhook } from './webhook.js';

/** What the application tells a recorder (GatewayAppOptions.recorder). */
export interface CallRecorder {
  /** An INVITE was admitted (trunk, auth, route, capacity): the call exists from here on. */
  invited(req: Srf.SrfRequest, res: Srf.SrfResponse, admitted: Admitted): void;
  /** Its Call exists (media up). */
  attach(res: Srf.SrfResponse, call: Call): void;
  /** A refusal was sent for it (before a Call existed, or while one was set up). */
  refused(res: Srf.SrfResponse, refusal: Refusal): void;
  /** Its set-up is over (with or without a Call). */
  settled(res: Srf.SrfResponse): void;
  /** An outbound call is being placed (src/gateway/outbound): the call exists from here on. */
  dialing(o: OutboundDialing): void;
  /** The outbound call was answered and its Call exists. */
  dialed(callId: string, call: Call): void;
  /** The outbound call ended before an answer (busy, no answer, canceled …). */
  notAnswered(callId: string, o: { sipStatus: number | undefined; by: 'caller' | 'gateway'; reason: string }): void;
}

/** An outbound call's row at INVITE time. */
export interface OutboundDialing {
  callId: string;
  trunk: string;
  from: string;
  to: string;
  dialled: string;
  agent: string;
  /** Where the INVITE goes (the trunk's outbound proxy). */
  proxy: string;
}

interface Rec {
  id: string;
  /** When the INVITE was admitted (ms). */
  at: number;
  callId: string;
  call: Call | undefined;
  answered: boolean;
  done: boolean;
  canceled: boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Token usage an agent reported in its summary (`realtime.usage` from openai-realtime, or any field's `usage`). */
function tokens(record: Readonly<Record<string, unknown>>): { input: number | null; output: number | null; total: number | null } {
  let input: number | null = null;
  let output: number | null = null;
  let total: number | null = null;
  const add = (a: number | null, v: unknown): number | null => (typeof v === 'number' ? (a ?? 0) + v : a);
  for (const v of Object.values(record)) {
    const usage = (v as { usage?: Record<string, unknown> } | null)?.usage;
    if (!usage || typeof usage !== 'object') continue;
    input = add(input, usage.inputTokens);
    output = add(output, usage.outputTokens);
    total = add(total, usage.totalTokens);
  }
  return { input, output, total };
}

/** The columns of a call_end record (Call#endRecord, fields as in docs/gateway.md). */
export function endColumns(call: Call, record: Readonly<Record<string, unknown>>, inviteAt: number, endAt: number): EndColumns {
  const t = tokens(record);
  const transfer = record.transfer as { result?: unknown } | undefined;
  return {
    codec: typeof record.codec === 'string' ? record.codec : null,
    answer_at: call.answeredAt !== undefined ? iso(call.answeredAt) : null,
    end_at: iso(endAt),
    // INVITE (admitted) → 200 OK; call_end's setupMs counts from the Call's creation (media up).
    setup_ms: call.answeredAt !== undefined ? call.answeredAt - inviteAt : null,
    duration_ms: num(record.durationMs),
    sip_status: num(record.sipStatus),
    hangup_by: typeof record.hangupBy === 'string' ? record.hangupBy : null,
    hangup_reason: typeof record.reason === 'string' ? record.reason : null,
    transfer_result: typeof transfer?.result === 'string' ? transfer.result : null,
    transfers: num(record.transfers),
    packets_in: num(record.packetsIn),
    packets_out: num(record.packetsOut),
    packets_lost: num(record.packetsLost),
    jitter_ms: num(record.jitterMs),
    late_frames: num(record.lateFrames),
    dtmf_in: num(record.dtmfIn),
    rtt_ms: num(record.rttMs),
    remote_packets_lost: num(record.remotePacketsLost),
    input_tokens: t.input,
    output_tokens: t.output,
    total_tokens: t.total,
    end_record: JSON.stringify(record),
  };
}

const EMPTY_END: Omit<EndColumns, 'end_at' | 'sip_status' | 'hangup_by' | 'hangup_reason'> = {
  codec: null, answer_at: null, setup_ms: null, duration_ms: null, transfer_result: null, transfers: null, packets_in: null, packets_out: null,
  packets_lost: null, jitter_ms: null, late_frames: null, dtmf_in: null, rtt_ms: null, remote_packets_lost: null,
  input_tokens: null, output_tokens: null, total_tokens: null, end_record: null,
};

export interface CdrRecorderOptions {
  path: string;
  instance: string;
  webhook?: CdrWebhookConfig | undefined;
  logger: Logger;
}

export class CdrRecorder implements CallRecorder {
  readonly store: CdrStore;
  readonly #log: Logger;
  readonly #webhook: CdrWebhook | undefined;
  readonly #byRes = new WeakMap<Srf.SrfResponse, Rec>();
  /** Outbound calls being placed, by Call-ID (until answered or not). */
  readonly #dialing = new Map<string, Rec>();
  readonly #onExit = (): void => this.store.close();
  #closing: Promise<void> | undefined;

  /**
   * Opens the database (CdrError CDR_OPEN / CDR_SCHEMA when it cannot), marks what a previous
   * process of this instance left in flight, and resends webhooks it left pending.
   */
  constructor(options: CdrRecorderOptions) {
    this.#log = options.logger.child({ component: 'cdr' });
    this.store = new CdrStore({
      path: options.path, instance: options.instance,
      onWriteError: (err, what, cdrId) => this.#log.error({ event: 'cdr_write_failed', err, cdrId, what }, `CDR ${what} write failed`),
    });
    const recovered = this.store.recover(options.webhook !== undefined);
    this.#log.info({ event: 'cdr_open', path: options.path, instance: options.instance, ...recovered }, recovered.crashed > 0
      ? `CDRs in ${options.path}: ${recovered.crashed} calls left in flight by a previous run marked ${CRASHED_REASON}`
      : `CDRs in ${options.path}`);
    if (options.webhook) {
      this.#webhook = new CdrWebhook({ config: options.webhook, store: this.store, logger: this.#log });
      for (const row of this.store.pendingWebhooks()) this.#webhook.send(row);
    }
    // The writes of the current event-loop turn are committed by close() even when the process exits without stop().
    process.once('exit', this.#onExit);
  }

  /** One write (queued for this turn's commit); a failing one (disk full, locked for 5 s) is logged and the call goes on. */
  #write(rec: Rec, what: string, fn: () => void): void {
    if (this.store.closed) return;
    try {
      fn();
    } catch (err) {
      this.#log.error({ event: 'cdr_write_failed', err, cdrId: rec.id, callId: rec.callId, what }, `CDR ${what} write failed`);
    }
  }

  invited(req: Srf.SrfRequest, res: Srf.SrfResponse, admitted: Admitted): void {
    const rec: Rec = { id: randomUUID(), at: Date.now(), callId: req.get('Call-ID'), call: undefined, answered: false, done: false, canceled: false };
    this.#byRes.set(res, rec);
    req.on('cancel', () => { rec.canceled = true; });
    this.#write(rec, 'invite', () => {
      const n = callNumbers(req, admitted.trunk, admitted);
      this.store.invited({
        id: rec.id, sip_call_id: rec.callId, direction: 'inbound', trunk: admitted.trunk.name, from_number: n.from, to_number: n.to,
        dialled: admitted.dialled, agent: targetName(admitted.target), source: `${req.source_address}:${req.source_port}`, invite_at: iso(rec.at),
      });
    });
  }

  attach(res: Srf.SrfResponse, call: Call): void {
    const rec = this.#byRes.get(res);
    if (!rec || rec.call) return;
    this.#follow(rec, call);
  }

  dialing(o: OutboundDialing): void {
    const rec: Rec = { id: randomUUID(), at: Date.now(), callId: o.callId, call: undefined, answered: false, done: false, canceled: false };
    this.#dialing.set(o.callId, rec);
    this.#write(rec, 'invite', () => this.store.invited({
      id: rec.id, sip_call_id: o.callId, direction: 'outbound', trunk: o.trunk, from_number: o.from, to_number: o.to,
      dialled: o.dialled, agent: o.agent, source: o.proxy, invite_at: iso(rec.at),
    }));
  }

  dialed(callId: string, call: Call): void {
    const rec = this.#dialing.get(callId);
    this.#dialing.delete(callId);
    if (rec && !rec.call) this.#follow(rec, call);
  }

  notAnswered(callId: string, o: { sipStatus: number | undefined; by: 'caller' | 'gateway'; reason: string }): void {
    const rec = this.#dialing.get(callId);
    this.#dialing.delete(callId);
    if (!rec || rec.done) return;
    rec.done = true;
    this.#finish(rec, () => this.store.ended(rec.id, { ...EMPTY_END, end_at: iso(Date.now()), sip_status: o.sipStatus ?? null, hangup_by: o.by, hangup_reason: o.reason }, this.#webhook ? 'pending' : null));
  }

  /** From its Call on, a call's row follows the Call's states and ends with its call_end record. */
  #follow(rec: Rec, call: Call): void {
    rec.call = call;
    const answered = (): void => {
      if (rec.answered || call.answeredAt === undefined) return;
      rec.answered = true;
      this.#write(rec, 'answer', () => this.store.answered(rec.id, iso(call.answeredAt!), call.caller.media.codec.name));
    };
    answered();
    call.onState((state) => {
      if (state === 'answered' || state === 'bridged') return answered();
      if (state === 'ending') {
        // Written before the BYE's 200 OK (or ours) can leave: a call the far end saw end is finished here.
        const end = call.endedBy!;
        if (call.answeredAt !== undefined) answered();
        return this.#write(rec, 'end', () => this.store.ending(rec.id, iso(Date.now()), end.by, end.reason));
      }
      if (state === 'ended' && !rec.done) {
        rec.done = true;
        const record = call.endRecord ?? { hangupBy: call.endedBy?.by, reason: call.endedBy?.reason };
        this.#finish(rec, () => this.store.ended(rec.id, endColumns(call, record, rec.at, Date.now()), this.#webhook ? 'pending' : null));
      }
    });
  }

  refused(res: Srf.SrfResponse, refusal: Refusal): void {
    const rec = this.#byRes.get(res);
    // A call refused while its Call existed (agent unavailable …) ends through the Call.
    if (!rec || rec.call || rec.done) return;
    rec.done = true;
    this.#finish(rec, () => this.store.ended(rec.id, { ...EMPTY_END, end_at: iso(Date.now()), sip_status: refusal.status, hangup_by: 'gateway', hangup_reason: refusal.reason }, this.#webhook ? 'pending' : null));
  }

  settled(res: Srf.SrfResponse): void {
    const rec = this.#byRes.get(res);
    if (!rec || rec.call || rec.done) return;
    // Set-up over without a Call and without a refusal of ours: the caller canceled (487), or the answer failed.
    rec.done = true;
    const canceled = rec.canceled || res.statusCode === 487;
    // The server answers a CANCELed INVITE 487 itself (RFC 3261 §9.2); the app's response object never saw it.
    const status = canceled ? 487 : res.statusCode ?? null;
    this.#finish(rec, () => this.store.ended(rec.id, {
      ...EMPTY_END, end_at: iso(Date.now()), sip_status: status, hangup_by: canceled ? 'caller' : 'gateway',
      hangup_reason: canceled ? 'canceled before answer' : 'set-up ended without a call',
    }, this.#webhook ? 'pending' : null));
  }

  #finish(rec: Rec, write: () => void): void {
    this.#write(rec, 'final', write);
    if (!this.#webhook || this.store.closed) return;
    // After this turn's commit: the payload is the row as stored.
    setImmediate(() => {
      if (this.store.closed) return;
      const row = this.store.get(rec.id);
      if (row) this.#webhook?.send(row);
    });
  }

  /** Lets webhooks under way finish (briefly), then closes the database. Safe to call twice. */
  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      await this.#webhook?.close();
      process.off('exit', this.#onExit);
      this.store.close();
    })());
  }
}
