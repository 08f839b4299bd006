import type { Middleware, ParameterizedContext } from 'koa'
import type { Logger } from '../logger.js'
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id.js'
import type { RequestLabels } from './request-labels.js'

/**
 * First middleware of the app: gives every request an id (echoed in
 * `X-Request-Id`), then writes one log line and one metrics observation when
 * the answer is ready — request id, API, result code, HTTP status, duration.
 * Never bodies, never headers: those carry signatures, API keys and codes.
 *
 * It runs on every request, so it keeps to one log object and cached metric
 * children; labels come from `setRequestLabels` (request-labels.ts).
 */

export interface RequestObserver {
  observeRequest(api: string, code: string, durationMs: number): void
}

export interface RequestLogOptions {
  logger: Logger
  metrics: RequestObserver
  /** Paths logged at debug, not info: probes and scrapes would drown real traffic. */
  quietPaths?: readonly string[]
}

/** Errors this middleware already logged with their request id (app.on('error') skips them). */
const loggedErrors = new WeakSet<object>()

export function wasLogged(error: unknown): boolean {
  return typeof error === 'object' && error !== null && loggedErrors.has(error)
}

export function requestLog({ logger, metrics, quietPaths = ['/healthz', '/readyz', '/metrics'] }: RequestLogOptions): Middleware {
  const quiet = new Set(quietPaths)
  return async function requestLog(ctx, next) {
    const started = performance.now()
    const requestId = requestIdFrom(ctx.req.headers['x-request-id'])
    const state = ctx.state as RequestLabels
    state.requestId = requestId
    ctx.set(REQUEST_ID_HEADER, requestId)
    let failure: unknown
    try {
      await next()
    } catch (error) {
      failure = error
      // Koa's error answer drops the headers set so far; carry the id over.
      if (typeof error === 'object' && error !== null) {
        const withHeaders = error as { headers?: Record<string, string> }
        withHeaders.headers = { ...withHeaders.headers, [REQUEST_ID_HEADER]: requestId }
      }
      throw error
    } finally {
      const durationMs = performance.now() - started
      const status = failure === undefined ? ctx.status : statusOf(failure)
      // `platformApi` is what the platform router names itself with; `api` is the convention.
      const api = state.api ?? (state as { platformApi?: string }).platformApi ?? routeOf(ctx)
      // A handler that set its own X-Request-Id wins, so the log matches what the caller saw.
      const answeredId = ctx.response.get(REQUEST_ID_HEADER) || requestId
      const resultCode = state.resultCode ?? String(status)
      metrics.observeRequest(api, resultCode, durationMs)
      const entry = {
        requestId: answeredId,
        api,
        resultCode,
        status,
        method: ctx.method,
        path: ctx.path,
        durationMs: Math.round(durationMs * 100) / 100,
      }
      if (failure !== undefined && status >= 500) {
        if (typeof failure === 'object' && failure !== null) loggedErrors.add(failure)
        logger.error({ ...entry, err: failure }, 'request failed')
      } else if (quiet.has(ctx.path)) {
        logger.debug(entry, 'request')
      } else {
        logger.info(entry, 'request')
      }
    }
  }
}

function statusOf(error: unknown): number {
  const status = (error as { status?: unknown; statusCode?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500
}

/**
 * The route pattern (`/admin/v1/outbox/:id`), never the raw path: raw paths
 * carry ids and would make a metric label per request. Unmatched requests
 * (scanners, typos) share one label.
 */
function routeOf(ctx: ParameterizedContext): string {
  const matched = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute
  return typeof matched === 'string' ? matched : 'unmatched'
}
