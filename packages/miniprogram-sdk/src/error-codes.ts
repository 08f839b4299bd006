/**
 * The error codes of the redemption API (docs/redemption-api.md, "Errors"),
 * with the HTTP status each one travels with.
 */
export const REDEMPTION_ERROR_STATUS = {
  INVALID_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BENEFIT_NOT_FOUND: 404,
  BENEFIT_ALREADY_USED: 409,
  BENEFIT_REVERSED: 409,
  IDEMPOTENCY_KEY_IN_USE: 409,
  BENEFIT_EXPIRED: 422,
  BENEFIT_NOT_YET_VALID: 422,
  USER_MISMATCH: 422,
  PIN_MISMATCH: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const

/** A code the redemption API puts in `{"error":{"code":…}}`. */
export type RedemptionErrorCode = keyof typeof REDEMPTION_ERROR_STATUS

/**
 * Codes the SDK itself produces when there is no API answer to quote:
 * - `NETWORK_ERROR`: the request never got an HTTP answer (retryable).
 * - `TIMEOUT`: no answer within `timeoutMs` (retryable).
 * - `ABORTED`: the platform cancelled the request, e.g. the page was closed (not retried).
 * - `UNEXPECTED_RESPONSE`: an HTTP answer that is not the contract's JSON, e.g. a proxy's HTML 502.
 * - `TOKEN_UNAVAILABLE`: your `getToken()` threw or returned something that is not a string.
 * - `INVALID_REQUEST` is shared with the API: the SDK uses it for input it refuses before sending.
 */
export type ClientErrorCode = 'NETWORK_ERROR' | 'TIMEOUT' | 'ABORTED' | 'UNEXPECTED_RESPONSE' | 'TOKEN_UNAVAILABLE'

/** Every `code` a `BenefitKitError` can carry. */
export type BenefitKitErrorCode = RedemptionErrorCode | ClientErrorCode

/** HTTP statuses worth another attempt with the same Idempotency-Key (the contract's retry guidance). */
const RETRYABLE_STATUSES = [429, 500, 502, 503, 504]

/**
 * Whether an HTTP answer may be retried with the same Idempotency-Key. Of the 4xx only 429 and
 * 409 `IDEMPOTENCY_KEY_IN_USE` (the first attempt is still running) qualify: every other 4xx
 * would fail the same way again.
 */
export function isRetryableAnswer(status: number, code: string | undefined): boolean {
  return RETRYABLE_STATUSES.indexOf(status) >= 0 || (status === 409 && code === 'IDEMPOTENCY_KEY_IN_USE')
}
