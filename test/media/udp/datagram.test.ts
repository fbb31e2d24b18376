import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { dgramBinder, drainDatagrams, formatIpv6, nativePumpBinder, nativePumpLoadError, type DatagramBinder, type DatagramSocket, type DatagramSource } from '../../../src/media/udp/index.js';
import { freePort } from '../../helpers/ports.js';

const LO = '127.0.0.1';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => { while (cleanups.length) await cleanups.pop()!(); });

async function peer(): Promise<{ socket: Socket; port: number; received: Buffer[] }> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, LO, () => r()));
  const received: Buffer[] = [];
  socket.on('message', (m) => received.push(m));
  cleanups.push(() => new Promise<void>((r) => socket.close(() => r())));
  return { socket, port: socket.address().port, received };
}

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the native UDP pump', () => {
  it.runIf(process.platform === 'linux')('is built and loads on Linux (npm run setup builds it; without it media falls back to dgram)', () => {
    expect(nativePumpLoadError()).toBeUndefined();
    expect(nativePumpBinder()?.kind).toBe('native');
  });

  it('drainDatagrams() reads and dispatches what is waiting synchronously, without the event loop; false with no native socket', async () => {
    const binder = nativePumpBinder();
    if (!binder) throw new Error(`not built: ${nativePumpLoadError()?.message}`);
    const got: string[] = [];
    const s = await binder.bind({ address: LO, port: 0, onMessage: (m) => got.push(m.toString()) });
    const p = await peer();
    await new Promise<void>((r) => p.socket.send(Buffer.from('waiting'), s.port, LO, () => r()));
    // Block the loop until the datagram is surely in the socket, then drain without yielding.
    const until = performance.now() + 30;
    while (performance.now() < until) { /* the event loop cannot read meanwhile */ }
    expect(got).toEqual([]);
    expect(drainDatagrams()).toBe(true);
    expect(got).toEqual(['waiting']);
    await s.close();
    expect(drainDatagrams()).toBe(false);
  });

  it('closes the ports of a thread that is terminated (a media worker that dies leaves no port bound)', async () => {
    const binder = nativePumpBinder();
    if (!binder) throw new Error(`not built: ${nativePumpLoadError()?.message}`);
    const port = await freePort();
    const addon = fileURLToPath(new URL('../../../native/udp-pump/build/Release/udp_pump.node', import.meta.url));
    const worker = new Worker(`
      const pump = require(${JSON.stringify(addon)});
      const p = pump.createPump(new ArrayBuffer(1 << 20), () => {});
      pump.openSocket(p, 1, '127.0.0.1', ${port}, 0);
      require('node:worker_threads').parentPort.postMessage('bound');
      setInterval(() => {}, 1000);`, { eval: true });
    await once(worker, 'message');
    await expect(binder.bind({ address: LO, port, onMessage: () => undefined })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await worker.terminate();
    const s = await binder.bind({ address: LO, port, onMessage: () => undefined });
    await s.close();
  });
});

const BINDERS: [string, DatagramBinder | undefined][] = [['the native UDP pump', nativePumpBinder()], ["Node's dgram", dgramBinder]];

