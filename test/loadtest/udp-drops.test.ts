import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { UdpDropTracker, parseProcNetUdp } from '../../src/loadtest/udp-drops.js';
import { freePort } from '../helpers/ports.js';

describe('parseProcNetUdp', () => {
  it('reads local port, inode, queue and drops of each socket line', () => {
    const text = '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n' +
      ' 1369: 0100007F:1770 00000000:0000 07 00000000:00000200 00:00000000 00000000     0        0 94334 2 000000009b90c2f3 17\n';
    expect(parseProcNetUdp(text)).toEqual([{ localPort: 0x1770, inode: '94334', drops: 17, rxQueueBytes: 0x200 }]);
  });
});

describe('UdpDropTracker', () => {
  it('counts datagrams the kernel dropped on a socket nobody reads, only for the process that owns it', async () => {
    // A real socket with a small receive buffer whose owner never reads it (python sleeps).
    const port = await freePort();
    const bystanders: ReturnType<typeof spawn>[] = [];
    const sink = spawn('python3', ['-c', `import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.setsockopt(socket.SOL_SOCKET,socket.SO_RCVBUF,4096)\ns.bind(('127.0.0.1',${port}))\nprint('ready',flush=True)\ntime.sleep(30)`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => sink.stdout!.once('data', () => resolve()));
      const tracker = new UdpDropTracker([{ min: port, max: port }]);
      const owned = new UdpDropTracker([{ min: port, max: port }], sink.pid);
      // a sibling process that does not own the socket
      const bystander = spawn('sleep', ['30'], { stdio: 'ignore' });
      bystanders.push(bystander);
      const notOwned = new UdpDropTracker([{ min: port, max: port }], bystander.pid);
      for (const t of [tracker, owned, notOwned]) t.sample();
      const tx = createSocket('udp4');
      const payload = Buffer.alloc(1000);
      for (let i = 0; i < 200; i++) await new Promise<void>((r) => tx.send(payload, port, '127.0.0.1', () => r()));
      tx.close();
      for (const t of [tracker, owned, notOwned]) t.sample();
      expect(tracker.maxSockets).toBe(1);
      expect(tracker.drops()).toBeGreaterThan(100);
      expect(owned.drops()).toBe(tracker.drops());
      expect(notOwned.drops()).toBe(0);
      expect(notOwned.maxSockets).toBe(0);
    } finally {
      sink.kill('SIGKILL');
      for (const b of bystanders) b.kill('SIGKILL');
    }
  });

  it('counts nothing for ports without sockets', () => {
    const tracker = new UdpDropTracker([{ min: 1, max: 1 }]);
    tracker.sample();
    tracker.sample();
    expect(tracker.drops()).toBe(0);
    expect(tracker.maxSockets).toBe(0);
  });
});
