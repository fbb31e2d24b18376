/**
 * The REST call-control API on node:http: bearer token, JSON bodies validated with the zod
 * schemas of schemas.ts (the same ones openapi.ts documents), and errors as
 * `{ error: { code, message, field? } }` — 400 naming the field, 401, 404 for an unknown call,
 * 409 for an action the call's state does not allow, 503 (Retry-After) for a full trunk.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { Logger } from '../../log.js';
import { synthesize } from '../../agents/builtin/prompts.js';
import { readWav, WavFormatError } from '../../agents/builtin/wav.js';
import { TrunkgateError } from '../../errors.js';
import type { GatewayApp } from '../app/application.js';
import type { Call } from '../app/call.js';
import { RETRY_AFTER_SECONDS } from '../app/admission.js';
import { apiListenAddress, type ApiConfig } from '../config/api.js';
import { OutboundError, type OutboundProgress } from '../outbound/dialer.js';
import { viewOfCall, viewOfDialing } from './call-view.js';
import { openApiDocument } from './openapi.js';
import * as s from './schemas.js';
import { StatusCallback } from './status-callback.js';

/** Largest request body: a WAV for /play in base64 fits. */
const MAX_BODY = 25 * 1024 * 1024;

export interface ApiServerOptions {
  config: ApiConfig;
  app: GatewayApp;
  log: Logger;
  /** Told of every request once answered (metrics): `route` is the template, e.g. `/v1/calls/{id}/hangup`. */
  onRequest?(r: { method: string; route: string; status: number; seconds: number }): void;
}

/** The route template of a path, so metrics labels stay few (one per route, not per call id). */
export function routeTemplate(path: string): string {
  if (path === '/v1/calls' || path === '/v1/openapi.json') return path;
  const m = /^\/v1\/calls\/[^/]+(?:\/(hangup|transfer|dtmf|play))?$/.exec(path);
  if (m) return m[1] ? `/v1/calls/{id}/${m[1]}` : '/v1/calls/{id}';
  return 'other';
}

class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly extra: Record<string, unknown> = {}, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

function fieldOf(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');
}

/** A zod failure as a 400 naming the first field at fault (and listing all of them). */
function invalid(err: z.ZodError): HttpError {
  const issues = err.issues.map((i) => ({ field: fieldOf(i.path), message: i.message }));
  const first = issues[0]!;
  return new HttpError(400, 'invalid_request', first.field ? `${first.field}: ${first.message}` : first.message, { ...(first.field ? { field: first.field } : {}), issues });
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw invalid(r.error);
  return r.data;
}

const ACTIVE = new Set(['answered', 'transferring', 'bridged']);

export class ApiServer {
  readonly #o: ApiServerOptions;
  readonly #server: Server;
  readonly #token: Buffer;
  readonly #doc = JSON.stringify(openApiDocument());

  private constructor(o: ApiServerOptions) {
    this.#o = o;
    this.#token = createHash('sha256').update(o.config.token).digest();
    this.#server = createServer((req, res) => { void this.#handle(req, res); });
  }

  static async start(o: ApiServerOptions): Promise<ApiServer> {
    const api = new ApiServer(o);
    const { host, port } = apiListenAddress(o.config.listen);
    await new Promise<void>((resolve, reject) => {
      api.#server.once('error', reject);
      api.#server.listen(port, host, () => { api.#server.off('error', reject); resolve(); });
    });
    o.log.info({ event: 'api_listening', address: api.address }, 'REST API listening');
    return api;
  }

  get address(): { host: string; port: number } {
    const a = this.#server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeIdleConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    let status = 500;
    try {
      const url = new URL(req.url ?? '/', 'http://api');
      const method = req.method ?? 'GET';
      if (method === 'GET' && url.pathname === '/v1/openapi.json') {
        status = 200;
        res.writeHead(200, { 'content-type': 'application/json' }).end(this.#doc);
        return;
      }
      this.#authorize(req);
      const out = await this.#route(method, url.pathname, req);
      status = out.status;
      send(res, out.status, out.body);
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, 'internal', 'internal error');
      if (!(err instanceof HttpError)) this.#o.log.error({ err, url: req.url }, 'REST API request failed');
      status = e.status;
      send(res, e.status, { error: { code: e.code, message: e.message, ...e.extra } }, e.headers);
    } finally {
      const ms = Date.now() - started;
      this.#o.log.debug({ event: 'api_request', method: req.method, url: req.url, status, ms }, 'REST API request');
      this.#o.onRequest?.({ method: req.method ?? 'GET', route: routeTemplate(new URL(req.url ?? '/', 'http://api').pathname), status, seconds: ms / 1000 });
    }
  }

