/**
 * The UDP layer on the native pump (native/udp-pump, Linux): every media socket of this thread
 * sits in one epoll set that libuv watches as a single fd; ready sockets are drained with
 * recvmmsg(2) into one shared arena and JavaScript is called once per batch, where Node's dgram
 * calls it once per datagram with a fresh ArrayBuffer. Sends are a direct sendto(2).
 *
 * Module state is per thread (each worker thread has its own isolate, event loop and pump). The
 * pump is created with the first socket and destroyed with the last, so an idle thread's event
 * loop is not kept alive by it.
 */
import { createRequire } from 'node:module';
import type { BindOptions, DatagramBinder, DatagramSocket, DatagramSource } from './types.js';

declare const pumpBrand: unique symbol;
type PumpHandle = { readonly [pumpBrand]: true };

interface UdpPumpAddon {
  createPump(arena: ArrayBuffer, onBatch: (count: number, bytes: number) => void): PumpHandle;
  destroyPump(pump: PumpHandle): void;
  /** Returns [fd, bound port]; throws an Error with `code` (EADDRINUSE …). */
  openSocket(pump: PumpHandle, id: number, address: string, port: number, recvBufferBytes: number): [number, number];
  closeSocket(pump: PumpHandle, fd: number): void;
  /** 0, or a negative libuv error code. */
  send(fd: number, data: Uint8Array, port: number, address: string): number;
  /** [datagrams dropped as longer than 2048 bytes, read errors]. */
  counters(pump: PumpHandle): [number, number];
  /** Reads what is ready now into the arena, synchronously; returns the number of records. */
  drain(pump: PumpHandle): number;
  /** SCHED_RR at `priority` (1–99) for the calling thread: 0, or a negative libuv error code. Absent from builds older than this. */
  setRealtime?(priority: number): number;
}

/** Where `npm run build:native` (node-gyp) puts the addon, relative to this module in src/ or dist/. */
const ADDON_PATH = '../../../native/udp-pump/build/Release/udp_pump.node';

let addon: UdpPumpAddon | undefined;
let loadError: Error | undefined;

/** The addon, or undefined (with the reason in `nativePumpLoadError()`) when it is not built or not loadable here. */
export function loadNativePump(): UdpPumpAddon | undefined {
  if (addon || loadError) return addon;
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as UdpPumpAddon;
  } catch (err) {
    loadError = err as Error;
  }
  return addon;
}

export function nativePumpLoadError(): Error | undefined {
  loadNativePump();
  return loadError;
}

const ARENA_BYTES = 512 * 1024;
/** Record header in the arena: id u32, length u32, port u16, family u8, reserved u8, address[16]. */
const HEADER = 28;

