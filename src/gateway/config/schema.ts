/**
 * The gateway's configuration file (YAML in sip-configs/), validated with zod. Field names are
 * snake_case as written in the file; `ConfigFile` is the validated, defaulted result and
 * `GatewayConfig` what load.ts normalises it into for the application.
 */
import { isIPv4 } from 'node:net';
import { z } from 'zod';
import { BUILTIN_AGENTS, BUILTIN_SETTINGS } from '../../agents/registry.js';
import { DEFAULT_WORKER_NICE, DEFAULT_WORKER_REALTIME } from '../../media/worker/thread-priority.js';
import { parseCidr } from '../edge/cidr.js';
import { clusterSchema } from './cluster.js';
import { compilePattern } from '../routing/numbers.js';
import { metricsSchema } from './metrics.js';
import { mediaTimeoutFields } from './media-timeouts.js';
import { cdrSchema } from './cdr.js';
import { apiConfigSchema } from './api.js';
import { trunkOutboundSchema } from './outbound.js';
import { legSrtpFields, legSrtpIssue } from './leg-srtp.js';

const codecName = z.enum(['PCMU', 'PCMA', 'G722', 'opus']);

/** A bare address is one host: written out as /32 (/128) here; load.ts notes it at start-up. */
const cidr = z.string().refine((s) => {
  try { parseCidr(s); return true; } catch { return false; }
}, { message: 'not an IPv4/IPv6 CIDR (e.g. 203.0.113.0/24, 2001:db8::/32, or 203.0.113.7/32 for one host)' })
  .transform((s) => (s.includes('/') ? s : `${s.trim()}/${isIPv4(s.trim()) ? 32 : 128}`));

const sipUri = z.string().regex(/^sips?:[^\s]+$/i, { message: 'not a SIP URI (sip:user@host[:port])' });

const listen = z.object({
  address: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(5060),
  transport: z.enum(['udp', 'tcp', 'tls']).default('udp'),
  /** TLS only: PEM certificate chain and private key files, and optionally CA certificates (src/gateway/config/tls.ts reads them). */
  cert: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  ca: z.string().min(1).optional(),
}).strict().superRefine((l, ctx) => {
  if (l.transport !== 'tls') {
    for (const f of ['cert', 'key', 'ca'] as const) if (l[f] !== undefined) ctx.addIssue({ code: 'custom', message: `${f} is only for transport: tls`, path: [f] });
    return;
  }
  if (!l.cert) ctx.addIssue({ code: 'custom', message: 'a tls listener needs cert (PEM file)', path: ['cert'] });
  if (!l.key) ctx.addIssue({ code: 'custom', message: 'a tls listener needs key (PEM file)', path: ['key'] });
});

/**
 * TLS connections the gateway opens (legs to `outbound.proxy`, transfer targets, SIP routes,
 * REFER targets over `sips:` / `;transport=tls`): the server's certificate is checked against
 * the host of the URI (RFC 5922 §7.3); src/gateway/config/tls.ts reads the files.
 */
const tlsClient = z.object({
  /** Check the server's certificate chain and name; false accepts any certificate. */
  verify_server: z.boolean().default(true),
  /** PEM file of CA certificates trusted in addition to Node's bundled roots. */
  ca: z.string().min(1).optional(),
  /** PEM certificate chain and private key presented to servers that ask for a client certificate (mutual TLS). */
  cert: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
}).strict().superRefine((c, ctx) => {
  if (c.cert !== undefined && c.key === undefined) ctx.addIssue({ code: 'custom', message: 'cert needs key (PEM file)', path: ['key'] });
  if (c.key !== undefined && c.cert === undefined) ctx.addIssue({ code: 'custom', message: 'key needs cert (PEM file)', path: ['cert'] });
});

/** drachtio's control listener: where drachtio-srf applications connect, and the secret they give. */
const embeddedControl = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(9022),
  secret: z.string().min(1).default('cymru'),
}).strict();

