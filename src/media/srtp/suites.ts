/**
 * The SRTP crypto suites trunkgate speaks, as named in SDES a=crypto (RFC 4568 §6.2). Both use
 * AES in counter mode with a 128-bit master key and a 112-bit master salt and HMAC-SHA1
 * authentication; they differ only in the SRTP tag length. RFC 4568 §6.2.2: with
 * AES_CM_128_HMAC_SHA1_32 the SRTCP tag stays 80 bits.
 */
export type SrtpSuiteName = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';

export interface SrtpSuite {
  name: SrtpSuiteName;
  /** Master key length in bytes. */
  keyLength: 16;
  /** Master salt length in bytes. */
  saltLength: 14;
  /** SRTP authentication tag length in bytes. */
  rtpTagLength: number;
  /** SRTCP authentication tag length in bytes. */
  rtcpTagLength: number;
}

export const SRTP_SUITES: Readonly<Record<SrtpSuiteName, SrtpSuite>> = {
  AES_CM_128_HMAC_SHA1_80: { name: 'AES_CM_128_HMAC_SHA1_80', keyLength: 16, saltLength: 14, rtpTagLength: 10, rtcpTagLength: 10 },
  AES_CM_128_HMAC_SHA1_32: { name: 'AES_CM_128_HMAC_SHA1_32', keyLength: 16, saltLength: 14, rtpTagLength: 4, rtcpTagLength: 10 },
};

export function isSrtpSuiteName(name: string): name is SrtpSuiteName {
  return Object.hasOwn(SRTP_SUITES, name);
}
