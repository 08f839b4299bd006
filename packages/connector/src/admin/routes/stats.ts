import type { ConnectorContext } from '../../context.js'
import { INSTANCE_STATES, ISSUING_STATES, TEMPLATE_STATES } from '../../db/schema.js'
import { outboxStats } from '../../outbox/queries.js'
import { handler, type AdminRouter } from '../route.js'

const DAY_MS = 24 * 60 * 60 * 1000

/** GET /stats — counts of everything, for a dashboard or a quick look. */
export function mountStats(router: AdminRouter, context: ConnectorContext): void {
  router.get(
    '/stats',
    handler('admin.stats', async () => {
      const { db } = context
      const now = context.now()
      const [templates, instances, expired, issuings, redemptions, recent, apiKeys, outbox] = await Promise.all([
        countBy(db.selectFrom('templates').select(['state as key', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('state').execute(), TEMPLATE_STATES),
        countBy(db.selectFrom('instances').select(['state as key', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('state').execute(), INSTANCE_STATES),
        count(db.selectFrom('instances').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'ACTIVATED').where('expire_at', '<', now).executeTakeFirst()),
        countBy(db.selectFrom('issuings').select(['state as key', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('state').execute(), ISSUING_STATES),
        count(db.selectFrom('redemptions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst()),
        count(db.selectFrom('redemptions').select((eb) => eb.fn.countAll<number>().as('n')).where('redeemed_at', '>=', now - DAY_MS).executeTakeFirst()),
        count(db.selectFrom('api_keys').select((eb) => eb.fn.countAll<number>().as('n')).where('revoked_at', 'is', null).executeTakeFirst()),
        outboxStats(db, now),
      ])
      return {
        templates,
        // EXPIRED is not stored: these ACTIVATED instances are past their expiry.
        instances: { ...instances, ACTIVATED: (instances.ACTIVATED ?? 0) - expired, EXPIRED: expired },
        issuings,
        redemptions: { total: redemptions, last24h: recent },
        apiKeys: { active: apiKeys },
        outbox: {
          ...outbox.counts,
          oldestPendingAgeSeconds: outbox.oldestPendingAgeMs === null ? null : Math.round(outbox.oldestPendingAgeMs / 1000),
        },
      }
    }),
  )
}

async function countBy(rows: Promise<Array<{ key: string; n: number }>>, keys: readonly string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = Object.fromEntries(keys.map((k) => [k, 0]))
  for (const row of await rows) counts[row.key] = Number(row.n)
  return counts
}

async function count(row: Promise<{ n: number } | undefined>): Promise<number> {
  return Number((await row)?.n ?? 0)
}
