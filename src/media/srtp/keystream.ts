/**
 * AES in counter mode as SRTP uses it (RFC 3711 §4.1.1): block j of the keystream is
 * AES_k(IV + j) where IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i the 48-bit packet index
 * (SRTP) or the 31-bit SRTCP index. One AES-ECB cipher per session key is kept and fed the counter
 * blocks: Node's createCipheriv per packet (what werift-rtp does) costs more than the AES itself.
 */
import { createCipheriv, type Cipher } from 'node:crypto';

export class AesCmKeystream {
  readonly #ecb: Cipher;
  readonly #salt: Buffer;
  /** Reused counter blocks; grown when a longer payload comes. */
  #counters = Buffer.alloc(16 * 64);

  constructor(sessionKey: Buffer, sessionSalt: Buffer) {
    this.#ecb = createCipheriv('aes-128-ecb', sessionKey, null).setAutoPadding(false);
    this.#salt = Buffer.from(sessionSalt);
  }

  /** XOR `data` in place with the keystream for (ssrc, index). */
  xor(data: Uint8Array, ssrc: number, index: number): void {
    const blocks = Math.ceil(data.length / 16);
    if (blocks === 0) return;
    const ks = this.keystream(ssrc, index, blocks);
    for (let k = 0; k < data.length; k++) data[k]! ^= ks[k]!;
  }

  /** `blocks` blocks of keystream starting at block 0 (RFC 3711 Appendix B.2 shows them). */
  keystream(ssrc: number, index: number, blocks: number): Buffer {
    if (blocks > 0x10000) throw new RangeError('SRTP payload too long for AES-CM');
    if (this.#counters.length < blocks * 16) this.#counters = Buffer.alloc(blocks * 16);
    const ctr = this.#counters;
    // IV: the 112-bit salt in bytes 0..13, SSRC XORed into bytes 4..7, the index into bytes 8..13.
    const s = this.#salt;
    const hi = Math.floor(index / 0x100000000) & 0xffff;
    const lo = index >>> 0;
    const b0 = s.readUInt32BE(0);
    const b4 = (s.readUInt32BE(4) ^ ssrc) >>> 0;
    const b8 = (s.readUInt16BE(8) ^ hi) & 0xffff;
    const b10 = (s.readUInt32BE(10) ^ lo) >>> 0;
    for (let j = 0; j < blocks; j++) {
      const at = j * 16;
      ctr.writeUInt32BE(b0, at);
      ctr.writeUInt32BE(b4, at + 4);
      ctr.writeUInt16BE(b8, at + 8);
      ctr.writeUInt32BE(b10, at + 10);
      ctr.writeUInt16BE(j, at + 14);
    }
    return this.#ecb.update(ctr.subarray(0, blocks * 16));
  }
}
