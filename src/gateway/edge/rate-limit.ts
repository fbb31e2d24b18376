/**
 * Per-source token bucket: each address may send `burst` requests at once and `ratePerSecond`
 * sustained. Buckets idle long enough to be full again are forgotten, so memory stays bounded by
 * the number of sources active in the last `burst / ratePerSecond` seconds.
 */

export interface RateLimiterOptions {
  ratePerSecond: number;
  burst: number;
  /** Injected clock in ms (tests); default performance.now. */
  now?: () => number;
  /** Upper bound on tracked sources; the oldest are evicted beyond it (default 100k). */
  maxSources?: number;
}

interface Bucket { tokens: number; at: number }

export class TokenBucketLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #max: number;
  #buckets = new Map<string, Bucket>();
  #lastSweep = 0;

  constructor(options: RateLimiterOptions) {
    this.#rate = options.ratePerSecond / 1000;
    this.#burst = options.burst;
    this.#now = options.now ?? (() => performance.now());
    this.#max = options.maxSources ?? 100_000;
  }

  /** Takes one token for `key`; false when its bucket is empty. */
  take(key: string): boolean {
    const now = this.#now();
    this.#sweep(now);
    let b = this.#buckets.get(key);
    if (!b) {
      if (this.#buckets.size >= this.#max) this.#buckets.delete(this.#buckets.keys().next().value as string);
      b = { tokens: this.#burst, at: now };
      this.#buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.#burst, b.tokens + (now - b.at) * this.#rate);
      b.at = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  get trackedSources(): number {
    return this.#buckets.size;
  }

  #sweep(now: number): void {
    const refillMs = this.#burst / this.#rate;
    if (now - this.#lastSweep < refillMs) return;
    this.#lastSweep = now;
    for (const [k, b] of this.#buckets) if (now - b.at >= refillMs) this.#buckets.delete(k);
  }
}
