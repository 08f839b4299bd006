import Router from '@koa/router'
import { sql } from 'kysely'
import type { ConnectorContext } from '../context.js'
import { pendingMigrations } from '../db/open.js'
import { setRequestLabels } from '../observability/request-labels.js'

export interface HealthOptions {
  /** True while the connector shuts down: /readyz turns 503 so a balancer stops sending. */
  draining?: () => boolean
}

/**
 * `/healthz`: the process is alive (always 200 while it can answer).
 * `/readyz`: it should receive traffic — the database answers a read, every
 * migration is applied, and it is not shutting down; 503 with the failing
 * check otherwise. Both are cheap enough to probe every second.
 */
export function createHealthRouter(context: ConnectorContext, { draining = () => false }: HealthOptions = {}): Router {
  const router = new Router()
  const started = Date.now()
  // Applied migrations never un-apply while we run: once all are in, stop asking.
  let migrated = false

  router.get('/healthz', (ctx) => {
    setRequestLabels(ctx, 'healthz')
    ctx.body = { status: 'ok', uptimeSeconds: Math.round((Date.now() - started) / 1000) }
  })

  router.get('/readyz', async (ctx) => {
    setRequestLabels(ctx, 'readyz')
    const checks: Record<string, string> = {}
    try {
      if (!context.sqlite.open) throw new Error('the database connection is closed')
      // A real read from the file (not just `select 1`, which never touches it).
      await sql`select count(*) as n from (select 1 from settings limit 1)`.execute(context.db)
      checks.database = 'ok'
      if (!migrated) {
        const pending = await pendingMigrations(context.db)
        migrated = pending.length === 0
        checks.migrations = migrated ? 'ok' : `pending: ${pending.join(', ')}`
      } else {
        checks.migrations = 'ok'
      }
    } catch (error) {
      checks.database = `error: ${(error as Error).message}`
    }
    if (context.durability.failure) checks.durability = `error: ${context.durability.failure.message}`
    if (draining()) checks.shutdown = 'draining: shutting down'
    const ready = Object.values(checks).every((v) => v === 'ok')
    ctx.status = ready ? 200 : 503
    ctx.body = { status: ready ? 'ok' : 'unavailable', checks }
  })
  return router
}
