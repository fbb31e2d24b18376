/**
 * RTP load generator for session.bench.ts, run as its own process so its CPU is not charged to
 * the sessions under test. argv[2]: JSON { ports: number[], seconds: number }. Sends one 20 ms
 * PCMU packet per port per period from one socket (as SIPp does), on absolute deadlines, and
 * counts the echoes that come back. Prints { sent, received, cpuUs, udp } as JSON (cpuUs: its own
 * CPU time). Its socket is on the native UDP pump when built (TRUNKGATE_MEDIA_UDP=dgram: Node's
 * dgram), so the generator takes as little of the machine's two cores as possible.
 * With `srtp: { suite, key }` (base64 master key || salt) every packet is SRTP-protected with that
 * key (one context, a roll-over counter per SSRC), as a carrier's SBC would send.
 */
import { datagramBinder } from '../../src/media/udp/index.js';
import { createSrtpSession, type SrtpSuiteName } from '../../src/media/srtp/index.js';

const { ports, seconds, srtp } = JSON.parse(process.argv[2] ?? '{}') as { ports: number[]; seconds: number; srtp?: { suite: SrtpSuiteName; key: string } };
const protect = srtp ? createSrtpSession({ suite: srtp.suite, localKey: srtp.key, remoteKey: srtp.key }).outbound : undefined;
const binder = datagramBinder();
let received = 0;
const socket = await binder.bind({ address: '127.0.0.1', port: 0, recvBufferSize: 8 * 1024 * 1024, onMessage: () => { received++; } });
// dgram sends later (after an address lookup), so it needs a buffer per packet; the pump sends at once.
const copy = binder.kind === 'dgram';
const streams = ports.map((port, i) => {
  const b = Buffer.alloc(12 + 160);
  b[0] = 0x80;
  b.writeUInt32BE(0x10000 + i, 8);
  for (let k = 0; k < 160; k++) b[12 + k] = 0x80 | (k & 0x3f); // non-silent u-law
  return { port, b, seq: i * 7, ts: i * 1000 };
});
const start = performance.now();
const total = Math.round((seconds * 1000) / 20);
let n = 0;
let sent = 0;
const tick = (): void => {
  // One period per wake-up, so incoming echoes are read between periods.
  if (n < total && start + n * 20 <= performance.now() + 1) {
    for (const s of streams) {
      s.b.writeUInt16BE(s.seq & 0xffff, 2);
      s.b.writeUInt32BE(s.ts >>> 0, 4);
      s.seq++;
      s.ts += 160;
      const wire = protect ? protect.protectRtp(s.b)! : copy ? Buffer.from(s.b) : s.b;
      socket.send(wire, s.port, '127.0.0.1');
      sent++;
    }
    n++;
  }
  if (n < total) {
    setTimeout(tick, Math.max(0, Math.floor(start + n * 20 - performance.now())));
  } else {
    setTimeout(() => {
      const cpu = process.cpuUsage();
      process.stdout.write(JSON.stringify({ sent, received, cpuUs: cpu.user + cpu.system, udp: binder.kind }) + '\n');
      void socket.close();
    }, 300);
  }
};
tick();
