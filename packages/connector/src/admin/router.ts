import Router from '@koa/router'
import type { Context, Middleware, Next } from 'koa'
import type { ConnectorContext } from '../context.js'
import { getRequestId, setRequestLabels } from '../observability/request-labels.js'
import { createBearerCheck } from './bearer.js'
import { AdminError, sendError } from './errors.js'
import { mountInstances } from './routes/instances.js'
import { mountIssuings } from './routes/issuings.js'
import { mountOutbox } from './routes/outbox.js'
import { mountRedemptions } from './routes/redemptions.js'
import { mountStats } from './routes/stats.js'
import { mountTemplates } from './routes/templates.js'

export const ADMIN_PREFIX = '/admin/v1'

/**
 * The admin API as one middleware: everything under `/admin/` is
 * authenticated (`Authorization: Bearer <BENEFITKIT_ADMIN_TOKEN>`), answered
 * in JSON, and errors look like the redemption API's. Without an admin token
 * in the config it is not mounted at all (`undefined`): /admin/* is a 404.
 */
export function createAdminApi(context: ConnectorContext): Middleware | undefined {
  const token = context.config.adminToken
  if (!token) return undefined
  const checkBearer = createBearerCheck(token)

  const router = new Router({ prefix: ADMIN_PREFIX })
  mountTemplates(router, context)
  mountInstances(router, context)
  mountIssuings(router, context)
  mountRedemptions(router, context)
  mountOutbox(router, context)
  mountStats(router, context)
  const routes = router.routes()
  const methods = router.allowedMethods()

  return async function adminApi(ctx: Context, next: Next): Promise<void> {
    if (!ctx.path.startsWith('/admin/')) return next()
    ctx.set('Cache-Control', 'no-store')
    const auth = checkBearer(ctx.get('Authorization') || undefined)
    if (auth !== 'ok') {
      setRequestLabels(ctx, 'admin', auth === 'missing' ? 'UNAUTHENTICATED' : 'FORBIDDEN')
      if (auth === 'missing') {
        ctx.set('WWW-Authenticate', 'Bearer realm="benefitkit-admin"')
        return sendError(ctx, 'UNAUTHENTICATED', 'send Authorization: Bearer <BENEFITKIT_ADMIN_TOKEN>')
      }
      return sendError(ctx, 'FORBIDDEN', 'the admin token is wrong')
    }
    try {
      // The router's context type adds params/router, which it sets itself.
      await routes(ctx as Parameters<typeof routes>[0], async () => {
        await methods(ctx as Parameters<typeof methods>[0], async () => undefined)
      })
      if (ctx.body === undefined && ctx.status === 404) {
        setRequestLabels(ctx, 'admin', 'NOT_FOUND')
        sendError(ctx, 'NOT_FOUND', `no admin endpoint ${ctx.method} ${ctx.path}`)
      }
    } catch (error) {
      if (error instanceof AdminError) {
        setRequestLabels(ctx, (ctx.state as { api?: string }).api ?? 'admin', error.code)
        return sendError(ctx, error.code, error.message, error.problems)
      }
      // Anything else is a bug or a broken database: log it with the request id, answer in JSON.
      setRequestLabels(ctx, (ctx.state as { api?: string }).api ?? 'admin', 'INTERNAL')
      context.logger.error({ err: error, requestId: getRequestId(ctx) }, 'admin request failed')
      return sendError(ctx, 'INTERNAL', 'internal error; see the connector log for this requestId')
    }
  }
}
