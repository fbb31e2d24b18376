/**
 * RTP load generator for session.bench.ts, run as its own process so its CPU is not charged to
 * the sessions under test. argv[2]: JSON { ports: number[], seconds: number }. Sends one 20 ms
 * PCMU packet per port per period from one socket (as SIPp does), on absolute deadlines, and
 * counts the echoes that come back. Prints { sent, received, cpuUs } as JSON (cpuUs: its own CPU time).
 */
import { createSocket } from 'node:dgram';

const { ports, seconds } = JSON.parse(process.argv[2] ?? '{}') as { ports: number[]; seconds: number };
const socket = createSocket('udp4');
let received = 0;
socket.on('message', () => { received++; });
socket.bind(0, '127.0.0.1', () => {
  socket.setSendBufferSize(8 * 1024 * 1024);
  socket.setRecvBufferSize(8 * 1024 * 1024);
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
        socket.send(Buffer.from(s.b), s.port, '127.0.0.1');
        sent++;
      }
      n++;
    }
    if (n < total) {
      setTimeout(tick, Math.max(0, Math.floor(start + n * 20 - performance.now())));
    } else {
      setTimeout(() => {
        const cpu = process.cpuUsage();
        process.stdout.write(JSON.stringify({ sent, received, cpuUs: cpu.user + cpu.system }) + '\n');
        socket.close();
      }, 300);
    }
  };
  tick();
});
