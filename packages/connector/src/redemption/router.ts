import Router from '@koa/router'
import type { Middleware } from 'koa'
import type { ConnectorContext } from '../context.js'
import { createRedemptionApi, type RedemptionApi } from './api.js'

/** Paths of the redemption API (docs/redemption-api.md). Codes never travel in URLs. */
export const REDEMPTION_PATHS = {
  redeem: '/v1/redemptions',
  lookup: '/v1/benefits/lookup',
  userTokens: '/v1/user-tokens',
} as const

/** Each path with its handler: the one table the router and the fast path both serve. */
function routesOf(api: RedemptionApi): Array<[string, Middleware]> {
  return [
    [REDEMPTION_PATHS.redeem, api.redeem],
    [REDEMPTION_PATHS.lookup, api.lookup],
    [REDEMPTION_PATHS.userTokens, api.userTokens],
  ]
}

/** The redemption API used by checkout code through the SDK. */
export function createRedemptionRouter(context: ConnectorContext, api: RedemptionApi = createRedemptionApi(context)): Router {
  const router = new Router()
  for (const [path, handler] of routesOf(api)) router.post(path, handler)
  return router
}

/**
 * The three hot paths without a router's matching (three routers tried in turn
 * cost ~8 % of a lookup's CPU): an exact `POST` to one of them goes straight to
 * its handler, mounted before the routers. Anything else — another method, a
 * trailing slash, other letter case — goes on to the routers, which answer it
 * exactly as before.
 */
export function redemptionFastPath(api: RedemptionApi): Middleware {
  const handlers = new Map(routesOf(api))
  return function redemptionFastPath(ctx, next) {
    const handler = ctx.method === 'POST' ? handlers.get(ctx.path) : undefined
    return handler ? handler(ctx, next) : next()
  }
}
