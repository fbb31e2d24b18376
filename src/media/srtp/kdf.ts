/**
 * SRTP key derivation (RFC 3711 §4.3) with key_derivation_rate 0: the session keys are derived
 * once from the master key and salt. §4.3.1: x = (label * 2^48) XOR master_salt (the index term
 * is 0), and the key stream is AES-CM (§4.3.3 PRF) over x * 2^16 with the master key.
 */
import { createCipheriv } from 'node:crypto';

/** RFC 3711 §4.3.1 / §4.3.2 labels. */
export const KDF_LABEL = {
  rtpEncryption: 0x00,
  rtpAuthentication: 0x01,
  rtpSalt: 0x02,
  rtcpEncryption: 0x03,
  rtcpAuthentication: 0x04,
  rtcpSalt: 0x05,
} as const;

/** `length` bytes of AES-CM keystream for one label: the session key, auth key or salt. */
export function deriveSessionKey(masterKey: Buffer, masterSalt: Buffer, label: number, length: number): Buffer {
  if (masterKey.length !== 16) throw new RangeError('SRTP master key must be 16 bytes');
  if (masterSalt.length !== 14) throw new RangeError('SRTP master salt must be 14 bytes');
  const blocks = Math.ceil(length / 16);
  const input = Buffer.alloc(blocks * 16);
  for (let b = 0; b < blocks; b++) {
    const at = b * 16;
    masterSalt.copy(input, at);
    // The label sits at byte 7 of the 112-bit salt (label * 2^48); the last two bytes count blocks.
    input[at + 7]! ^= label;
    input.writeUInt16BE(b, at + 14);
  }
  const ecb = createCipheriv('aes-128-ecb', masterKey, null).setAutoPadding(false);
  return ecb.update(input).subarray(0, length);
}
