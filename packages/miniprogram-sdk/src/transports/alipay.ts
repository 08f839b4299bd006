/**
 * Transport over Alipay's `my.request`.
 *
 * Quirks smoothed over here (style.md §2.2, `@mini-types/my` `lib.my.d.ts`):
 * - request headers go in `headers`; answers carry `status`/`headers`, 3.x also `statusCode`/`header`;
 * - a non-2xx answer goes to `fail` as `{ error: 19, errorMessage: 'http status error' }`, usually
 *   with `status` and `data`: we turn it back into a normal answer that keeps status and body;
 * - `error` 13 is a timeout, 12 a network failure, 11 a domain missing from the allow-list,
 *   14 a body that could not be decoded;
 * - `dataType: 'text'` keeps the body raw (the default `json` would parse it).
 */
import { TransportError, type Transport } from '../transport.js'
import { bodyText, callbackRequest, lowerCaseHeaders } from './callback-request.js'

/** The subset of `my.request`'s options this adapter sends. */
export interface AlipayRequestOptions {
  url: string
  method: 'GET' | 'POST'
  headers: Record<string, string>
  data: string
  timeout: number
  dataType: 'text'
  success: (result: AlipayRequestResult) => void
  fail: (error: AlipayRequestFailure) => void
}

export interface AlipayRequestResult {
  status?: number
  statusCode?: number
  headers?: Record<string, string>
  header?: Record<string, string>
  data?: unknown
}

export interface AlipayRequestFailure extends AlipayRequestResult {
  error?: number
  errorMessage?: string
}

/** The subset of the `my` global this adapter uses. */
export interface AlipayLike {
  request(options: AlipayRequestOptions): unknown
}

const HTTP_STATUS_ERROR = 19
const NO_PERMISSION = 11
const TIMEOUT = 13

export function alipayTransport(my: AlipayLike): Transport {
  if (!my || typeof my.request !== 'function') throw new TypeError('alipayTransport(my) needs the `my` global with my.request')
  return (req) =>
    callbackRequest(req.timeoutMs, ({ resolve, reject }) =>
      my.request({
        url: req.url,
        method: req.method,
        headers: req.headers,
        data: req.body,
        timeout: req.timeoutMs,
        dataType: 'text',
        success: (res) => resolve(toResponse(res, 200)),
        fail: (err) => {
          const status = err.status ?? err.statusCode
          if (err.error === HTTP_STATUS_ERROR && typeof status === 'number') return resolve(toResponse(err, status))
          reject(toTransportError(err))
        },
      }),
    )
}

function toResponse(res: AlipayRequestResult, fallbackStatus: number) {
  return {
    status: res.status ?? res.statusCode ?? fallbackStatus,
    headers: lowerCaseHeaders(res.headers ?? res.header),
    body: bodyText(res.data),
  }
}

function toTransportError(err: AlipayRequestFailure): TransportError {
  const message = `my.request failed: error ${err.error}${err.errorMessage ? ` (${err.errorMessage})` : ''}`
  if (err.error === TIMEOUT) return new TransportError('timeout', message, { cause: err })
  if (/abort/i.test(err.errorMessage ?? '')) return new TransportError('aborted', message, { cause: err })
  // Another attempt cannot fix a domain missing from the mini program's allow-list.
  return new TransportError('network', message, { cause: err, retryable: err.error !== NO_PERMISSION })
}