describe.each(BINDERS)('media sockets on %s', (_name, layer) => {
  let binder: DatagramBinder;
  beforeAll(() => {
    if (!layer) throw new Error(`the native UDP pump is not built: ${nativePumpLoadError()?.message}`);
    binder = layer;
  });

  async function open(port = 0, onMessage: (m: Buffer, f: DatagramSource) => void = () => undefined): Promise<DatagramSocket> {
    const s = await binder.bind({ address: LO, port, onMessage });
    cleanups.push(() => s.close());
    return s;
  }

  it('receives a datagram with its bytes and its source address and port', async () => {
    const got: { msg: Buffer; from: DatagramSource }[] = [];
    const s = await open(await freePort(), (msg, from) => got.push({ msg, from }));
    const p = await peer();
    p.socket.send(Buffer.from('hello rtp'), s.port, LO);
    await until(() => got.length === 1);
    expect(got[0]!.msg.toString()).toBe('hello rtp');
    expect(got[0]!.from).toMatchObject({ address: LO, port: p.port });
  });

  it('sends datagrams to a peer, byte for byte and in order', async () => {
    const s = await open();
    const p = await peer();
    for (let i = 0; i < 20; i++) s.send(Buffer.from([i, 0xaa, i ^ 0xff]), p.port, LO);
    await until(() => p.received.length === 20);
    expect(p.received.map((b) => [...b])).toEqual(Array.from({ length: 20 }, (_, i) => [i, 0xaa, i ^ 0xff]));
  });

  it('binds port 0 to a free port and reports it', async () => {
    const s = await open(0);
    expect(s.port).toBeGreaterThan(0);
  });

  it('refuses a port already bound, with the system code EADDRINUSE', async () => {
    const taken = await open();
    await expect(binder.bind({ address: LO, port: taken.port, onMessage: () => undefined })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('delivers each of many sockets its own datagrams (one batch carries many sockets)', async () => {
    const n = 60;
    const got = new Map<number, number[]>();
    const sockets: DatagramSocket[] = [];
    for (let i = 0; i < n; i++) {
      sockets.push(await open(0, (msg) => {
        const list = got.get(i) ?? [];
        list.push(msg.readUInt16BE(0), msg.readUInt16BE(2));
        got.set(i, list);
      }));
    }
    const p = await peer();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < n; i++) {
        const b = Buffer.alloc(4 + i);
        b.writeUInt16BE(i, 0);
        b.writeUInt16BE(round, 2);
        p.socket.send(b, sockets[i]!.port, LO);
      }
    }
    await until(() => [...got.values()].reduce((a, l) => a + l.length, 0) === n * 3 * 2);
    for (let i = 0; i < n; i++) expect(got.get(i)).toEqual([i, 0, i, 1, i, 2]);
  });

  it('keeps a received datagram intact after later datagrams arrive (the handler may hold it)', async () => {
    const held: Buffer[] = [];
    const s = await open(0, (msg) => held.push(msg));
    const p = await peer();
    for (let i = 0; i < 50; i++) p.socket.send(Buffer.alloc(172, i), s.port, LO);
    await until(() => held.length === 50);
    held.forEach((b, i) => expect(b.equals(Buffer.alloc(172, i))).toBe(true));
  });

  it('a socket closed by another socket\'s handler gets nothing more, and a socket opened there (maybe on the same fd) gets none of its datagrams', async () => {
    for (let round = 0; round < 5; round++) {
      const got: string[] = [];
      let b: DatagramSocket | undefined;
      let c: DatagramSocket | undefined;
      const reopened: Promise<void>[] = [];
      const a = await open(0, () => {
        got.push('a');
        if (b) {
          const closing = b.close();
          b = undefined;
          reopened.push(closing.then(async () => { c = await open(0, (m) => got.push(`c:${m.toString()}`)); }));
        }
      });
      b = await open(0, () => got.push('b'));
      const p = await peer();
      const bPort = b.port;
      p.socket.send(Buffer.from('1'), a.port, LO);
      p.socket.send(Buffer.from('2'), bPort, LO);
      p.socket.send(Buffer.from('3'), bPort, LO);
      await until(() => got.includes('a'));
      await Promise.all(reopened);
      // c's own datagram, sent after '2' and '3': once it is in, the pump has read past them
      p.socket.send(Buffer.from('own'), c!.port, LO);
      await until(() => got.includes('c:own'));
      expect(got.filter((g) => g.startsWith('c:'))).toEqual(['c:own']);
      // b may have been read before a's handler ran (then b got it) but never after closing
      expect(got.indexOf('b') === -1 || got.indexOf('b') < got.indexOf('a')).toBe(true);
      await c?.close();
    }
  });

  it('a handler that throws does not keep the datagrams of other sockets from their handlers; the error is uncaught, as with dgram', () => {
    const kind = binder.kind;
    const fixture = fileURLToPath(new URL('./fixtures/throwing-handler.ts', import.meta.url));
    const out = execFileSync(process.execPath, ['--import', 'tsx', fixture, kind], { encoding: 'utf8', timeout: 20_000 });
    expect(JSON.parse(out.trim())).toEqual({ uncaught: 'boom', bGot: 1 });
  });

  it('close() is idempotent, stops delivery and frees the port', async () => {
    const got: string[] = [];
    const gotAgain: string[] = [];
    const s = await open(await freePort(), (m) => got.push(m.toString()));
    const port = s.port;
    const p = await peer();
    p.socket.send(Buffer.from('before'), port, LO);
    await until(() => got.length === 1);
    await s.close();
    await s.close();
    s.send(Buffer.from('after close'), port, LO); // ignored, does not throw
    // dgram sends after a tick: wait until the kernel has it, while the port is still unbound
    await new Promise<void>((r) => p.socket.send(Buffer.from('to nobody'), port, LO, () => r()));
    const again = await open(port, (m) => gotAgain.push(m.toString()));
    expect(again.port).toBe(port);
    p.socket.send(Buffer.from('x'), port, LO);
    await until(() => gotAgain.length === 1);
    // Datagrams are delivered in order on loopback: had the closed socket still been reading, or
    // the new one inherited its queue, 'to nobody' or 'after close' would show up before 'x'.
    expect(gotAgain).toEqual(['x']);
    expect(got).toEqual(['before']);
  });

  it('a datagram sent just before close() still leaves (an RTCP BYE is not lost)', async () => {
    const p = await peer();
    const s = await binder.bind({ address: LO, port: 0, onMessage: () => undefined });
    s.send(Buffer.from('bye'), p.port, LO);
    await s.close();
    await until(() => p.received.length === 1);
  });
});

describe('formatIpv6 (source addresses of the native pump)', () => {
  it('writes the RFC 5952 form that WHATWG URL parsing produces', () => {
    fc.assert(fc.property(
      fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }),
      (groups) => {
        const bytes = new Uint8Array(16);
        groups.forEach((g, i) => { bytes[2 * i] = g >> 8; bytes[2 * i + 1] = g & 0xff; });
        const text = formatIpv6(bytes);
        if (text.startsWith('::ffff:') && text.includes('.')) return; // IPv4-mapped: dotted, as dgram prints it
        expect(`[${text}]`).toBe(new URL(`http://[${text}]/`).hostname);
        // and it denotes the same address
        expect(new URL(`http://[${text}]/`).hostname).toBe(new URL(`http://[${groups.map((g) => g.toString(16)).join(':')}]/`).hostname);
      },
    ), { numRuns: 2000 });
  });

  it('prints IPv4-mapped addresses with a dotted quad, and :: and ::1', () => {
    expect(formatIpv6(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1]))).toBe('::ffff:127.0.0.1');
    expect(formatIpv6(new Uint8Array(16))).toBe('::');
    const one = new Uint8Array(16);
    one[15] = 1;
    expect(formatIpv6(one)).toBe('::1');
  });
});
