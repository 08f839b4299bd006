import Router from '@koa/router'
import type { ConnectorContext } from '../context.js'

/** The redemption API used by checkout code through the SDK (issue #5 fills this in). */
export function createRedemptionRouter(_context: ConnectorContext): Router {
  return new Router()
}
