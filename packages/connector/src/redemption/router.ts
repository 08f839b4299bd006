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

/** The redemption API used by checkout code through the SDK. */
export function createRedemptionRouter(context: ConnectorContext, api: RedemptionApi = createRedemptionApi(context)): Router {
  const router = new Router()
  router.post(REDEMPTION_PATHS.redeem, api.redeem)
  router.post(REDEMPTION_PATHS.lookup, api.lookup)
  router.post(REDEMPTION_PATHS.userTokens, api.userTokens)
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
  const handlers = new Map<string, Middleware>([
    [REDEMPTION_PATHS.redeem, api.redeem],
    [REDEMPTION_PATHS.lookup, api.lookup],
    [REDEMPTION_PATHS.userTokens, api.userTokens],
  ])
  return function redemptionFastPath(ctx, next) {
    const handler = ctx.method === 'POST' ? handlers.get(ctx.path) : undefined
    return handler ? handler(ctx, next) : next()
  }
}
