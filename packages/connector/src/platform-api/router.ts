import Router from '@koa/router'
import type { ConnectorContext } from '../context.js'

/** The four calls the platform makes to us (issue #3 fills this in). */
export function createPlatformRouter(_context: ConnectorContext): Router {
  return new Router()
}
