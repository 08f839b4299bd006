/**
 * The convention between route handlers and the request log / metrics.
 *
 * A handler that knows which API it served and how it ended calls
 * `setRequestLabels(ctx, 'issueBenefit', 'SUCCESS')` (the protocol resultCode,
 * or the redemption API's error code). The request-log middleware reads the
 * labels after the handler returns; without them it falls back to the matched
 * route and the HTTP status, so nothing breaks when a handler forgets.
 *
 * Labels become Prometheus label values: keep them to a closed set (API names,
 * result codes) — never ids, codes or anything a caller chooses.
 */

/** What the middleware keeps on `ctx.state`. */
export interface RequestLabels {
  /** The API name (`issueBenefit`, `redeem`, `admin.templates.list`, …). */
  api?: string
  /** The protocol resultCode (`SUCCESS`, `BIZ_ERROR_NO_RETRY`) or the error code (`BENEFIT_ALREADY_USED`). */
  resultCode?: string
  /** Set by the request-log middleware before any handler runs; echo it in error bodies. */
  requestId?: string
}

/** Anything with a Koa-style `state` bag (a Koa context). */
export interface HasState {
  state: unknown
}

/** Names the API a request was for and, when known, its result code. Call it again to update the code. */
export function setRequestLabels(ctx: HasState, api: string, resultCode?: string): void {
  const state = ctx.state as RequestLabels
  state.api = api
  if (resultCode !== undefined) state.resultCode = resultCode
}

/** Records only the result code (when the API was already named, e.g. by a router-level middleware). */
export function setResultCode(ctx: HasState, resultCode: string): void {
  ;(ctx.state as RequestLabels).resultCode = resultCode
}

/**
 * The request id of this request (incoming `X-Request-Id` when valid, otherwise
 * generated), for `{"error":{…,"requestId"}}` bodies. Empty string only when
 * the request-log middleware is not mounted (unit tests of a bare router).
 */
export function getRequestId(ctx: HasState): string {
  return (ctx.state as RequestLabels).requestId ?? ''
}
