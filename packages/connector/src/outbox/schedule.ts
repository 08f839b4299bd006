/**
 * The long retry schedule of an outbox row. It lives in the row
 * (`attempts`, `next_attempt_at`), never in memory, so a restart resumes it.
 * p-retry only covers the quick retries inside one delivery.
 */

export interface RetrySchedule {
  /**
   * Wait after the 1st, 2nd, … failed delivery. The first delivery itself runs
   * at once (the row is due when committed).
   */
  readonly delaysMs: readonly number[]
  /** Wait after every later failure. */
  readonly thenEveryMs: number
  /** No delivery is scheduled later than this after the row was created (or replayed). */
  readonly horizonMs: number
  /** ±fraction applied to each wait, so rows that failed together do not retry together. */
  readonly jitter: number
}

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE

/** ~immediately, 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then every 2 h until 72 h, ±20 %. */
export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = Object.freeze({
  delaysMs: Object.freeze([5 * SECOND, 30 * SECOND, 2 * MINUTE, 10 * MINUTE, 30 * MINUTE, HOUR]),
  thenEveryMs: 2 * HOUR,
  horizonMs: 72 * HOUR,
  jitter: 0.2,
})

export function resolveSchedule(overrides: Partial<RetrySchedule> = {}): RetrySchedule {
  const schedule = { ...DEFAULT_RETRY_SCHEDULE, ...overrides }
  if (schedule.delaysMs.some((d) => !(d >= 0))) throw new Error('schedule delaysMs must be non-negative numbers')
  if (!(schedule.thenEveryMs > 0)) throw new Error('schedule thenEveryMs must be positive')
  if (!(schedule.horizonMs > 0)) throw new Error('schedule horizonMs must be positive')
  if (!(schedule.jitter >= 0 && schedule.jitter < 1)) throw new Error('schedule jitter must be in [0, 1)')
  return Object.freeze({ ...schedule, delaysMs: Object.freeze([...schedule.delaysMs]) })
}

/** The wait after `failedDeliveries` failures (1-based), before jitter. */
export function baseDelay(schedule: RetrySchedule, failedDeliveries: number): number {
  return schedule.delaysMs[failedDeliveries - 1] ?? schedule.thenEveryMs
}

export interface NextAttemptInput {
  /** Deliveries made so far, this failed one included. */
  attempts: number
  /** Where the horizon counts from: created_at, or replayed_at after a replay. */
  scheduleStart: number
  now: number
  /** [0, 1); injectable for tests. */
  random?: () => number
}

/**
 * When to try again after a failed (U) delivery, or `null` when that would be
 * past the horizon and the row should be parked as dead.
 */
export function nextAttemptAt(schedule: RetrySchedule, { attempts, scheduleStart, now, random = Math.random }: NextAttemptInput): number | null {
  const base = baseDelay(schedule, Math.max(1, attempts))
  const factor = 1 + schedule.jitter * (2 * random() - 1)
  const at = now + Math.round(base * factor)
  return at > scheduleStart + schedule.horizonMs ? null : at
}