/** The control listener's defaults (drachtio-server's): also those of `trunkgate server`. */
export const DRACHTIO_CONTROL_DEFAULTS: Readonly<z.output<typeof embeddedControl>> = Object.freeze(embeddedControl.parse({}));

const drachtio = z.object({
  /** Run drachtio's server side in this process (the default). */
  embedded: embeddedControl.optional(),
  /** Connect to a real drachtio-server instead. */
  external: z.object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(9022),
    secret: z.string().min(1),
  }).strict().optional(),
}).strict().refine((d) => !(d.embedded && d.external), { message: 'choose embedded or external, not both' });

const sipHeaders = z.record(z.string().regex(/^[A-Za-z0-9!%*_+`'~.-]+$/, { message: 'not a SIP header name' }), z.string());

const route = z.object({
  /** '*' for any number, digits with a trailing '*' for a prefix, an exact number, or /regex/. */
  pattern: z.string().min(1),
  /** The agent that takes matching calls … */
  agent: z.string().min(1).optional(),
  /** … or a SIP endpoint they are bridged to (a SIP-native AI platform, a PBX). */
  sip: sipUri.optional(),
  /** Digest credentials for the SIP endpoint (401/407). */
  auth: z.object({ username: z.string().min(1), password: z.string().min(1) }).strict().optional(),
  /** Extra headers on the INVITE to the SIP endpoint. */
  headers: sipHeaders.optional(),
  /** SRTP toward the SIP endpoint (leg-srtp.ts). */
  ...legSrtpFields,
}).strict().refine((r) => (r.agent === undefined) !== (r.sip === undefined), { message: "a route needs exactly one of 'agent' or 'sip'", path: ['agent'] })
  .superRefine((r, ctx) => { const issue = r.sip && legSrtpIssue(r.sip, r); if (issue) ctx.addIssue({ code: 'custom', message: issue, path: ['srtp'] }); });

/** How this trunk's calls are transferred to humans (src/gateway/transfer). */
const trunkTransfer = z.object({
  /** auto: REFER when the caller's Allow lists REFER, else bridge; refer: REFER only; bridge: a new leg from the gateway. */
  method: z.enum(['auto', 'refer', 'bridge']).default('auto'),
  /** No final NOTIFY within this time: the REFER failed (auto falls back to a bridge). */
  refer_timeout_s: z.number().positive().default(30),
  /** Bridged media: relay through trunkgate's media engine, or direct (re-INVITE the caller with the human's SDP). */
  media: z.enum(['relay', 'direct']).default('relay'),
  /** Phone-number targets in Refer-To: sip:<number>@<host> or tel:<number> (RFC 3966), as the carrier wants. */
  uri_scheme: z.enum(['sip', 'tel']).default('sip'),
  /**
   * How a warm transfer ends once the human accepted: bridge (the gateway keeps both legs), or
   * replaces — REFER the caller to the human's dialog with Replaces (RFC 3891) so both legs leave
   * trunkgate (needs a carrier that supports it; a refused REFER falls back to the bridge).
   */
  warm_completion: z.enum(['bridge', 'replaces']).default('bridge'),
}).strict();

/** REFER received from the trunk (a PBX passing the call on). Default: refused with 403. */
const acceptRefer = z.object({
  /** Transfer target names, number patterns (as in routes) or SIP URI globs (sip:*@pbx.example.com). */
  allow: z.array(z.string().min(1)).default([]),
}).strict();

const trunk = z.object({
  name: z.string().min(1),
  sources: z.array(cidr).min(1),
  auth: z.object({
    username: z.string().min(1),
    password: z.string().min(1),
    realm: z.string().min(1).optional(),
  }).strict().optional(),
  codecs: z.array(codecName).min(1).default(['PCMU', 'PCMA', 'G722', 'opus']),
  max_calls: z.number().int().min(1).default(100),
  /** Country calling code used to normalise national numbers (e.g. '91'). */
  country_code: z.string().regex(/^\d{1,3}$/).optional(),
  /** National trunk prefix (usually '0'). */
  national_prefix: z.string().regex(/^\d{0,2}$/).default('0'),
  routes: z.array(route).min(1),
  /** YAML reads an unquoted 403 as a number: the same choice. */
  on_reject: z.preprocess((v) => (v === 403 ? '403' : v), z.enum(['drop', '403'], { message: 'on_reject must be drop (no answer) or 403 (Forbidden)' })).default('drop'),
  /** Send 183 Session Progress instead of 180 Ringing before answering. */
  early_media: z.boolean().default(false),
  custom_parameters: z.record(z.string(), z.string()).default({}),
  /** Final response when the agent ends the call before it was answered (bot unreachable, hang-up in start). */
  agent_unavailable_status: z.union([z.literal(480), z.literal(503)]).default(480),
  transfer: trunkTransfer.prefault({}),
  /** Where this trunk sends calls the gateway places (config/outbound.ts). */
  outbound: trunkOutboundSchema.optional(),
  accept_refer: acceptRefer.prefault({}),
  /**
   * SRTP (RFC 3711) with SDES keys (RFC 4568): `optional` uses it when the caller offers a=crypto,
   * `mandatory` refuses plain RTP with 488. Keys travel in the SDP, so only over TLS unless
   * `srtp_keys_without_tls` (docs/security.md).
   */
  srtp: z.enum(['off', 'optional', 'mandatory']).default('off'),
  srtp_suites: z.array(z.enum(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'])).min(1).default(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32']),
  srtp_keys_without_tls: z.boolean().default(false),
  /** Record every call of this trunk in rtpengine (media.anchor: rtpengine with rtpengine.recording_dir); the file is in call_end. */
  record: z.boolean().default(false),
  /**
   * Where the caller's RTP may come from: `latch` (symmetric RTP: the SDP's address until three
   * valid packets of the signalled address family come from one source, then that source only —
   * for callers behind NAT) or `strict` (only the SDP's address and port, RTCP only from its RTCP
   * address — for carriers whose media address is fixed).
   */
  rtp_source: z.enum(['latch', 'strict']).default('latch'),
  /**
   * Mutual TLS for this trunk's requests: `verify_peer` takes them only over TLS from a client
   * certificate the listener's `ca` verifies, whose CN or subjectAltName is in `allowed_names`
   * (when given); anything else from the trunk's sources is dropped at the edge.
   */
  tls: z.object({
    verify_peer: z.boolean().default(false),
    allowed_names: z.array(z.string().min(1)).default([]),
    /**
     * Names accepted in the certificate of a TLS server at one of this trunk's `sources` when
     * the URI trunkgate connects to gives an IP address rather than a name (the Contact of the
     * trunk's calls, an `outbound.proxy` written as an address). Default none: the certificate
     * must then name that IP address.
     */
    server_names: z.array(z.string().min(1)).default([]),
  }).strict().prefault({}),
}).strict();

const agentTypes = (): string[] => [...Object.keys(BUILTIN_AGENTS), 'module'];

const agent = z.object({
  type: z.string().min(1).refine((t) => agentTypes().includes(t), { error: (i) => `unknown agent type '${String(i.input)}' (valid types: ${agentTypes().join(', ')})` }),
  /** For type 'module': path of a module exporting a factory (default export or createAgent). */
  module: z.string().min(1).optional(),
  settings: z.record(z.string(), z.unknown()).default({}),
}).strict().refine((a) => a.type !== 'module' || a.module !== undefined, { message: "type 'module' needs 'module: <path>'", path: ['module'] });

const transferTarget = z.object({
  /** A SIP URI, or tel:/a phone number (placed through the trunk's outbound settings). */
  uri: z.string().regex(/^(sips?:[^\s]+|tel:\+?[0-9*#()-.]+|\+?[0-9]{3,20})$/i, { message: 'not a SIP URI (sip:user@host[:port]), tel: URI or phone number' }),
  /** Caller ID the human sees: 'caller' (default: the caller's number), 'gateway', or a number. */
  caller_id: z.string().min(1).default('caller'),
  /** Ring time, seconds. */
  timeout_s: z.number().positive().default(30),
  /** Extra headers on the INVITE to the human. */
  headers: sipHeaders.default({}),
  /** SRTP toward the human (leg-srtp.ts). */
  ...legSrtpFields,
}).strict().superRefine((t, ctx) => { const issue = legSrtpIssue(t.uri, t); if (issue) ctx.addIssue({ code: 'custom', message: issue, path: ['srtp'] }); });

const media = z.object({
  ...mediaTimeoutFields,
  address: z.string().default('127.0.0.1'),
  /** The address written in SDP (defaults to `address`). */
  public_address: z.string().optional(),
  port_min: z.number().int().min(1024).max(65534).default(30000),
  port_max: z.number().int().min(1025).max(65535).default(39999),
  jitter_min_ms: z.number().int().min(0).default(20),
  jitter_max_ms: z.number().int().min(0).default(200),
  ptime: z.number().int().refine((p) => [10, 20, 30, 40, 60].includes(p), { message: 'ptime must be 10, 20, 30, 40 or 60' }).default(20),
  /** Media worker threads: 0 = MediaSessions in the main thread; 'auto' = one per core when there is more than one. */
  workers: z.union([z.number().int().min(0), z.literal('auto')]).default('auto'),
  /** UDP layer of the media sockets: 'native' = the batched epoll/recvmmsg pump (native/udp-pump), 'dgram' = Node's dgram, 'auto' = native when built. */
  udp: z.enum(['auto', 'native', 'dgram']).default('auto'),
  /** Nice value of the media worker threads (−20 … 19; needs CAP_SYS_NICE to go below 0), null = the process's. */
  worker_nice: z.number().int().min(-20).max(19).nullable().default(DEFAULT_WORKER_NICE),
  /**
   * SCHED_RR priority (1–99) of the media worker threads, asked for before worker_nice (needs
   * CAP_SYS_NICE and the native addon; otherwise a warning and the nice value); null = nice only.
   */
  worker_realtime_priority: z.number().int().min(1).max(99).nullable().default(DEFAULT_WORKER_REALTIME),
  /** 'rtpengine': the caller's media is anchored in rtpengine (src/media/anchor/rtpengine.ts); 'local' (default): straight to our engine. */
  anchor: z.enum(['local', 'rtpengine']).default('local'),
  /** rtpengine daemons' ng control addresses (host:port), and how long an ng command may take. */
  rtpengine: z.object({
    ng: z.array(z.string().regex(/^\[?[^\s\]]+\]?:\d+$/, { message: 'not host:port' })).min(1),
    timeout_ms: z.number().int().min(50).default(1000),
    /** The daemons' --recording-dir (with --recording-method=pcap): calls can then be recorded (trunk `record`, io.record()). */
    recording_dir: z.string().min(1).optional(),
    /**
     * Codecs rtpengine adds to every offer it passes on and transcodes to and from (ng `codec:
     * { transcode }`): a caller offering only G.722 can then reach a PCMU-only trunk, rtpengine
     * doing the G.722 ↔ PCMU work instead of trunkgate.
     */
    transcode: z.array(codecName).default([]),
  }).strict().optional(),
}).strict().refine((m) => m.anchor !== 'rtpengine' || m.rtpengine !== undefined, { message: "anchor: rtpengine needs rtpengine: { ng: ['host:port'] }", path: ['rtpengine'] }).refine((m) => m.port_min < m.port_max, { message: 'port_min must be below port_max', path: ['port_max'] })
  .refine((m) => m.jitter_min_ms <= m.jitter_max_ms, { message: 'jitter_min_ms must not exceed jitter_max_ms', path: ['jitter_max_ms'] });

const sessionTimers = z.object({
  enabled: z.boolean().default(true),
  /** RFC 4028 §4 Session-Expires we ask for, seconds. */
  session_expires: z.number().int().min(1).default(1800),
  /** RFC 4028 §5 Min-SE; 90 is the RFC minimum, lower values are for tests only. */
  min_se: z.number().int().min(1).default(90),
}).strict();

const edge = z.object({
  /** Token bucket per source address: sustained requests per second and burst size. */
  rate_per_second: z.number().positive().default(500),
  burst: z.number().int().min(1).default(1000),
  /** Extra User-Agent fragments to treat as scanners (case-insensitive). */
  scanner_user_agents: z.array(z.string().min(1)).default([]),
}).strict();

export const configSchema = z.object({
  sip: z.object({
    /** Default: one UDP listener on 127.0.0.1 with the listener's own defaults (port 5060). */
    listen: z.array(listen).min(1).prefault([{ address: '127.0.0.1' }]),
    tls_client: tlsClient.prefault({}),
  }).strict().prefault({}),
  drachtio: drachtio.prefault({}),
  trunks: z.array(trunk).min(1),
  agents: z.record(z.string(), agent).default({}),
  transfer_targets: z.record(z.string(), transferTarget).default({}),
  media: media.prefault({}),
  session_timers: sessionTimers.prefault({}),
  edge: edge.prefault({}),
  cdr: cdrSchema.prefault({}),
  cluster: clusterSchema.prefault({}),
  shutdown: z.object({ grace_seconds: z.number().min(0).default(30) }).strict().prefault({}),
  metrics: metricsSchema.optional(),
  api: apiConfigSchema.optional(),
  logging: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).strict().prefault({}),
}).strict().superRefine((cfg, ctx) => {
  const names = new Set<string>();
  for (const [name, a] of Object.entries(cfg.agents)) {
    const check = BUILTIN_SETTINGS[a.type];
    if (!check) continue;
    try { check(a.settings); } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message, path: ['agents', name, 'settings'] });
    }
  }
  cfg.trunks.forEach((t, i) => {
    if (t.record && !(cfg.media.anchor === 'rtpengine' && cfg.media.rtpengine?.recording_dir)) ctx.addIssue({ code: 'custom', message: 'record: true needs media.anchor: rtpengine with rtpengine.recording_dir', path: ['trunks', i, 'record'] });
    if (names.has(t.name)) ctx.addIssue({ code: 'custom', message: `duplicate trunk name '${t.name}'`, path: ['trunks', i, 'name'] });
    names.add(t.name);
    t.routes.forEach((r, j) => {
      try { compilePattern(r.pattern); } catch {
        ctx.addIssue({ code: 'custom', message: `invalid number pattern '${r.pattern}' (use *, +9198*, an exact number or /regex/)`, path: ['trunks', i, 'routes', j, 'pattern'] });
      }
      if (r.agent !== undefined && !(r.agent in cfg.agents) && !BUILTIN_AGENT_NAMES.includes(r.agent)) {
        ctx.addIssue({ code: 'custom', message: `unknown agent '${r.agent}' (define it under agents: or use ${BUILTIN_AGENT_NAMES.join('/')})`, path: ['trunks', i, 'routes', j, 'agent'] });
      }
    });
  });
});

/** Agents usable in routes without an `agents:` entry. */
export const BUILTIN_AGENT_NAMES = ['echo', 'demo'];

/** The file as validated and defaulted, still as written. */
export type ConfigFile = z.output<typeof configSchema>;

/** Where drachtio-srf connects: the embedded server's control listener, or an external drachtio-server. */
export interface DrachtioTarget {
  mode: 'embedded' | 'external';
  host: string;
  port: number;
  secret: string;
}

/** What the application uses: the file normalised once, by `normalizeConfig` in load.ts. */
export type GatewayConfig = Omit<ConfigFile, 'drachtio' | 'media'> & {
  drachtio: DrachtioTarget;
  media: ConfigFile['media'] & {
    /** The address written in SDP: `public_address`, else `address`. */
    sdp_address: string;
  };
};
export type TrunkConfig = GatewayConfig['trunks'][number];
export type AgentConfig = GatewayConfig['agents'][string];
export type RouteConfig = TrunkConfig['routes'][number];
export type TransferTargetConfig = GatewayConfig['transfer_targets'][string];
