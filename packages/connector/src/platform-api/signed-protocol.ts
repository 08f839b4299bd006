import type { Context, Middleware } from 'koa'
import { formatIssues, formatProtocolTime } from '@benefitkit/shared'
import { headerValue, signResponse, verifyRequest } from '@benefitkit/shared/signing'
import type { ConnectorContext } from '../context.js'
import { BodyTooLargeError, readRawBody } from '../http/raw-body.js'
import { setRequestLabels } from '../observability/request-labels.js'
import { flatAnswer, type Answer } from './answer.js'
import type { InboundCall, InboundRoute } from './inbound-route.js'

/**
 * The platform's side of protocol.md for every call it makes to us, in the
 * order that costs least first and trusts nothing unchecked:
 *
 *   POST only → a known API → body within the limit → Client-Id, freshness and
 *   signature over the raw bytes → JSON → the shared schema → the handler.
 *
 * Every answer — success, business refusal, malformed request, internal
 * failure — is the flat `{success, resultCode, resultMessage}` shape with HTTP
 * 200, signed once over the exact bytes sent (protocol.md §1–3). An internal
 * error answers SYSTEM_ERROR (U) without details; the cause goes to the log and
 * the handler's transaction has rolled back.
 *
 * For the request log and metrics it names the API and the resultCode with
 * setRequestLabels.
 */

const UTF8 = new TextDecoder('utf-8', { fatal: true })

export function signedProtocol(context: ConnectorContext, routes: ReadonlyMap<string, InboundRoute>): Middleware {
  const { config, keys, logger } = context

  async function answerCall(ctx: Context, route: InboundRoute | undefined, call: InboundCall): Promise<Answer> {
    if (ctx.method !== 'POST') return flatAnswer('METHOD_NOT_SUPPORTED', `method ${ctx.method} is not supported; use POST`)
    if (!route) return flatAnswer('INVALID_API', `no API at ${ctx.path}`)

    let raw: Buffer
    try {
      raw = await readRawBody(ctx.req, config.bodyLimitBytes)
    } catch (error) {
      if (error instanceof BodyTooLargeError) return flatAnswer('PARAM_ILLEGAL', `request body exceeds ${error.limit} bytes`)
      throw error
    }

    const check = verifyRequest({
      method: ctx.method,
      path: ctx.url,
      headers: ctx.req.headers,
      body: raw,
      keyring: keys.platform,
      expectedClientId: config.clientId,
      now: context.now(),
      maxSkewMs: config.maxClockSkewMs,
    })
    if (!check.ok) return flatAnswer(check.code, check.message)

    let json: unknown
    try {
      json = JSON.parse(UTF8.decode(raw))
    } catch {
      return flatAnswer('MEDIA_TYPE_NOT_ACCEPTABLE', 'body is not JSON (UTF-8)')
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      return flatAnswer('PARAM_ILLEGAL', 'body must be a JSON object')
    }
    const parsed = route.schema.safeParse(json)
    if (!parsed.success) return flatAnswer('PARAM_ILLEGAL', formatIssues(parsed.error))
    return route.handle(parsed.data, call)
  }

  return async function signedProtocolCall(ctx) {
    const route = routes.get(ctx.path)
    const call: InboundCall = { urlBase: () => urlBaseOf(context, ctx) }
    let answer: Answer
    try {
      answer = await answerCall(ctx, route, call)
    } catch (error) {
      // A caller that hung up mid-body is not our failure; anything else is, and is logged in full.
      if (ctx.req.socket.destroyed) logger.warn({ api: route?.api, path: ctx.path }, 'platform call aborted by the caller')
      else logger.error({ err: error, api: route?.api, path: ctx.path }, 'platform call failed; answered SYSTEM_ERROR')
      answer = flatAnswer('SYSTEM_ERROR', 'internal error; repeat the same request later')
    }
    // Unknown paths share one label: Prometheus labels must stay a closed set.
    setRequestLabels(ctx, route?.api ?? 'platform.unknown', answer.code)

    const bytes = Buffer.from(answer.body, 'utf8')
    const headers = signResponse({
      method: ctx.method,
      path: ctx.url,
      // The answer is bound to the request's Client-Id; without one, to ours.
      clientId: headerValue(ctx.req.headers, 'Client-Id') || config.clientId,
      body: bytes,
      key: keys.signing,
      time: formatProtocolTime(context.now()),
    })
    ctx.status = 200
    ctx.set(headers)
    ctx.body = bytes
  }
}

let warnedAboutPublicUrl = false

/**
 * Where people reach our `/r/<token>` links: config.publicUrl, else this
 * listener's own address (the Host header when bound to a wildcard address).
 */
function urlBaseOf(context: ConnectorContext, ctx: Context): string {
  const { publicUrl, host } = context.config
  if (publicUrl) return publicUrl.replace(/\/+$/, '')
  if (!warnedAboutPublicUrl) {
    warnedAboutPublicUrl = true
    context.logger.warn('BENEFITKIT_PUBLIC_URL is not set; URL benefits point at this listener address')
  }
  if ((host === '0.0.0.0' || host === '::') && ctx.host) return `http://${ctx.host}`
  const hostPart = host.includes(':') ? `[${host}]` : host
  return `http://${hostPart}:${ctx.req.socket.localPort}`
}
