import { classifyAnswer, type AnswerOutcome } from '@benefitkit/shared'
import type { TransportError } from './transport.js'

/**
 * What one call to the platform came to: S done, F final, U unknown (try again
 * with the same id and body, or inquire). Every way a call can go wrong that is
 * not a signed F answer is U.
 */
export interface PlatformOutcome extends AnswerOutcome {
  /** The HTTP status, when an answer arrived at all. */
  readonly httpStatus?: number
  /** The parsed answer body, present only when it was signed by the platform. */
  readonly answer?: unknown
  /** Wall time of the call. */
  readonly durationMs: number
}

/** Classifies an answer exactly as `classifyAnswer` does; an unverified body is never exposed. */
export function outcomeOfAnswer(httpStatus: number, signatureValid: boolean, raw: string, durationMs: number): PlatformOutcome {
  let body: unknown
  try {
    body = JSON.parse(raw)
  } catch {
    body = undefined
  }
  const outcome = classifyAnswer({ httpStatus, signatureValid, body })
  return signatureValid && httpStatus === 200 ? { ...outcome, httpStatus, answer: body, durationMs } : { ...outcome, httpStatus, durationMs }
}

/** No answer (timeout, refused, reset, aborted): the platform may or may not have acted, so U. */
export function outcomeOfTransportError(error: TransportError, durationMs: number): PlatformOutcome {
  return { status: 'U', code: error.kind, message: error.message, retryable: true, durationMs }
}