/** RFC 5952 text form of an IPv6 address (as dgram reports it): lower-case hex, longest zero run as "::". */
export function formatIpv6(bytes: Uint8Array, at = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[at + 2 * i]! << 8) | bytes[at + 2 * i + 1]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes[at + 12]}.${bytes[at + 13]}.${bytes[at + 14]}.${bytes[at + 15]}`;
  }
  let bestStart = -1;
  let bestLen = 1; // RFC 5952 §4.2.2: a single 0 group is not shortened
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

class PumpThread {
  readonly #addon: UdpPumpAddon;
  #pump: PumpHandle | undefined;
  #arena: Buffer | undefined;
  readonly #sockets = new Map<number, NativeSocket>();
  #nextId = 1;
  /** IPv4 source (as a 32-bit number) → its dotted text, so a packet costs no string building. */
  readonly #ipv4Text = new Map<number, string>();

  constructor(a: UdpPumpAddon) {
    this.#addon = a;
  }

  open(options: BindOptions): NativeSocket {
    if (!this.#pump) {
      const arena = Buffer.alloc(ARENA_BYTES);
      // A Buffer this large is not pooled: it owns its whole ArrayBuffer.
      this.#pump = this.#addon.createPump(arena.buffer as ArrayBuffer, (count) => this.#onBatch(arena, count));
      this.#arena = arena;
    }
    const id = this.#nextId++;
    let fd: number;
    let port: number;
    try {
      [fd, port] = this.#addon.openSocket(this.#pump, id, options.address, options.port, options.recvBufferSize ?? 0);
    } catch (err) {
      this.#releaseIfIdle();
      throw err;
    }
    const socket = new NativeSocket(this, this.#addon, id, fd, port, options.onMessage);
    this.#sockets.set(id, socket);
    return socket;
  }

  close(socket: NativeSocket): void {
    if (!this.#sockets.delete(socket.id)) return;
    this.#addon.closeSocket(this.#pump!, socket.fd);
    this.#releaseIfIdle();
  }

  #releaseIfIdle(): void {
    if (this.#sockets.size > 0 || !this.#pump) return;
    this.#addon.destroyPump(this.#pump);
    this.#pump = undefined;
    this.#arena = undefined;
  }

  /** Read and dispatch what has arrived, now. False when this thread has no pump (no native sockets). */
  drainNow(): boolean {
    const pump = this.#pump;
    const arena = this.#arena;
    if (!pump || !arena) return false;
    const count = this.#addon.drain(pump);
    if (count > 0) this.#onBatch(arena, count);
    return true;
  }

  #ipv4(n: number): string {
    let text = this.#ipv4Text.get(n);
    if (text === undefined) {
      text = `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
      if (this.#ipv4Text.size > 4096) this.#ipv4Text.clear();
      this.#ipv4Text.set(n, text);
    }
    return text;
  }

  #onBatch(arena: Buffer, count: number): void {
    let off = 0;
    let failure: unknown;
    for (let i = 0; i < count; i++) {
      const id = arena.readUInt32LE(off);
      const len = arena.readUInt32LE(off + 4);
      const socket = this.#sockets.get(id);
      if (socket) {
        const from: DatagramSource = {
          address: arena[off + 10] === 4 ? this.#ipv4(arena.readUInt32BE(off + 12)) : formatIpv6(arena, off + 12),
          port: arena.readUInt16LE(off + 8),
        };
        // Copied out of the arena (which the next batch overwrites) into a pooled Buffer.
        const msg = Buffer.allocUnsafe(len);
        arena.copy(msg, 0, off + HEADER, off + HEADER + len);
        try {
          socket.onMessage(msg, from);
        } catch (err) {
          // As with dgram, a handler's exception is uncaught — but only after the batch's other
          // datagrams have been delivered.
          failure ??= err;
        }
      }
      off += HEADER + ((len + 3) & ~3);
    }
    if (failure !== undefined) throw failure;
  }
}

class NativeSocket implements DatagramSocket {
  readonly id: number;
  readonly fd: number;
  readonly port: number;
  readonly onMessage: BindOptions['onMessage'];
  readonly #thread: PumpThread;
  readonly #addon: UdpPumpAddon;
  #closed = false;

  constructor(thread: PumpThread, a: UdpPumpAddon, id: number, fd: number, port: number, onMessage: BindOptions['onMessage']) {
    this.#thread = thread;
    this.#addon = a;
    this.id = id;
    this.fd = fd;
    this.port = port;
    this.onMessage = onMessage;
  }

  send(msg: Buffer, port: number, address: string): void {
    if (!this.#closed) this.#addon.send(this.fd, msg, port, address);
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#thread.close(this);
    }
    return Promise.resolve();
  }
}

let thread: PumpThread | undefined;

/**
 * Reads and dispatches the datagrams waiting on this thread's native sockets, synchronously.
 * Returns false when there is nothing to drain this way (no native sockets in this thread): the
 * caller must then go back to the event loop to read.
 */
export function drainDatagrams(): boolean {
  return thread?.drainNow() ?? false;
}

/** The native binder, or undefined when the addon is not available (see nativePumpLoadError()). */
export function nativePumpBinder(): DatagramBinder | undefined {
  const a = loadNativePump();
  if (!a) return undefined;
  return {
    kind: 'native',
    bind(options: BindOptions): Promise<DatagramSocket> {
      thread ??= new PumpThread(a);
      try {
        return Promise.resolve(thread.open(options));
      } catch (err) {
        return Promise.reject(err as Error);
      }
    },
  };
}