  #authorize(req: IncomingMessage): void {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    // Compared as hashes: equal lengths for timingSafeEqual, no early exit on the first wrong byte.
    if (!m || !timingSafeEqual(createHash('sha256').update(m[1]!).digest(), this.#token)) {
      throw new HttpError(401, 'unauthorized', m ? 'wrong bearer token' : 'missing bearer token (Authorization: Bearer <api.token>)', {}, { 'WWW-Authenticate': 'Bearer realm="trunkgate"' });
    }
  }

  async #route(method: string, path: string, req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    if (path === '/v1/calls') {
      if (method === 'GET') return { status: 200, body: { calls: this.#list() } };
      if (method === 'POST') return { status: 202, body: this.#create(parse(s.createCallRequest, await readJson(req))) };
      throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${path}`);
    }
    const m = /^\/v1\/calls\/([^/]+)(?:\/(hangup|transfer|dtmf|play))?$/.exec(path);
    if (!m) throw new HttpError(404, 'not_found', `no route ${method} ${path}`);
    const id = decodeURIComponent(m[1]!);
    const action = m[2];
    if (!action) {
      if (method !== 'GET') throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${path}`);
      return { status: 200, body: this.#view(id) };
    }
    if (method !== 'POST') throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${path}`);
    const raw = await readJson(req, action === 'hangup');
    switch (action) {
      case 'hangup': return { status: 200, body: await this.#hangup(id, parse(s.hangupRequest, raw ?? {})) };
      case 'transfer': return { status: 200, body: await this.#transfer(id, parse(s.transferRequest, raw)) };
      case 'dtmf': return { status: 200, body: await this.#dtmf(id, parse(s.dtmfRequest, raw)) };
      default: return { status: 200, body: await this.#play(id, parse(s.playRequest, raw)) };
    }
  }

  #list(): s.CallView[] {
    const now = Date.now();
    return [...[...this.#o.app.calls.values()].map((c) => viewOfCall(c, now)), ...[...this.#o.app.outbound.dialing.values()].map(viewOfDialing)];
  }

  #view(id: string): s.CallView {
    const call = this.#o.app.calls.get(id);
    if (call) return viewOfCall(call);
    const dialing = this.#o.app.outbound.dialing.get(id);
    if (dialing) return viewOfDialing(dialing);
    throw notFound(id);
  }

  #call(id: string): Call {
    const call = this.#o.app.calls.get(id);
    if (!call || call.ended) throw notFound(id);
    return call;
  }

  #active(id: string, action: string): Call {
    const call = this.#call(id);
    if (!ACTIVE.has(call.state) || call.mediaOffloaded) throw new HttpError(409, 'call_state', `cannot ${action} a call that is ${call.state}${call.mediaOffloaded ? ' with direct media' : ''}`);
    return call;
  }

  #create(r: s.CreateCallRequest): { id: string; status: 'dialing' } {
    const log = this.#o.log;
    let callback: StatusCallback | undefined;
    let base: Pick<s.StatusCallbackBody, 'trunk' | 'to' | 'from'> | undefined;
    let id = '';
    const onProgress = (p: OutboundProgress): void => {
      if (!callback || !base) return;
      const common = { id, timestamp: new Date().toISOString(), ...base };
      const body: s.StatusCallbackBody = p.event === 'ringing' ? { ...common, event: 'ringing', sip_status: p.status }
        : p.event === 'answered' ? { ...common, event: 'answered', codec: p.codec }
          : { ...common, event: 'completed', result: p.result, reason: p.reason, duration_ms: p.durationMs, ...(p.hangupBy ? { hangup_by: p.hangupBy } : {}), ...(p.sipStatus ? { sip_status: p.sipStatus } : {}) };
      void callback.send(body);
    };
    try {
      const placed = this.#o.app.outbound.place({
        to: r.to, from: r.from, trunk: r.trunk, agent: r.agent, agentSettings: r.agent_settings, ringTimeoutS: r.ring_timeout_s, headers: r.headers,
      }, onProgress);
      id = placed.id;
      const d = this.#o.app.outbound.dialing.get(id);
      base = { trunk: r.trunk, to: d?.to ?? r.to, from: d?.from ?? r.from ?? '' };
      if (r.status_callback) callback = new StatusCallback({ url: r.status_callback, log: log.child({ callId: id }) });
    } catch (err) {
      if (err instanceof OutboundError) {
        if (err.code === 'OUTBOUND_OVER_CAPACITY' || err.code === 'OUTBOUND_SHUTTING_DOWN') {
          throw new HttpError(503, err.code === 'OUTBOUND_OVER_CAPACITY' ? 'over_capacity' : 'shutting_down', err.message, { field: 'trunk' }, { 'Retry-After': RETRY_AFTER_SECONDS });
        }
        const code = err.code === 'OUTBOUND_UNKNOWN_TRUNK' || err.code === 'OUTBOUND_NOT_CONFIGURED' ? 'invalid_trunk' : err.code === 'OUTBOUND_UNKNOWN_AGENT' ? 'invalid_agent' : 'invalid_request';
        throw new HttpError(400, code, err.message, err.field ? { field: err.field } : {});
      }
      throw err;
    }
    return { id, status: 'dialing' };
  }

  async #hangup(id: string, r: z.output<typeof s.hangupRequest>): Promise<{ ok: true }> {
    const dialing = this.#o.app.outbound.dialing.get(id);
    if (dialing) {
      dialing.cancel(r.reason);
      return { ok: true };
    }
    const call = this.#call(id);
    void call.end('gateway', r.reason);
    return { ok: true };
  }

  async #transfer(id: string, r: z.output<typeof s.transferRequest>): Promise<z.output<typeof s.transferResponse>> {
    const call = this.#active(id, 'transfer');
    if (call.state !== 'answered') throw new HttpError(409, 'call_state', `cannot transfer a call that is ${call.state}`);
    try {
      const o = await this.#o.app.transferCall(call, r.target, {
        mode: r.mode, ...(r.timeout_s ? { timeoutSec: r.timeout_s } : {}), ...(r.whisper ? { whisper: r.whisper } : {}), ...(r.confirm ? { confirm: r.confirm } : {}),
      });
      return { result: o.result, method: o.method, ms: o.ms, ...(o.sipStatus ? { sip_status: o.sipStatus } : {}), ...(o.reason ? { reason: o.reason } : {}) };
    } catch (err) {
      if (err instanceof TrunkgateError && err.code === 'TRANSFER_TARGET_INVALID') throw new HttpError(400, 'invalid_request', err.message, { field: 'target' });
      if (err instanceof TrunkgateError && err.code === 'TRANSFER_IN_PROGRESS') throw new HttpError(409, 'call_state', err.message);
      throw err;
    }
  }

  async #dtmf(id: string, r: z.output<typeof s.dtmfRequest>): Promise<{ ok: true }> {
    const call = this.#active(id, 'send DTMF on');
    await call.session.sendDtmf(r.digits, r.duration_ms ? { durationMs: r.duration_ms } : {});
    return { ok: true };
  }

  async #play(id: string, r: z.output<typeof s.playRequest>): Promise<{ queued_ms: number }> {
    this.#active(id, 'play audio on');
    let audio;
    try {
      audio = r.text !== undefined ? await synthesize(r.text) : readWav(Buffer.from(r.audio_base64!, 'base64'));
    } catch (err) {
      if (err instanceof WavFormatError) throw new HttpError(400, 'invalid_request', err.message, { field: 'audio_base64' });
      throw err;
    }
    // The call may have ended while the speech was synthesised.
    const call = this.#active(id, 'play audio on');
    if (r.interrupt) call.session.clear();
    call.session.play(audio.samples, audio.sampleRate);
    return { queued_ms: Math.round(call.session.queuedMs) };
  }
}

function notFound(id: string): HttpError {
  return new HttpError(404, 'not_found', `no live call with id '${id}'`);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** The request's JSON body; a missing body is `undefined` only where `optional`. */
async function readJson(req: IncomingMessage, optional = false): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'too_large', `request body over ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) {
    if (optional) return undefined;
    throw new HttpError(400, 'invalid_request', 'a JSON body is required');
  }
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, 'unsupported_media_type', 'send the body as application/json');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, 'invalid_json', `body is not JSON: ${(err as Error).message}`);
  }
}
