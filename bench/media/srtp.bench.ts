/**
 * SRTP cost per packet: protect + unprotect of a 20 ms PCMU packet (160-byte payload) and of a
 * G.722 one at 64 kbit/s (same size), ours (src/media/srtp) against werift-rtp 0.8.9's
 * SrtpSession, AES_CM_128_HMAC_SHA1_80. CPU µs (process.cpuUsage), median of 5 runs of 20,000
 * packets after a warm-up. Each packet gets its own sequence number, so our replay window accepts
 * it; werift has no replay check.
 */
import { ProtectionProfileAes128CmHmacSha1_80, RtpHeader, SrtpSession as WeriftSrtpSession } from 'werift-rtp';
import type { BenchResult } from '../run.js';
import { SRTP_SUITES, SrtpContext } from '../../src/media/srtp/index.js';
import { writeRtpPacket } from '../../src/media/rtp/header.js';

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function perPacket(n: number, fn: (i: number) => void): number {
  for (let i = 0; i < 2000; i++) fn(i);
  const runs: number[] = [];
  let base = 2000;
  for (let r = 0; r < 5; r++) {
    const t0 = cpuMicros();
    for (let i = 0; i < n; i++) fn(base + i);
    runs.push((cpuMicros() - t0) / n);
    base += n;
  }
  return median(runs);
}

export function run(): Promise<BenchResult[]> {
  const key = Buffer.from('E1F97A0D3E018BE0D64FA32C06DE4139', 'hex');
  const salt = Buffer.from('0EC675AD498AFEEBB6960B3AABE6', 'hex');
  const payload = Buffer.alloc(160, 0x55);
  const n = 20000;
  const results: BenchResult[] = [];
  for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const) {
    const tx = new SrtpContext(SRTP_SUITES[suite], key, salt);
    const rx = new SrtpContext(SRTP_SUITES[suite], key, salt);
    const us = perPacket(n, (i) => {
      const wire = tx.protectRtp(writeRtpPacket(0, false, i & 0xffff, i * 160, 0x1234, payload))!;
      const plain = rx.unprotectRtp(wire);
      if (typeof plain === 'string') throw new Error(`unprotect failed: ${plain}`);
    });
    results.push({ suite: 'srtp', name: `trunkgate ${suite} protect+unprotect`, value: us, unit: 'µs/packet', detail: { payloadBytes: 160 } });
  }
  const keys = { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key, remoteMasterSalt: salt };
  const werift = new WeriftSrtpSession({ keys, profile: ProtectionProfileAes128CmHmacSha1_80 });
  const weriftRx = new WeriftSrtpSession({ keys, profile: ProtectionProfileAes128CmHmacSha1_80 });
  const us = perPacket(n, (i) => {
    const header = new RtpHeader({ payloadType: 0, sequenceNumber: i & 0xffff, timestamp: i * 160, ssrc: 0x1234 });
    weriftRx.decrypt(werift.encrypt(payload, header));
  });
  results.push({ suite: 'srtp', name: 'werift-rtp AES_CM_128_HMAC_SHA1_80 protect+unprotect', value: us, unit: 'µs/packet', detail: { payloadBytes: 160, note: 'includes building its RtpHeader object' } });
  const ours = results[0]!.value;
  results.push({ suite: 'srtp', name: 'werift-rtp / trunkgate (_80)', value: us / ours, unit: 'x' });
  return Promise.resolve(results);
}
