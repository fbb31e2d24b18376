import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SrtpSession as WeriftSrtpSession, RtpHeader, ProtectionProfileAes128CmHmacSha1_80 } from 'werift-rtp';
import { AesCmKeystream, KDF_LABEL, SRTP_SUITES, SrtpContext, deriveSessionKey } from '../../../src/media/srtp/index.js';
import { writeRtpPacket } from '../../../src/media/rtp/header.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('RFC 3711 Appendix B test vectors', () => {
  it('B.2: AES-CM keystream for session key 2B7E…, salt F0F1…FD, SSRC 0, index 0', () => {
    const ks = new AesCmKeystream(hex('2B7E151628AED2A6ABF7158809CF4F3C'), hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD'));
    // The RFC lists counter blocks 0000, 0001, 0002 … FEFF, FF00, FF01.
    const out = ks.keystream(0, 0, 0xff02);
    const block = (j: number): string => out.subarray(j * 16, j * 16 + 16).toString('hex').toUpperCase();
    expect(out.subarray(0, 16).toString('hex').toUpperCase()).toBe('E03EAD0935C95E80E166B16DD92B4EB4');
    expect(out.subarray(16, 32).toString('hex').toUpperCase()).toBe('D23513162B02D0F72A43A2FE4A5F97AB');
    expect(out.subarray(32, 48).toString('hex').toUpperCase()).toBe('41E95B3BB0A2E8DD477901E4FCA894C0');
    expect(block(0xfeff)).toBe('EC8CDF7398607CB0F2D21675EA9EA1E4');
    expect(block(0xff00)).toBe('362B7C3C6773516318A077D7FC5073AE');
    expect(block(0xff01)).toBe('6A2CC3787889374FBEB4C81B17BA6C44');
  });

  it('B.3: key derivation of the cipher key, cipher salt and authentication key', () => {
    const key = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
    const salt = hex('0EC675AD498AFEEBB6960B3AABE6');
    expect(deriveSessionKey(key, salt, KDF_LABEL.rtpEncryption, 16).toString('hex').toUpperCase()).toBe('C61E7A93744F39EE10734AFE3FF7A087');
    expect(deriveSessionKey(key, salt, KDF_LABEL.rtpSalt, 14).toString('hex').toUpperCase()).toBe('30CBBC08863D8C85D49DB34A9AE1');
    expect(deriveSessionKey(key, salt, KDF_LABEL.rtpAuthentication, 94).toString('hex').toUpperCase()).toBe(
      'CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE'
      + 'E049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC25'
      + '6D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2');
  });
});

const MASTER_KEY = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
const MASTER_SALT = hex('0EC675AD498AFEEBB6960B3AABE6');

function pair(suite: keyof typeof SRTP_SUITES = 'AES_CM_128_HMAC_SHA1_80'): { tx: SrtpContext; rx: SrtpContext } {
  return { tx: new SrtpContext(SRTP_SUITES[suite], MASTER_KEY, MASTER_SALT), rx: new SrtpContext(SRTP_SUITES[suite], MASTER_KEY, MASTER_SALT) };
}

function rtp(seq: number, payload: Buffer = Buffer.from('0123456789abcdef0123'), ssrc = 0x11223344): Buffer {
  return writeRtpPacket(0, false, seq & 0xffff, seq * 160, ssrc, payload);
}

