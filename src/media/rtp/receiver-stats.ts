/**
 * Reception statistics of one RTP source, as RFC 3550 Appendix A defines them:
 * A.1 sequence-number validation with 16-bit wrap-around (extended highest sequence number),
 * A.3 expected / lost / fraction lost per report interval, A.8 interarrival jitter.
 */

const RTP_SEQ_MOD = 1 << 16;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

/** The numbers of an RFC 3550 §6.4.1 report block. */
export interface ReceptionReport {
  ssrc: number;
  /** Fraction lost since the previous report, as the 8-bit fixed-point value (0..255). */
  fractionLost: number;
  /** Cumulative packets lost (24-bit signed in the wire format). */
  packetsLost: number;
  /** Extended highest sequence number received (cycles << 16 | max_seq). */
  highestSequence: number;
  /** Interarrival jitter in RTP timestamp units. */
  jitter: number;
}

export class ReceiverStats {
  ssrc: number;
  readonly clockRate: number;
  #maxSeq = 0;
  #cycles = 0;
  #baseSeq = 0;
  #badSeq = RTP_SEQ_MOD + 1;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  #transit: number | undefined;
  #jitter = 0;
  #lastFraction = 0;
  #started = false;

  constructor(ssrc: number, clockRate: number) {
    this.ssrc = ssrc;
    this.clockRate = clockRate;
  }

  get received(): number { return this.#received; }

  /** Interarrival jitter in ms. */
  get jitterMs(): number { return (this.#jitter / this.clockRate) * 1000; }

  get extendedHighestSeq(): number { return this.#cycles + this.#maxSeq; }

  /** RFC 3550 A.3: expected = extended max - base + 1. */
  get expected(): number { return this.#started ? this.extendedHighestSeq - this.#baseSeq + 1 : 0; }

  get packetsLost(): number { return this.expected - this.#received; }

  /** The fraction (0..1) reported in the last `report()`. */
  get lastFractionLost(): number { return this.#lastFraction / 256; }

  /**
   * Account one packet. `arrival` is the arrival time converted to RTP timestamp units (A.8).
   * `timed` false: count its sequence number only, leaving it out of the jitter (a packet whose
   * timestamp does not advance with its sending time, as an RFC 4733 event's).
   * Returns false for a packet A.1 considers invalid (a large jump not yet confirmed).
   */
  update(seq: number, rtpTimestamp: number, arrival: number, timed = true): boolean {
    if (!this.#started) {
      this.#initSeq(seq);
      this.#started = true;
    } else if (!this.#updateSeq(seq)) {
      return false;
    }
    this.#received++;
    if (!timed) return true;
    // A.8: D(i-1,i) = (Rj - Ri) - (Sj - Si); J += (|D| - J) / 16. Transit computed mod 2^32.
    const transit = (arrival - rtpTimestamp) | 0;
    if (this.#transit !== undefined) {
      const d = Math.abs((transit - this.#transit) | 0);
      this.#jitter += (d - this.#jitter) / 16;
    }
    this.#transit = transit;
    return true;
  }

  #initSeq(seq: number): void {
    this.#baseSeq = seq;
    this.#maxSeq = seq;
    this.#badSeq = RTP_SEQ_MOD + 1;
    this.#cycles = 0;
  }

  /** RFC 3550 A.1 update_seq (probation left out: the latch already demands consecutive packets). */
  #updateSeq(seq: number): boolean {
    const udelta = (seq - this.#maxSeq + RTP_SEQ_MOD) % RTP_SEQ_MOD;
    if (udelta < MAX_DROPOUT) {
      if (seq < this.#maxSeq) this.#cycles += RTP_SEQ_MOD; // wrapped
      this.#maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // A very large jump: accept only if the next packet follows it (the sender restarted).
      if (seq === this.#badSeq) {
        this.#initSeq(seq);
        this.#received = 0;
        this.#expectedPrior = 0;
        this.#receivedPrior = 0;
      } else {
        this.#badSeq = (seq + 1) & (RTP_SEQ_MOD - 1);
        return false;
      }
    }
    // else: duplicate or reordered packet, counted as received.
    return true;
  }

  /** Produce a report block and start a new interval (A.3). */
  report(): ReceptionReport {
    const expected = this.expected;
    const expectedInterval = expected - this.#expectedPrior;
    const receivedInterval = this.#received - this.#receivedPrior;
    this.#expectedPrior = expected;
    this.#receivedPrior = this.#received;
    const lostInterval = expectedInterval - receivedInterval;
    this.#lastFraction = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.min(255, Math.floor((lostInterval << 8) / expectedInterval));
    // 24-bit signed field: clamp (RFC 3550 §6.4.1).
    const lost = Math.max(-0x800000, Math.min(0x7fffff, this.packetsLost));
    return {
      ssrc: this.ssrc,
      fractionLost: this.#lastFraction,
      packetsLost: lost,
      highestSequence: this.extendedHighestSeq >>> 0,
      jitter: Math.floor(this.#jitter) >>> 0,
    };
  }
}
