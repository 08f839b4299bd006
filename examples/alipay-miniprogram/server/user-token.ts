/**
 * The mini program's server: the only place that holds the API key. It knows
 * who the signed-in user is (your session) and mints a short-lived token for
 * that user only, which the mini program uses as `Authorization: Bearer`.
 *
 * A plain node:http handler to keep the example small; the same three lines
 * fit an Express, Koa or Fastify route.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createRedemptionClient, isBenefitKitError } from '@benefitkit/miniprogram-sdk'
import { fetchTransport } from '@benefitkit/miniprogram-sdk/fetch'

export interface TokenRouteOptions {
  /** The connector's URL and an API key from `benefitkit apikeys create`. */
  benefitkitUrl: string
  apiKey: string
  /** Who is signed in, from your own session (for Alipay: the user id you got via my.getAuthCode). */
  userIdOf(req: IncomingMessage): Promise<string | undefined>
  /** Token lifetime, 60..3600 s. Default 900. */
  ttlSeconds?: number
}

/** POST /api/benefitkit-token → `{ token, expiresAt }` for the signed-in user. */
export function userTokenRoute(options: TokenRouteOptions) {
  const benefitkit = createRedemptionClient({
    baseUrl: options.benefitkitUrl,
    auth: { apiKey: options.apiKey },
    transport: fetchTransport(),
  })
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      res.end(JSON.stringify(body))
    }
    const userId = await options.userIdOf(req)
    if (!userId) return send(401, { error: 'sign in first' })
    try {
      const { token, expiresAt } = await benefitkit.createUserToken({ userId, ttlSeconds: options.ttlSeconds ?? 900 })
      send(200, { token, expiresAt })
    } catch (e) {
      // Never pass the connector's error through verbatim to the phone; log the request id.
      const requestId = isBenefitKitError(e) ? e.requestId : undefined
      console.error('benefitkit user token failed', isBenefitKitError(e) ? e.code : e, requestId)
      send(502, { error: 'voucher service unavailable', requestId })
    }
  }
}
