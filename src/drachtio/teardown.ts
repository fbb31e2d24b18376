import { SipRequest, createResponse, type Dialog } from '../sip/index.js';
import type { AppRequests } from './app-requests.js';
import { deliverToApp, localFor, type BridgeContext } from './bridge-context.js';
import type { AppConnection } from './control/app-connection.js';

/**
 * An application's connection closed: nothing it started may be left hanging. Confirmed dialogs
 * get a BYE, requests it never answered get a final error, INVITEs it sent are cancelled.
 */
export function teardownApp(ctx: BridgeContext, requests: AppRequests, app: AppConnection): void {
  const { server, client, dialogs } = ctx.state.ownedBy(app);
  for (const p of server) {
    ctx.state.removeServer(p);
    if (p.transaction.finalSent) continue;
    const status = p.incoming.message.method === 'INVITE' ? 480 : 503;
    ctx.stack.respond(p.transaction, createResponse(p.incoming.message, status, undefined, { toTag: p.localTag }));
  }
  for (const p of client) requests.cancelPending(p);
  for (const d of dialogs) {
    ctx.state.removeDialog(d);
    for (const held of d.held ?? []) {
      if (!held.transaction.finalSent) ctx.stack.respond(held.transaction, createResponse(held.message, 481));
    }
    d.held = undefined;
    // A subscription (SUBSCRIBE / REFER) dialog is forgotten: nothing but a terminating NOTIFY
    // ends one, and only the application knew what to notify.
    if (d.method !== 'INVITE') {
      ctx.stack.dialogs.end(d.stack);
      continue;
    }
    // Early dialogs (a reliable provisional) end with the INVITE's CANCEL above.
    if (d.stack.state !== 'confirmed') continue;
    void hangUp(ctx, d.stack)
      .then((bye) => ctx.cdr.publish({ type: 'stop', source: 'application', reason: 'system-initiated-termination' }, bye.toString()))
      .catch((err: unknown) => ctx.logger.warn({ err, dialog: d.id }, 'BYE after app disconnect failed'));
  }
  if (server.length + client.length + dialogs.length) {
    ctx.logger.info({ app: app.id, dialogs: dialogs.length, serverRequests: server.length, clientRequests: client.length },
      'application gone: its calls were torn down');
  }
}

async function hangUp(ctx: BridgeContext, d: Dialog): Promise<SipRequest> {
  // A UAC dialog whose 2xx the application never acknowledged needs the ACK first (§13.2.2.4).
  if (d.role === 'uac' && !d.lastAck) await ctx.stack.sendAck(d);
  const bye = d.createRequest('BYE');
  const destination = await ctx.stack.resolveDestination(bye);
  ctx.stack.sendRequest(bye, { dialog: d, destination });
  return bye;
}

/**
 * §13.3.1.4: the stack gave up waiting for the ACK and sent BYE itself; drachtio tells the
 * application with an "unsolicited" BYE of source `application` (srf runs it through the dialog).
 */
export function notifyAckTimeout(ctx: BridgeContext, stackDialog: Dialog): void {
  const d = ctx.state.dialogsByStack.get(stackDialog);
  if (!d) return;
  ctx.state.removeDialog(d);
  const bye = new SipRequest({
    method: 'BYE', uri: stackDialog.remoteTarget, headers: [
      { name: 'From', value: stackDialog.localHeader },
      { name: 'To', value: stackDialog.remoteHeader },
      { name: 'Call-ID', value: stackDialog.callId },
      { name: 'CSeq', value: `${stackDialog.localSeq} BYE` },
    ],
  });
  ctx.cdr.publish({ type: 'stop', source: 'application', reason: 'session-expired' }, bye);
  deliverToApp(d.app, 'application', localFor(ctx, 'udp'), bye, 'unsolicited', d.id);
}
