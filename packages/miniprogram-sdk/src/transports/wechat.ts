/**
 * Transport over WeChat's `wx.request`.
 *
 * Quirks smoothed over here (style.md §2.2, `miniprogram-api-typings` `lib.wx.api.d.ts`):
 * - request headers go in `header`; answers carry `statusCode`/`header`;
 * - a non-2xx answer still goes to `success`, which is what we want;
 * - failures only have an `errMsg`: `'request:fail timeout'`, `'request:fail abort'`, …;
 * - any `dataType` other than `'json'` leaves the body unparsed; should a base library parse it
 *   anyway, the object is re-serialised.
 */
import { TransportError, type Transport } from '../transport.js'
import { bodyText, callbackRequest, lowerCaseHeaders } from './callback-request.js'

/** The subset of `wx.request`'s options this adapter sends. */
export interface WechatRequestOptions {
  url: string
  method: 'GET' | 'POST'
  header: Record<string, string>
  data: string
  timeout: number
  dataType: string
  responseType: 'text'
  success: (result: WechatRequestResult) => void
  fail: (error: WechatRequestFailure) => void
}

export interface WechatRequestResult {
  statusCode: number
  header?: Record<string, string>
  data?: unknown
  errMsg?: string
}

export interface WechatRequestFailure {
  errMsg: string
  errno?: number
}

/** The subset of the `wx` global this adapter uses. */
export interface WechatLike {
  request(options: WechatRequestOptions): unknown
}

export function wechatTransport(wx: WechatLike): Transport {
  if (!wx || typeof wx.request !== 'function') throw new TypeError('wechatTransport(wx) needs the `wx` global with wx.request')
  return (req) =>
    callbackRequest(req.timeoutMs, ({ resolve, reject }) =>
      wx.request({
        url: req.url,
        method: req.method,
        header: req.headers,
        data: req.body,
        timeout: req.timeoutMs,
        // The documented "anything but json" value: the body arrives as the raw string.
        dataType: '其他',
        responseType: 'text',
        success: (res) => resolve({ status: res.statusCode, headers: lowerCaseHeaders(res.header), body: bodyText(res.data) }),
        fail: (err) => reject(toTransportError(err)),
      }),
    )
}

function toTransportError(err: WechatRequestFailure): TransportError {
  const errMsg = String(err?.errMsg ?? '')
  const message = `wx.request failed: ${errMsg}`
  if (/timeout/i.test(errMsg)) return new TransportError('timeout', message, { cause: err })
  if (/abort/i.test(errMsg)) return new TransportError('aborted', message, { cause: err })
  // 'request:fail url not in domain list': fix the mini program's settings, retrying cannot.
  return new TransportError('network', message, { cause: err, retryable: !/domain list/i.test(errMsg) })
}
