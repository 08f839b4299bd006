import { REDEMPTION_ERROR_STATUS, type RedemptionErrorCode } from '@benefitkit/shared'

/**
 * A refusal with one of the contract's codes (docs/redemption-api.md, "Errors").
 * Thrown where unwinding is simplest (auth, parsing); business outcomes of a
 * redeem are returned instead, because they are stored and committed.
 */
export class RedemptionError extends Error {
  override readonly name = 'RedemptionError'
  readonly status: number
  constructor(
    readonly code: RedemptionErrorCode,
    message: string,
    /** Extra answer headers, e.g. Retry-After. */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    // An expected refusal, never logged with a stack: skip capturing one (it is
    // the most expensive part of constructing an error).
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    super(message)
    Error.stackTraceLimit = limit
    this.status = REDEMPTION_ERROR_STATUS[code]
  }
}

export function invalidRequest(message: string): RedemptionError {
  return new RedemptionError('INVALID_REQUEST', message)
}

export function unauthenticated(message: string): RedemptionError {
  return new RedemptionError('UNAUTHENTICATED', message)
}

/** `{"error":{"code","message","requestId"}}`, serialised once. */
export function errorBody(code: RedemptionErrorCode, message: string, requestId: string): string {
  return JSON.stringify({ error: { code, message, requestId } })
}

/**
 * Failures that say "not now" rather than "broken": the database is locked by
 * another process past the busy timeout (SQLITE_BUSY), or is closing because
 * the connector is shutting down. They answer 503 UNAVAILABLE, which clients
 * retry with the same Idempotency-Key.
 */
export function isTemporarilyUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code)) return true
  const message = (error as { message?: unknown } | null)?.message
  return typeof message === 'string' && /driver has already been destroyed|database connection is not open/.test(message)
}
