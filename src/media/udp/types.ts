/**
 * The UDP layer under the RTP endpoint: bind a port, send datagrams, receive them with their
 * source. Two implementations: Node's dgram, and the native batched pump (native/udp-pump),
 * which reads all of a thread's media sockets with one epoll set and recvmmsg(2).
 */

/** Where a datagram came from. */
export interface DatagramSource {
  address: string;
  port: number;
}

/** One received datagram. `msg` is the caller's to keep. */
export type DatagramHandler = (msg: Buffer, from: DatagramSource) => void;

export interface DatagramSocket {
  /** The bound port. */
  readonly port: number;
  /** Fire and forget, as UDP is: a datagram that cannot be sent is dropped. */
  send(msg: Buffer, port: number, address: string): void;
  /** Idempotent. */
  close(): Promise<void>;
}

export interface BindOptions {
  address: string;
  /** 0 = any free port. */
  port: number;
  /** SO_RCVBUF in bytes (default: the system's). */
  recvBufferSize?: number;
  onMessage: DatagramHandler;
}

export interface DatagramBinder {
  readonly kind: DatagramIoKind;
  /** Rejects with an error whose `code` is the system's (EADDRINUSE, EACCES …) when the port cannot be bound. */
  bind(options: BindOptions): Promise<DatagramSocket>;
}

export type DatagramIoKind = 'native' | 'dgram';

/** `auto`: the native pump when it is built for this platform, else dgram. */
export type DatagramIoMode = DatagramIoKind | 'auto';