describe('SrtpContext', () => {
  for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const) {
    it(`${suite}: protect → unprotect is the identity for any payload, SSRC and sequence (property)`, () => {
      fc.assert(fc.property(
        fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 127 }), fc.boolean(),
        (payload, ssrc, seq, pt, marker) => {
          const { tx, rx } = pair(suite);
          const plain = writeRtpPacket(pt, marker, seq, 12345, ssrc, payload);
          const wire = tx.protectRtp(plain)!;
          expect(wire.length).toBe(plain.length + SRTP_SUITES[suite].rtpTagLength);
          if (payload.length >= 4) expect(wire.subarray(12, 12 + payload.length).equals(Buffer.from(payload))).toBe(false);
          const back = rx.unprotectRtp(Buffer.from(wire));
          expect(Buffer.isBuffer(back) && back.equals(plain)).toBe(true);
        },
      ));
    });

    it(`${suite}: SRTCP protect → unprotect is the identity (property)`, () => {
      fc.assert(fc.property(fc.uint8Array({ minLength: 8, maxLength: 200 }), (body) => {
        const { tx, rx } = pair(suite);
        const plain = Buffer.from(body);
        plain[0] = 0x80; plain[1] = 200;
        const wire = tx.protectRtcp(plain)!;
        expect(wire.length).toBe(plain.length + 4 + 10);
        const back = rx.unprotectRtcp(Buffer.from(wire));
        expect(Buffer.isBuffer(back) && back.equals(plain)).toBe(true);
      }));
    });
  }

  it('refuses a packet with any bit of its payload or tag flipped (auth), and leaves it undecrypted', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 8 * (12 + 20 + 10) - 1 }), (bit) => {
      const { tx, rx } = pair();
      const wire = tx.protectRtp(rtp(1))!;
      const tampered = Buffer.from(wire);
      tampered[bit >> 3]! ^= 1 << (bit & 7);
      const r = rx.unprotectRtp(tampered);
      // A flipped bit in the first byte (version, X, CC) may make it not RTP at all; every other bit fails authentication.
      expect(r === 'auth' || (bit < 8 && r === 'malformed')).toBe(true);
      // The genuine packet still authenticates afterwards: a forgery does not advance the state.
      expect(Buffer.isBuffer(rx.unprotectRtp(Buffer.from(wire)))).toBe(true);
    }));
  });

  it('refuses a replayed packet and one older than the 64-packet window, accepts reordering inside it', () => {
    const { tx, rx } = pair();
    const wires = Array.from({ length: 100 }, (_, i) => tx.protectRtp(rtp(1000 + i))!);
    expect(Buffer.isBuffer(rx.unprotectRtp(Buffer.from(wires[0]!)))).toBe(true);
    expect(rx.unprotectRtp(Buffer.from(wires[0]!))).toBe('replay');
    expect(Buffer.isBuffer(rx.unprotectRtp(Buffer.from(wires[80]!)))).toBe(true);
    expect(Buffer.isBuffer(rx.unprotectRtp(Buffer.from(wires[50]!)))).toBe(true); // 30 behind: inside
    expect(rx.unprotectRtp(Buffer.from(wires[50]!))).toBe('replay');
    expect(rx.unprotectRtp(Buffer.from(wires[10]!))).toBe('replay'); // 70 behind: outside
    expect(Buffer.isBuffer(rx.unprotectRtp(Buffer.from(wires[79]!)))).toBe(true);
  });

  it('refuses a replayed SRTCP packet', () => {
    const { tx, rx } = pair();
    const report = Buffer.from('80c8000611223344000000000000000000000000000000000000000000000000', 'hex');
    const wire = tx.protectRtcp(report)!;
    expect(Buffer.isBuffer(rx.unprotectRtcp(Buffer.from(wire)))).toBe(true);
    expect(rx.unprotectRtcp(Buffer.from(wire))).toBe('replay');
  });

  it('keeps sender and receiver rollover counters in step across 65535 → 0 (RFC 3711 §3.3.1), with loss and reordering at the wrap', () => {
    const { tx, rx } = pair();
    const seqs = [65530, 65531, 65533, 65532, 65535, 0, 2, 1, 3, 65534];
    const wires = new Map(seqs.map((s) => [s, tx.protectRtp(rtp(s))!]));
    expect(tx.sendRoc(0x11223344)).toBe(1);
    const got = seqs.map((s) => rx.unprotectRtp(Buffer.from(wires.get(s)!)));
    expect(got.every(Buffer.isBuffer)).toBe(true);
    expect(rx.receiveRoc(0x11223344)).toBe(1);
  });

  it('decrypts what werift-rtp encrypts with AES_CM_128_HMAC_SHA1_80, and werift-rtp decrypts ours', () => {
    const keys = { localMasterKey: MASTER_KEY, localMasterSalt: MASTER_SALT, remoteMasterKey: MASTER_KEY, remoteMasterSalt: MASTER_SALT };
    const werift = new WeriftSrtpSession({ keys, profile: ProtectionProfileAes128CmHmacSha1_80 });
    const { tx, rx } = pair();
    for (const seq of [1, 2, 3]) {
      const payload = Buffer.from(`payload number ${seq} with some bytes`);
      const header = new RtpHeader({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 0xdeadbeef });
      const theirs = werift.encrypt(payload, header);
      const plain = rx.unprotectRtp(Buffer.from(theirs));
      expect(Buffer.isBuffer(plain) && plain.subarray(12).equals(payload)).toBe(true);
      const ours = tx.protectRtp(writeRtpPacket(0, false, seq, seq * 160, 0xdeadbeef, payload))!;
      expect(ours.equals(theirs)).toBe(true);
      expect(werift.decrypt(ours).subarray(12).equals(payload)).toBe(true);
    }
  });
});
