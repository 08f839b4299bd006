import { defineCommand } from 'citty'
import type { Db } from '../db/open.js'
import { TEMPLATE_STATES, type TemplateState } from '../db/schema.js'
import { outboxStats } from '../outbox/queries.js'
import { configArgs, databaseFileFrom, output, withDatabase } from './common.js'
import { duration, relative } from './time-args.js'

/**
 * `benefitkit status`: what an operator checks first — the outbox by state,
 * how long the oldest undelivered call has waited, and templates by state.
 */

async function templateCounts(db: Db): Promise<Record<TemplateState, number>> {
  const rows = await db
    .selectFrom('templates')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('state')
    .execute()
  const counts = Object.fromEntries(TEMPLATE_STATES.map((s) => [s, 0])) as Record<TemplateState, number>
  for (const row of rows) counts[row.state] = Number(row.n)
  return counts
}

export default defineCommand({
  meta: { name: 'status', description: 'Outbox and templates at a glance' },
  args: configArgs,
  async run({ args }) {
    const file = databaseFileFrom(args)
    await withDatabase(file, async ({ db }) => {
      const now = Date.now()
      const outbox = await outboxStats(db, now)
      const templates = await templateCounts(db)
      output(args.json, { database: file, outbox, templates }, () => {
        const c = outbox.counts
        const lines = [
          `Database ${file}`,
          `Outbox: ${c.pending} pending, ${c.in_flight} in flight, ${c.delivered} delivered, ${c.dead} dead`,
        ]
        if (outbox.oldestPendingAgeMs !== null) lines.push(`  oldest undelivered call waiting ${duration(outbox.oldestPendingAgeMs)}`)
        if (outbox.nextAttemptAt !== null && c.pending > 0) lines.push(`  next attempt ${relative(outbox.nextAttemptAt, now)}`)
        if (c.dead > 0) {
          lines.push(`  ${c.dead} dead: see them with \`benefitkit outbox list --status dead\`, replay with \`benefitkit outbox replay --dead\``)
        }
        lines.push(`Templates: ${TEMPLATE_STATES.map((s) => `${templates[s]} ${s}`).join(', ')}`)
        return lines.join('\n')
      })
    })
  },
})
