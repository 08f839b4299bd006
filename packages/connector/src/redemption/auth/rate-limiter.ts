/**
 * Per-API-key token buckets: `ratePerSecond` sustained, bursts of `burst`
 * (2 × the rate by default). In memory: a limit per connector process.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>()
  readonly #perMs: number

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number = ratePerSecond * 2,
  ) {
    this.#perMs = ratePerSecond / 1000
  }

  /** Takes one token: 0 when the request may go on, else the seconds to wait (for Retry-After). */
  take(keyId: string, now: number): number {
    let bucket = this.#buckets.get(keyId)
    if (!bucket) {
      bucket = { tokens: this.burst, at: now }
      this.#buckets.set(keyId, bucket)
    } else if (now > bucket.at) {
      bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.#perMs)
      bucket.at = now
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return 0
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.ratePerSecond))
  }
}
