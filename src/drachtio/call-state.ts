import type { Dialog, SipRequest, ClientTransaction, ServerTransaction, IncomingRequest } from '../sip/index.js';
import type { AppConnection } from './control/app-connection.js';

/** A request from the network that an application still has to answer (drachtio's "pending request"). */
export interface PendingServerRequest {
  id: string;
  app: AppConnection;
  incoming: IncomingRequest;
  transaction: ServerTransaction;
  /** Our To tag for every response of this transaction (so 1xx and 2xx create the same dialog). */
  localTag: string;
  /** Set for in-dialog requests. */
  dialog?: DrachtioDialog;
  canceled: boolean;
  /** drachtio-server's pending-request timer (CLIENT_TIMEOUT), until the application's first response. */
  appTimer?: NodeJS.Timeout | undefined;
}

/** A request an application sent, awaiting its final response. */
export interface PendingClientRequest {
  id: string;
  app: AppConnection;
  request: SipRequest;
  transaction: ClientTransaction;
  dialog?: DrachtioDialog;
  /** A provisional arrived, so a CANCEL may be sent (§9.1). */
  provisional: boolean;
  /** The early dialog a reliable provisional set up (drachtio-server adds it so the app can PRACK). */
  earlyDialog?: DrachtioDialog;
  /** CANCEL asked for before any provisional: sent when the first one arrives. */
  cancelWanted: boolean;
  canceled: boolean;
}

/** A dialog an application owns, named as drachtio names it: `<Call-ID>;from-tag=<From tag>`. */
export interface DrachtioDialog {
  id: string;
  app: AppConnection;
  stack: Dialog;
  /** The INVITE or SUBSCRIBE that created it. */
  method: string;
  /** How the dialog's CDR start was recorded; stops mirror it. */
  role: 'uac' | 'uas';
  /**
   * A UAC INVITE dialog whose 2xx the application has not ACKed yet: requests from the far end
   * wait in `held` until it does (see NetworkRequests.releaseHeld).
   */
  awaitingAck?: boolean;
  held?: IncomingRequest[];
}

export function drachtioDialogId(callId: string, fromTag: string): string {
  return `${callId};from-tag=${fromTag}`;
}

/** Everything in flight, by drachtio ids and by the stack's objects. */
export class CallState {
  readonly serverRequests = new Map<string, PendingServerRequest>();
  readonly serverByTransaction = new Map<ServerTransaction, PendingServerRequest>();
  readonly clientRequests = new Map<string, PendingClientRequest>();
  readonly dialogs = new Map<string, DrachtioDialog>();
  readonly dialogsByStack = new Map<Dialog, DrachtioDialog>();

  addServer(p: PendingServerRequest): void {
    this.serverRequests.set(p.id, p);
    this.serverByTransaction.set(p.transaction, p);
  }

  removeServer(p: PendingServerRequest): void {
    this.serverRequests.delete(p.id);
    this.serverByTransaction.delete(p.transaction);
  }

  addDialog(d: DrachtioDialog): void {
    this.dialogs.set(d.id, d);
    this.dialogsByStack.set(d.stack, d);
  }

  removeDialog(d: DrachtioDialog): void {
    if (this.dialogs.get(d.id) === d) this.dialogs.delete(d.id);
    this.dialogsByStack.delete(d.stack);
  }

  /** What an application left behind when it disconnected. */
  ownedBy(app: AppConnection): { server: PendingServerRequest[]; client: PendingClientRequest[]; dialogs: DrachtioDialog[] } {
    return {
      server: [...this.serverRequests.values()].filter((p) => p.app === app),
      client: [...this.clientRequests.values()].filter((p) => p.app === app),
      dialogs: [...this.dialogs.values()].filter((d) => d.app === app),
    };
  }
}
