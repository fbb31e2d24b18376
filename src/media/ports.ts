/**
 * RTP port allocation. RFC 3550 §11: RTP on an even port, RTCP on the next (odd) one, so each
 * lease reserves a pair. A released pair goes to the back of the free list, so a port is not
 * reused straight away (late packets of the old call do not reach the new one).
 */
import { TrunkgateError } from '../errors.js';

export class PortExhaustedError extends TrunkgateError<'MEDIA_PORTS_EXHAUSTED'> {
  constructor(readonly min: number, readonly max: number) {
    super('MEDIA_PORTS_EXHAUSTED', `no free RTP port pair in ${min}-${max}`);
  }
}

export class InvalidPortRangeError extends TrunkgateError<'MEDIA_PORT_RANGE_INVALID'> {
  constructor(min: number, max: number) {
    super('MEDIA_PORT_RANGE_INVALID', `RTP port range ${min}-${max} holds no even/odd pair`);
  }
}

/** One reserved pair: RTP on `port` (even), RTCP on `port + 1`. `release()` is idempotent. */
export interface PortLease {
  readonly port: number;
  readonly rtcpPort: number;
  readonly released: boolean;
  release(): void;
}

export interface PortAllocatorOptions {
  /** Lowest port of the range (rounded up to even). */
  min: number;
  /** Highest port of the range (the last pair must fit: its RTCP port ≤ max). */
  max: number;
}

export class PortAllocator {
  readonly min: number;
  readonly max: number;
  #free: number[] = [];
  #head = 0;
  #inUse = new Set<number>();

  constructor(options: PortAllocatorOptions) {
    const first = options.min % 2 === 0 ? options.min : options.min + 1;
    this.min = options.min;
    this.max = options.max;
    for (let p = first; p + 1 <= options.max; p += 2) this.#free.push(p);
    if (this.#free.length === 0 || first < 1 || options.max > 65535) throw new InvalidPortRangeError(options.min, options.max);
  }

  /** Number of pairs in the range. */
  get capacity(): number {
    return this.#free.length - this.#head + this.#inUse.size;
  }

  get inUse(): number {
    return this.#inUse.size;
  }

  /** Reserve a pair; throws PortExhaustedError when every pair is leased. */
  allocate(): PortLease {
    if (this.#head >= this.#free.length) throw new PortExhaustedError(this.min, this.max);
    const port = this.#free[this.#head++]!;
    if (this.#head > 1024 && this.#head * 2 > this.#free.length) {
      this.#free = this.#free.slice(this.#head);
      this.#head = 0;
    }
    this.#inUse.add(port);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.#inUse.delete(port);
      this.#free.push(port);
    };
    return {
      port,
      rtcpPort: port + 1,
      get released() { return released; },
      release,
    };
  }
}
