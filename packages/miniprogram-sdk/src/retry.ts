/**
 * When and how long to wait before another attempt: exponential backoff with full jitter
 * (delay = random × min(maxDelay, base × 2^(n-1))), a cap on attempts and a total deadline.
 */
export interface RetryOptions {
  /** Attempts in total, the first included. Default 4; 1 disables retries. */
  maxAttempts?: number
  /** Default 300 ms. */
  baseDelayMs?: number
  /** Cap of one backoff wait. Default 5000 ms. */
  maxDelayMs?: number
  /** The whole call, attempts and waits included, ends by then. Default 30 000 ms. */
  deadlineMs?: number
}

export type RetryPolicy = Required<RetryOptions>

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 300, maxDelayMs: 5000, deadlineMs: 30_000 }

export function retryPolicy(options: RetryOptions | undefined): RetryPolicy {
  const policy = { ...DEFAULT_RETRY, ...stripUndefined(options) }
  policy.maxAttempts = Math.max(1, Math.floor(policy.maxAttempts))
  return policy
}

/** Full-jitter wait before retry number `retry` (1 for the first retry). */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1))
  return Math.floor(random() * ceiling)
}

/**
 * `Retry-After` in milliseconds. The contract sends whole seconds; an HTTP date is accepted too,
 * since proxies in front of the connector may send one.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000)
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs)
}

function stripUndefined<T extends object>(value: T | undefined): Partial<T> {
  const out: Partial<T> = {}
  if (value) for (const key of Object.keys(value) as (keyof T)[]) if (value[key] !== undefined) out[key] = value[key]
  return out
}
