/** The public API of trunkgate's RFC 3261 stack (message layer re-exported for convenience). */
export * from './message/index.js';
export { SipStack } from './stack.js';
export type { SipStackOptions, IncomingRequest, IncomingAck, IncomingCancel, SendRequestOptions, StackCounters } from './stack.js';
export type { Endpoint, InboundMessage, ListenOptions, SourcePolicy, TransportProtocol, TransportErrorCode } from './transport/types.js';
export { TransportError, hostForUri, stripBrackets } from './transport/types.js';
export { TransportLayer } from './transport/layer.js';
export { resolveUri, resolveUriSync, resolveHost } from './transport/resolve.js';
export { ClientTransaction, TransactionError, buildCancel, buildNon2xxAck } from './transaction/client.js';
export type { ClientTransactionHandlers, ClientTransactionState, TransactionErrorCode } from './transaction/client.js';
export { ServerTransaction } from './transaction/server.js';
export type { ServerTransactionState } from './transaction/server.js';
export { TransactionLayer } from './transaction/layer.js';
export { SystemClock, Timers, defaultTimerConfig } from './transaction/timers.js';
export type { Clock, TimerConfig, TimerHandle } from './transaction/timers.js';
export { Dialog, dialogKey } from './dialog/dialog.js';
export type { DialogId, DialogRole, DialogState, InDialogRequestOptions } from './dialog/dialog.js';
export { DialogLayer } from './dialog/layer.js';
export * from './auth/index.js';
