/**
 * The two SRTP contexts of one call: `outbound` keyed with our master key (what we send), and
 * `inbound` with the peer's (what we receive), as SDES gives them (RFC 4568 §6.1: each side
 * sends with the key it wrote in its own a=crypto).
 */
import { SrtpContext } from './context.js';
import { splitMasterKey } from './sdes.js';
import { SRTP_SUITES, type SrtpSuiteName } from './suites.js';

/** What offer/answer agreed: plain data, so it crosses the media worker boundary as it is. */
export interface SrtpKeys {
  suite: SrtpSuiteName;
  /** base64 master key || salt we send with. */
  localKey: string;
  /** base64 master key || salt the peer sends with. */
  remoteKey: string;
}

export interface SrtpSession {
  outbound: SrtpContext;
  inbound: SrtpContext;
}

export function createSrtpSession(keys: SrtpKeys): SrtpSession {
  const suite = SRTP_SUITES[keys.suite];
  const local = splitMasterKey(keys.suite, keys.localKey);
  const remote = splitMasterKey(keys.suite, keys.remoteKey);
  return {
    outbound: new SrtpContext(suite, local.masterKey, local.masterSalt),
    inbound: new SrtpContext(suite, remote.masterKey, remote.masterSalt),
  };
}
