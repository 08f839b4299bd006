import Router from '@koa/router'
import { sql } from 'kysely'
import type { ConnectorContext } from '../context.js'
import { pendingMigrations } from '../db/open.js'

/** `/healthz`: the process is alive. `/readyz`: the database answers and is migrated. */
export function createHealthRouter(context: ConnectorContext): Router {
  const router = new Router()
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' }
  })
  router.get('/readyz', async (ctx) => {
    const checks: Record<string, string> = {}
    try {
      await sql`select 1`.execute(context.db)
      const pending = await pendingMigrations(context.db)
      checks.database = 'ok'
      checks.migrations = pending.length ? `pending: ${pending.join(', ')}` : 'ok'
    } catch (error) {
      checks.database = `error: ${(error as Error).message}`
    }
    const ready = Object.values(checks).every((v) => v === 'ok')
    ctx.status = ready ? 200 : 503
    ctx.body = { status: ready ? 'ok' : 'unavailable', checks }
  })
  return router
}
