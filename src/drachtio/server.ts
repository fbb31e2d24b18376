import { rootLogger, type Logger } from '../log.js';
import { SipStack, type SipStackOptions, type Endpoint, type ListenOptions, type SourcePolicy, type TlsClientOptions } from '../sip/index.js';
import { AppRequests } from './app-requests.js';
import { AppResponses } from './app-responses.js';
import { readAppSipText } from './app-sip-text.js';
import type { BridgeContext } from './bridge-context.js';
import { CallState } from './call-state.js';
import { CdrPublisher } from './cdr.js';
import type { AppConnection } from './control/app-connection.js';
import { ControlServer, type SipVerbMessage } from './control/control-server.js';
import { hostportOf, parseContactSpec } from './contact-spec.js';
import { DrachtioError } from './errors.js';
import { NetworkRequests } from './network-requests.js';
import { ProxyCore } from './proxy.js';
import { notifyAckTimeout, teardownApp } from './teardown.js';
import { formatSipFailure } from './wire/messages.js';

export interface DrachtioServerOptions {
  sip: {
    /** drachtio-style contacts, e.g. `sip:127.0.0.1:5090;transport=udp,tcp`. */
    contacts?: string[];
    /** Listener specs, in addition to (or instead of) contacts. */
    listen?: ListenOptions[];
    /** User-Agent / Server value for messages we build. */
    userAgent?: string;
    timers?: SipStackOptions['timers'];
    udpBufferSize?: number;
    /** Call-IDs this server generates end in `@callIdHost` (a cluster instance's id). */
    callIdHost?: string;
    /** TLS connections the server opens (SipStackOptions.tlsClient; default: verify against Node's roots). */
    tlsClient?: TlsClientOptions;
  };
  /** The control listener (drachtio-server's defaults, 127.0.0.1:9022 and `cymru`, are the gateway config schema's). */
  control: { host?: string; port: number; secret: string };
  logger?: Logger;
  /** Called for every SIP packet before it is parsed ('drop' discards it): the gateway's ACL hook. */
  sourcePolicy?: SourcePolicy;
  /**
   * ms a new (out-of-dialog) request from the network may wait for its application's first
   * response before the server forgets it without answering — drachtio-server's CLIENT_TIMEOUT
   * (pending-request-controller.cpp), default 64 000; 0 = never.
   */
  appResponseTimeout?: number;
  /**
   * Option tags requests may Require (RFC 3261 §8.2.2.3); others get 420 Bad Extension with
   * Unsupported. Default DEFAULT_SUPPORTED_EXTENSIONS; false leaves Require to the applications,
   * as drachtio-server does.
   */
  supportedExtensions?: readonly string[] | false;
}

/** What trunkgate's server and gateway implement: reliable provisionals (RFC 3262) and session timers (RFC 4028). */
export const DEFAULT_SUPPORTED_EXTENSIONS: readonly string[] = ['100rel', 'timer'];

export interface DrachtioServerStats {
  applications: number;
  dialogs: number;
  pendingServerRequests: number;
  pendingClientRequests: number;
  stack: ReturnType<SipStack['counters']>;
}

export interface DrachtioServer {
  /** Opens the SIP listeners and the control port. */
  start(): Promise<{ control: { host: string; port: number }; sip: Endpoint[] }>;
  /** Opens the control port only: the SIP listeners wait for `openSip()` (see `routed()`). */
  startControl(): Promise<{ host: string; port: number }>;
  /** Opens the SIP listeners (after `startControl()`). */
  openSip(): Promise<Endpoint[]>;
  /**
   * Resolves once connected applications route every one of these methods. Until then a request
   * for one is answered 503 (as drachtio-server does with no application): a process that runs
   * its application next to the server opens SIP after this, so its first caller is not refused.
   */
  routed(methods: readonly string[]): Promise<void>;
  /** Closes applications' connections, the control port and the SIP stack. Safe to call twice. */
  close(): Promise<void>;
  readonly stats: DrachtioServerStats;
  readonly stack: SipStack;
}

/**
 * An embedded drachtio server: trunkgate's SIP stack driven by unmodified drachtio-srf
 * applications over drachtio's control protocol.
 */
