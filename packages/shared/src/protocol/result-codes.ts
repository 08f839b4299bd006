/**
 * The result-code table (protocol.md §3) and the one function that turns any
 * answer into S / F / U.
 */

export type ResultStatus = 'S' | 'F' | 'U'

interface CodeInfo {
  readonly status: ResultStatus
  /** Whether repeating the same request (same id, same body) may succeed. */
  readonly retryable: boolean
  readonly meaning: string
}

export const RESULT_CODES = {
  SUCCESS: { status: 'S', retryable: false, meaning: 'success' },
  PARAM_ILLEGAL: { status: 'F', retryable: false, meaning: 'a header or field is missing, malformed or out of range' },
  BIZ_ERROR_NEED_RETRY: { status: 'U', retryable: true, meaning: 'a transient business condition' },
  BIZ_ERROR_NO_RETRY: { status: 'F', retryable: false, meaning: 'a permanent business rejection' },
  SYSTEM_ERROR: { status: 'U', retryable: true, meaning: 'internal failure' },
  ACCESS_FORBIDDEN: { status: 'F', retryable: false, meaning: 'client disabled or contract over' },
  UNKNOWN_EXCEPTION: { status: 'U', retryable: true, meaning: 'outcome unknown' },
  SYNC_REQUEST_ID_NOT_EXIST: { status: 'F', retryable: false, meaning: 'unknown benefitSyncRequestId' },
  ISSUE_REQUEST_ID_NOT_EXIST: { status: 'F', retryable: false, meaning: 'unknown benefitIssueRequestId' },
  INVALID_SIGNATURE: { status: 'F', retryable: false, meaning: 'signature missing or wrong' },
  KEY_NOT_FOUND: { status: 'F', retryable: false, meaning: 'no key for this Client-Id and keyVersion' },
  INVALID_CLIENT: { status: 'F', retryable: false, meaning: 'unknown Client-Id' },
  REPEAT_REQ_INCONSISTENT: { status: 'F', retryable: false, meaning: 'idempotency id reused with different key parameters' },
  METHOD_NOT_SUPPORTED: { status: 'F', retryable: false, meaning: 'not POST' },
  MEDIA_TYPE_NOT_ACCEPTABLE: { status: 'F', retryable: false, meaning: 'body is not JSON' },
  INVALID_API: { status: 'F', retryable: false, meaning: 'unknown path' },
  // One public table says F, every other page says retry: we treat it as U (protocol.md §7).
  REQUEST_TRAFFIC_EXCEED_LIMIT: { status: 'U', retryable: true, meaning: 'rate limited: back off and retry' },
} as const satisfies Record<string, CodeInfo>

export type KnownResultCode = keyof typeof RESULT_CODES

export function isKnownResultCode(code: string): code is KnownResultCode {
  return Object.prototype.hasOwnProperty.call(RESULT_CODES, code)
}

/** The status the table gives a code; unknown codes count as SYSTEM_ERROR (U). */
export function statusOfCode(code: string): ResultStatus {
  return isKnownResultCode(code) ? RESULT_CODES[code].status : 'U'
}

export interface AnswerOutcome {
  readonly status: ResultStatus
  /** The answer's own code, or a local one (`HTTP_503`, `UNSIGNED_ANSWER`, …) when there is none. */
  readonly code: string
  readonly message: string
  /** Whether sending the same request again may help (U always; F never). */
  readonly retryable: boolean
}

export interface AnswerFacts {
  /** HTTP status; anything but 200 is a transport failure. */
  readonly httpStatus: number
  /** Whether the answer's signature was present and verified. */
  readonly signatureValid: boolean
  /** The parsed JSON body, if it parsed. */
  readonly body: unknown
}

function unknownOutcome(code: string, message: string): AnswerOutcome {
  return { status: 'U', code, message, retryable: true }
}

/**
 * Turns any answer into S / F / U (protocol.md §1–3): a non-200, an unsigned or
 * badly signed answer, a body that is not a result, and an unknown code are all
 * U — the caller must retry with the same id or inquire, never assume success.
 * Reads both answer shapes: `{result:{resultStatus,resultCode,resultMessage}}`
 * and the flat `{success,resultCode,resultMessage}`.
 */
export function classifyAnswer(facts: AnswerFacts): AnswerOutcome {
  if (facts.httpStatus !== 200) return unknownOutcome(`HTTP_${facts.httpStatus}`, `HTTP status ${facts.httpStatus}`)
  if (!facts.signatureValid) return unknownOutcome('UNSIGNED_ANSWER', 'answer signature missing or invalid')
  const body = facts.body
  if (typeof body !== 'object' || body === null) return unknownOutcome('MALFORMED_ANSWER', 'answer body is not a JSON object')

  const record = body as Record<string, unknown>
  const result = record.result
  if (typeof result === 'object' && result !== null) {
    const r = result as Record<string, unknown>
    const code = typeof r.resultCode === 'string' ? r.resultCode : ''
    const message = typeof r.resultMessage === 'string' ? r.resultMessage : ''
    if (!code) return unknownOutcome('MALFORMED_ANSWER', 'answer has no resultCode')
    if (!isKnownResultCode(code)) return unknownOutcome(code, message || 'unknown result code')
    const declared = r.resultStatus
    const status = statusOfCode(code)
    // A declared status that contradicts the table cannot be trusted either way.
    if (declared !== status) return unknownOutcome(code, `resultStatus ${String(declared)} contradicts ${code}`)
    return { status, code, message, retryable: RESULT_CODES[code].retryable }
  }

  if (typeof record.success === 'boolean') {
    const code = typeof record.resultCode === 'string' ? record.resultCode : ''
    const message = typeof record.resultMessage === 'string' ? record.resultMessage : ''
    if (!code) return unknownOutcome('MALFORMED_ANSWER', 'answer has no resultCode')
    if (!isKnownResultCode(code)) return unknownOutcome(code, message || 'unknown result code')
    const status = statusOfCode(code)
    if ((status === 'S') !== record.success) return unknownOutcome(code, `success=${record.success} contradicts ${code}`)
    return { status, code, message, retryable: RESULT_CODES[code].retryable }
  }

  return unknownOutcome('MALFORMED_ANSWER', 'answer has neither result nor success')
}
