/**
 * The hook the outbox worker reports through (`context.metrics.recordDelivery`).
 * An interface so the worker needs nothing from prom-client, and so contexts
 * built by hand in unit tests can pass `noDeliveryMetrics`.
 */

/**
 * How one HTTP attempt at a platform call ended:
 * - `S`: the platform answered success (verified);
 * - `F`: the platform answered a final failure (the row will not be retried);
 * - `U`: the platform answered unknown / retryable (BIZ_ERROR_NEED_RETRY, SYSTEM_ERROR,
 *   rate limited, unverifiable signature);
 * - `transport`: no answer at all — connection refused, timeout, non-200 status.
 */
export const DELIVERY_OUTCOMES = ['S', 'F', 'U', 'transport'] as const
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number]

export interface DeliveryMetrics {
  /** Call once per HTTP attempt, after it ended, with its wall time. */
  recordDelivery(api: string, outcome: DeliveryOutcome, durationMs: number): void
}

export const noDeliveryMetrics: DeliveryMetrics = Object.freeze({ recordDelivery() {} })
