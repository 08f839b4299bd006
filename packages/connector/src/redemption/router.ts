import Router from '@koa/router'
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
