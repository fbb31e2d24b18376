/**
 * Which UDP layer media sockets use in this thread: `native` (the batched pump), `dgram`, or
 * `auto` (native when built for this platform). Set once per process from the config
 * (`media.udp`) and passed to media worker threads; TRUNKGATE_MEDIA_UDP overrides the default.
 */
import { dgramBinder } from './node-dgram.js';
import { nativePumpBinder, nativePumpLoadError } from './native-pump.js';
import type { DatagramBinder, DatagramIoMode } from './types.js';
import { TrunkgateError } from '../../errors.js';

export class DatagramIoError extends TrunkgateError<'MEDIA_UDP_NATIVE_UNAVAILABLE'> {
  constructor(message: string) {
    super('MEDIA_UDP_NATIVE_UNAVAILABLE', message);
  }
}

let mode: DatagramIoMode = parseMode(process.env.TRUNKGATE_MEDIA_UDP) ?? 'auto';
let chosen: DatagramBinder | undefined;

function parseMode(v: string | undefined): DatagramIoMode | undefined {
  return v === 'native' || v === 'dgram' || v === 'auto' ? v : undefined;
}

/**
 * Choose the UDP layer for sockets opened from now on (`auto` defers to TRUNKGATE_MEDIA_UDP when
 * set, for A/B runs of a configured gateway). `native` throws when the addon is not available.
 */
export function setDatagramIoMode(m: DatagramIoMode): DatagramBinder {
  mode = m === 'auto' ? parseMode(process.env.TRUNKGATE_MEDIA_UDP) ?? 'auto' : m;
  chosen = undefined;
  return datagramBinder();
}

export function datagramIoMode(): DatagramIoMode {
  return mode;
}

/** The binder for the current mode. */
export function datagramBinder(): DatagramBinder {
  if (chosen) return chosen;
  if (mode === 'dgram') return (chosen = dgramBinder);
  const native = nativePumpBinder();
  if (native) return (chosen = native);
  if (mode === 'native') {
    throw new DatagramIoError(`media.udp is 'native' but the native UDP pump is not available (${nativePumpLoadError()?.message ?? 'unknown'}); run npm run build:native`);
  }
  return (chosen = dgramBinder);
}
