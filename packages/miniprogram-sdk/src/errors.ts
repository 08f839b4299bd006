/**
 * One error base with a few kinds (style.md, example 3). Every failure of a client call
 * rejects with a `BenefitKitError`; `code` says what happened and `retryable` says whether
 * calling again with the same Idempotency-Key can help.
 */
import type { BenefitKitErrorCode, RedemptionErrorCode } from './error-codes.js'

export interface BenefitKitErrorOptions {
  code: BenefitKitErrorCode
  status?: number | undefined
  requestId?: string | undefined
  cause?: unknown
  retryable?: boolean | undefined
}

export class BenefitKitError extends Error {
  override name = 'BenefitKitError'
  readonly code: BenefitKitErrorCode
  /** HTTP status of the answer, when there was one. */
  readonly status: number | undefined
  /** The connector's request id (`X-Request-Id`); quote it when asking for support. */
  readonly requestId: string | undefined
  /** True when the same call, with the same Idempotency-Key, may succeed later. */
  readonly retryable: boolean
  /**
   * The Idempotency-Key of a failed `redeem`. When `retryable` is true the redemption may or may
   * not have happened: call `redeem` again with `{ idempotencyKey }` to learn which, safely.
   */
  idempotencyKey: string | undefined

  constructor(message: string, options: BenefitKitErrorOptions) {
    super(options.requestId ? `${message} (requestId: ${options.requestId})` : message)
    this.code = options.code
    this.status = options.status
    this.requestId = options.requestId
    this.retryable = options.retryable === true
    this.idempotencyKey = undefined
    // Set by hand: ES2018 engines in mini programs ignore Error's `{ cause }` option.
    if (options.cause !== undefined) this.cause = options.cause
  }

  /**
   * Brand for `isBenefitKitError`: `instanceof` fails across realms and across two copies of
   * the SDK (ESM and CJS builds loaded side by side); a property on the prototype does not.
   */
  get isBenefitKitError(): true {
    return true
  }
}

/** The API answered with an error body: `code` is the API's code, e.g. `BENEFIT_ALREADY_USED`. */
export class ApiError extends BenefitKitError {
  override name = 'ApiError'
  declare readonly code: RedemptionErrorCode
  declare readonly status: number
}

/** No HTTP answer arrived (`NETWORK_ERROR`), or the platform cancelled the request (`ABORTED`). */
export class NetworkError extends BenefitKitError {
  override name = 'NetworkError'
  declare readonly code: 'NETWORK_ERROR' | 'ABORTED'
}

/** No answer within `timeoutMs`. The request may have reached the connector. */
export class TimeoutError extends BenefitKitError {
  override name = 'TimeoutError'
  declare readonly code: 'TIMEOUT'
}

/**
 * True for any error thrown by this SDK, whichever copy or realm created it.
 *
 * ```ts
 * try { await client.redeem({ benefitCode }) }
 * catch (e) { if (isBenefitKitError(e) && e.code === 'BENEFIT_ALREADY_USED') showUsed() }
 * ```
 */
export function isBenefitKitError(value: unknown): value is BenefitKitError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { isBenefitKitError?: unknown }).isBenefitKitError === true &&
    typeof (value as { code?: unknown }).code === 'string'
  )
}
