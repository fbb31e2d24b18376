export type { BindOptions, DatagramBinder, DatagramHandler, DatagramIoKind, DatagramIoMode, DatagramSocket, DatagramSource } from './types.js';
export { dgramBinder } from './node-dgram.js';
export { drainDatagrams, formatIpv6, loadNativePump, nativePumpBinder, nativePumpLoadError } from './native-pump.js';
export { DatagramIoError, datagramBinder, datagramIoMode, setDatagramIoMode } from './select.js';
