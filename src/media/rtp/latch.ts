/**
 * Symmetric RTP (RFC 4961) with latching, the answer to one-way audio behind NAT: send to the
 * address in the SDP until valid RTP arrives, then send to where it really comes from. After
 * latching, packets from any other source are dropped (RTP injection / "RTP bleed").
 *
 * Valid = RTP version 2, a payload type we negotiated, and `required` consecutive packets from the
 * same address:port with the same SSRC, of the address family the SDP signalled (an IPv4 call never
 * latches onto an IPv6 source, nor the other way round).
 *
 * `strict` (a carrier whose media address is fixed): no latching at all — only packets from the
 * SDP's own address and port are taken, and RTP always goes there (rtpengine's "strict source").
 */
import { isIP } from 'node:net';
import type { RtpAddress } from '../sdp/types.js';

export type LatchVerdict = 'accept' | 'reject';

/** How a session checks where the peer's RTP and RTCP come from. */
export type SourceCheck = 'latch' | 'strict';

/** 4 or 6 for an IP literal (an IPv4-mapped IPv6 address counts as 4), 0 for anything else. */
export function addressFamily(address: string): 0 | 4 | 6 {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return isIP(mapped ? mapped[1]! : address) as 0 | 4 | 6;
}

export class SourceLatch {
  readonly required: number;
  #expected: RtpAddress;
  #latched: RtpAddress | undefined;
  #latchedSsrc: number | undefined;
  #candidate: { address: string; port: number; ssrc: number; count: number } | undefined;

  readonly check: SourceCheck;

  constructor(expected: RtpAddress, required = 3, check: SourceCheck = 'latch') {
    this.#expected = expected;
    this.required = Math.max(1, required);
    this.check = check;
  }

  /** Where RTP goes now: the latched source, else the SDP address. */
  get destination(): RtpAddress {
    return this.#latched ?? this.#expected;
  }

  get latched(): RtpAddress | undefined {
    return this.#latched;
  }

  /** A re-INVITE moved the peer: send there and latch afresh. */
  reset(expected: RtpAddress): void {
    this.#expected = expected;
    this.#latched = undefined;
    this.#latchedSsrc = undefined;
    this.#candidate = undefined;
  }

  /**
   * Judge a packet whose header already passed the version / payload-type check. Before latching,
   * packets of the current candidate source are accepted (so the first words are not lost); a
   * different source restarts the count.
   */
  offer(address: string, port: number, ssrc: number): LatchVerdict {
    const e = this.#expected;
    if (this.check === 'strict') return address === e.address && port === e.port ? 'accept' : 'reject';
    const l = this.#latched;
    if (l) {
      // After latching, the SSRC may change (the peer restarts its stream); the address may not.
      return l.address === address && l.port === port ? 'accept' : 'reject';
    }
    const signalled = addressFamily(e.address);
    if (signalled !== 0 && addressFamily(address) !== signalled) return 'reject';
    const c = this.#candidate;
    if (c && c.address === address && c.port === port && c.ssrc === ssrc) {
      c.count++;
    } else {
      this.#candidate = { address, port, ssrc, count: 1 };
    }
    if (this.#candidate!.count >= this.required) {
      this.#latched = { address, port };
      this.#latchedSsrc = ssrc;
      this.#candidate = undefined;
    }
    return 'accept';
  }

  get latchedSsrc(): number | undefined {
    return this.#latchedSsrc;
  }
}
