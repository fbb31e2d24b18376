/** The UDP layer on Node's dgram: one socket and one JavaScript callback per datagram. */
import { createSocket, type Socket } from 'node:dgram';
import type { BindOptions, DatagramBinder, DatagramSocket } from './types.js';

class DgramSocket implements DatagramSocket {
  readonly port: number;
  readonly #socket: Socket;
  #closing: Promise<void> | undefined;
  /** Sends not yet handed to the kernel (dgram resolves the address first, on a later tick). */
  #inFlight = 0;
  #drained: (() => void) | undefined;
  readonly #sent = (): void => {
    if (--this.#inFlight === 0) this.#drained?.();
  };

  constructor(socket: Socket) {
    this.#socket = socket;
    this.port = socket.address().port;
    // A send to a closed port (ICMP unreachable) surfaces as an error event: not fatal for media.
    socket.on('error', () => undefined);
  }

  send(msg: Buffer, port: number, address: string): void {
    if (this.#closing) return;
    this.#inFlight++;
    this.#socket.send(msg, port, address, this.#sent);
  }

  /** Closes after the sends already made have left (an RTCP BYE just before close is not lost). */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#inFlight > 0) await new Promise<void>((resolve) => { this.#drained = resolve; });
      await new Promise<void>((resolve) => {
        try { this.#socket.close(() => resolve()); } catch { resolve(); }
      });
    })();
    return this.#closing;
  }
}

export const dgramBinder: DatagramBinder = {
  kind: 'dgram',
  bind(options: BindOptions): Promise<DatagramSocket> {
    const socket = createSocket({ type: options.address.includes(':') ? 'udp6' : 'udp4' });
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      socket.once('error', onError);
      socket.bind({ port: options.port, address: options.address, exclusive: true }, () => {
        socket.off('error', onError);
        if (options.recvBufferSize) socket.setRecvBufferSize(options.recvBufferSize);
        socket.on('message', (msg, rinfo) => options.onMessage(msg, rinfo));
        resolve(new DgramSocket(socket));
      });
    });
  },
};
