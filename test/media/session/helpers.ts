import { Worker } from 'node:worker_threads';
import { createSocket, type Socket } from 'node:dgram';
import { PortAllocator } from '../../../src/media/ports.js';
import type { NegotiatedMedia } from '../../../src/media/sdp/types.js';
import type { MediaTicker, TickListener, TickPhase } from '../../../src/media/rtp/clock.js';
import { freePort, freePortRange } from '../../helpers/ports.js';

export const LO = '127.0.0.1';

export async function allocator(pairs = 1): Promise<PortAllocator> {
  const { min, max } = await freePortRange(pairs * 2);
  return new PortAllocator({ min, max });
}

export function pcmuTo(port: number, extra: Partial<NegotiatedMedia> = {}): NegotiatedMedia {
  return {
    codec: { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 },
    ptime: 20, direction: 'sendrecv', remoteDirection: 'sendrecv', remoteHold: false,
    remote: { address: LO, port }, remoteRtcp: { address: LO, port: port + 1 }, rtcpMux: false,
    ...extra,
  };
}

/**
 * A UDP receiver in a worker thread, so its arrival timestamps are not skewed by load on the
 * main event loop. Records performance.timeOrigin-based arrival times (ms) and the raw packets.
 */
export async function timedReceiver(): Promise<{ port: number; stop: () => Promise<{ at: number[]; packets: Buffer[] }> }> {
  const port = await freePort();
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const dgram = require('node:dgram');
    const s = dgram.createSocket('udp4');
    const at = []; const packets = [];
    s.on('message', (m) => { at.push(performance.timeOrigin + performance.now()); packets.push(m); });
    s.bind(workerData.port, '127.0.0.1', () => parentPort.postMessage('ready'));
    parentPort.on('message', () => { s.close(); parentPort.postMessage({ at, packets }); });
  `;
  const w = new Worker(code, { eval: true, workerData: { port } });
  await new Promise<void>((r) => w.once('message', () => r()));
  return {
    port,
    stop: async () => {
      const p = new Promise<{ at: number[]; packets: Uint8Array[] }>((r) => w.once('message', r));
      w.postMessage('stop');
      const res = await p;
      await w.terminate();
      return { at: res.at, packets: res.packets.map((b) => Buffer.from(b)) };
    },
  };
}

export async function udpPeer(): Promise<{ socket: Socket; port: number; packets: Buffer[]; close: () => Promise<void> }> {
  const port = await freePort();
  const socket = createSocket('udp4');
  const packets: Buffer[] = [];
  socket.on('message', (m) => packets.push(m));
  await new Promise<void>((r) => socket.bind(port, LO, () => r()));
  return { socket, port, packets, close: () => new Promise<void>((r) => socket.close(() => r())) };
}

export async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * A media clock stepped by hand (MediaTicker): `step()` runs one tick — every `playout` listener,
 * then every `send`, then every `flush` — with deadline = index · period and lateMs 0.
 */
export class ManualClock implements MediaTicker {
  readonly periodMs: number;
  socketReader: (() => boolean) | undefined;
  #index = 0;
  #phases: Record<TickPhase, TickListener[]> = { playout: [], send: [], flush: [] };

  constructor(periodMs = 20) {
    this.periodMs = periodMs;
  }

  subscribe(listener: TickListener, phase: TickPhase = 'send'): () => void {
    this.#phases[phase] = [...this.#phases[phase], listener];
    return () => { this.#phases[phase] = this.#phases[phase].filter((l) => l !== listener); };
  }

  step(): void {
    this.socketReader?.();
    const tick = { index: this.#index, deadline: this.#index * this.periodMs, lateMs: 0 };
    this.#index++;
    for (const phase of ['playout', 'send', 'flush'] as const) for (const l of this.#phases[phase]) l(tick);
  }
}