export function createDrachtioServer(options: DrachtioServerOptions): DrachtioServer {
  const logger = (options.logger ?? rootLogger).child({ module: 'drachtio' });
  const listen = [...(options.sip.contacts ?? []).flatMap(parseContactSpec), ...(options.sip.listen ?? [])];
  if (!listen.length) throw new Error('createDrachtioServer: no SIP contact or listener given');
  const stack = new SipStack({
    listen,
    logger,
    // In-dialog requests of calls we proxy have no dialog here; 481 is decided above the stack.
    rejectUnknownDialogs: false,
    ...(options.sourcePolicy ? { sourcePolicy: options.sourcePolicy } : {}),
    ...(options.sip.userAgent ? { userAgent: options.sip.userAgent } : {}),
    ...(options.sip.timers ? { timers: options.sip.timers } : {}),
    ...(options.sip.udpBufferSize ? { udpBufferSize: options.sip.udpBufferSize } : {}),
    ...(options.sip.tlsClient ? { tlsClient: options.sip.tlsClient } : {}),
  });
  const state = new CallState();
  const onSipMessage = (app: AppConnection, msg: SipVerbMessage): void => {
    if (msg.verb === 'proxy') {
      proxy.start(app, msg);
      return;
    }
    let text;
    try {
      text = readAppSipText(msg.sip);
    } catch (err) {
      if (!(err instanceof DrachtioError)) throw err;
      app.send(formatSipFailure(msg.msgId, 'Invalid message format'));
      return;
    }
    if (text.kind === 'response') {
      responses.send(app, msg, text);
      return;
    }
    requests.send(app, msg, text).catch((err: unknown) => {
      logger.error({ err }, 'request from application failed');
      app.send(formatSipFailure(msg.msgId, 'Internal server error sending message'));
    });
  };

  const control = new ControlServer({
    host: options.control.host ?? '127.0.0.1',
    port: options.control.port,
    secret: options.control.secret,
    logger,
    hostports: () => listen.map((l) => hostportOf(stack.localEndpoint(l.protocol) ?? l)),
    onSipMessage,
    onAppGone: (app) => teardownApp(ctx, requests, app),
  });
  const ctx: BridgeContext = {
    stack, registry: control.registry, state, cdr: new CdrPublisher(control.registry), logger,
    appResponseTimeout: options.appResponseTimeout ?? 64_000,
    supportedExtensions: options.supportedExtensions ?? DEFAULT_SUPPORTED_EXTENSIONS,
    ...(options.sip.userAgent ? { userAgent: options.sip.userAgent } : {}),
    ...(options.sip.callIdHost ? { callIdHost: options.sip.callIdHost } : {}),
  };
  const proxy = new ProxyCore(ctx);
  const network = new NetworkRequests(ctx, proxy);
  const requests = new AppRequests(ctx, { onAckSent: (d) => network.releaseHeld(d) });
  const responses = new AppResponses(ctx);
  stack.onRequest((r) => network.onRequest(r));
  stack.onAck((a) => network.onAck(a));
  stack.onCancel((c) => network.onCancel(c));
  stack.onAckTimeout((d) => notifyAckTimeout(ctx, d));
  stack.onReliableTimeout((tx, dialog) => {
    // RFC 3262 §3: the stack rejected the INVITE 503 for want of a PRACK. As drachtio-server
    // (its IIP is cleared, the application's late response fails); a 2xx the app already sent
    // had made a dialog: the app hears it end as after an ACK timeout.
    const p = state.serverByTransaction.get(tx);
    if (p) {
      state.removeServer(p);
      ctx.cdr.publish({ type: 'stop', source: 'network', reason: 'call-rejected' }, p.incoming.raw);
    }
    if (dialog) notifyAckTimeout(ctx, dialog);
  });

  let closed = false;
  return {
    stack,
    async start() {
      const sip = await this.openSip();
      const controlAddr = await this.startControl();
      return { control: controlAddr, sip };
    },
    async startControl() {
      const controlAddr = await control.listen();
      logger.info({ control: controlAddr }, 'drachtio server control port listening');
      return controlAddr;
    },
    async openSip() {
      await stack.start();
      const sip = listen.map((l) => stack.localEndpoint(l.protocol) ?? { protocol: l.protocol, address: l.address, port: l.port });
      logger.info({ sip }, 'drachtio server SIP listening');
      return sip;
    },
    routed(methods) {
      return control.registry.whenRouted(methods);
    },
    async close() {
      if (closed) return;
      closed = true;
      await control.close();
      await stack.close();
    },
    get stats(): DrachtioServerStats {
      return {
        applications: control.apps.size,
        dialogs: state.dialogs.size,
        pendingServerRequests: state.serverRequests.size,
        pendingClientRequests: state.clientRequests.size,
        stack: stack.counters(),
      };
    },
  };
}
