/** Turns transport outcomes into a parsed answer or a typed error. */
import { isRetryableAnswer, type RedemptionErrorCode } from './error-codes.js'
import { ApiError, BenefitKitError, NetworkError, TimeoutError } from './errors.js'
import { isTransportError, type TransportResponse } from './transport.js'

/** A header by lower-case name; tolerant of custom transports that kept the server's case. */
export function getHeader(headers: Record<string, string>, name: string): string | undefined {
  const direct = headers[name]
  if (direct !== undefined) return direct
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name) return headers[key]
  return undefined
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A 2xx answer's JSON object; anything else is `UNEXPECTED_RESPONSE` (a retry would replay it). */
export function decodeSuccess(response: TransportResponse): Record<string, unknown> {
  const body = parseJson(response.body)
  if (isObject(body)) return body
  throw new BenefitKitError(`HTTP ${response.status} answer is not a JSON object: ${snippet(response.body)}`, {
    code: 'UNEXPECTED_RESPONSE',
    status: response.status,
    requestId: getHeader(response.headers, 'x-request-id'),
  })
}

/** A non-2xx answer as an error: `ApiError` for the contract's error body, else `UNEXPECTED_RESPONSE`. */
export function errorFromResponse(response: TransportResponse): BenefitKitError {
  const { status } = response
  const headerRequestId = getHeader(response.headers, 'x-request-id')
  const parsed = parseJson(response.body)
  const error = isObject(parsed) && isObject(parsed.error) ? parsed.error : undefined
  if (error && typeof error.code === 'string') {
    const code = error.code as RedemptionErrorCode
    return new ApiError(typeof error.message === 'string' && error.message ? error.message : code, {
      code,
      status,
      requestId: typeof error.requestId === 'string' ? error.requestId : headerRequestId,
      retryable: isRetryableAnswer(status, code),
    })
  }
  // No contract body, e.g. a proxy's HTML 502: the status alone decides.
  return new BenefitKitError(`unexpected HTTP ${status} answer: ${snippet(response.body)}`, {
    code: 'UNEXPECTED_RESPONSE',
    status,
    requestId: headerRequestId,
    retryable: isRetryableAnswer(status, undefined),
  })
}

/** A transport rejection as an error. Anything that is not a `TransportError` counts as a network failure. */
export function errorFromTransport(cause: unknown): BenefitKitError {
  if (isTransportError(cause)) {
    const options = { cause, retryable: cause.retryable }
    if (cause.kind === 'timeout') return new TimeoutError(cause.message, { ...options, code: 'TIMEOUT' })
    if (cause.kind === 'aborted') return new NetworkError(cause.message, { ...options, code: 'ABORTED' })
    return new NetworkError(cause.message, { ...options, code: 'NETWORK_ERROR' })
  }
  const message = cause instanceof Error ? cause.message : String(cause)
  return new NetworkError(`transport failed: ${message}`, { code: 'NETWORK_ERROR', cause, retryable: true })
}

function snippet(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text)
}
