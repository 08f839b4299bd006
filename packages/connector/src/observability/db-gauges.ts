import type { Db } from '../db/open.js'

/**
 * The scrape-time reads behind the outbox and stock gauges. Plain kysely
 * queries both SQLite and PostgreSQL accept; each uses an index
 * (outbox_due on state) or a small table (templates).
 */

export interface GaugeSource {
  db: Db
  now: () => number
}

/** States of rows that still need something to happen; delivered rows only grow and are not counted. */
const UNDELIVERED = ['pending', 'in_flight', 'dead'] as const

export interface OutboxGauges {
  rows: Array<{ api: string; state: string; count: number }>
  dead: number
  /** 0 when nothing waits. */
  oldestPendingAgeMs: number
}

export async function readOutboxGauges({ db, now }: GaugeSource): Promise<OutboxGauges> {
  const grouped = await db
    .selectFrom('outbox')
    .select(['api', 'state', (eb) => eb.fn.countAll<number>().as('count'), (eb) => eb.fn.min('created_at').as('oldest')])
    .where('state', 'in', UNDELIVERED)
    .groupBy(['api', 'state'])
    .execute()
  // Always report the two platform calls in every state, so a query like
  // `benefitkit_outbox_rows{state="dead"} > 0` has a series to compare even at zero.
  const rows = new Map<string, { api: string; state: string; count: number }>()
  for (const api of ['syncBenefit', 'syncUsedBenefit']) {
    for (const state of UNDELIVERED) rows.set(`${api} ${state}`, { api, state, count: 0 })
  }
  let dead = 0
  let oldest = Number.POSITIVE_INFINITY
  for (const row of grouped) {
    const count = Number(row.count)
    rows.set(`${row.api} ${row.state}`, { api: row.api, state: row.state, count })
    if (row.state === 'dead') dead += count
    else if (row.oldest !== null) oldest = Math.min(oldest, Number(row.oldest))
  }
  return {
    rows: [...rows.values()],
    dead,
    oldestPendingAgeMs: Number.isFinite(oldest) ? Math.max(0, now() - oldest) : 0,
  }
}

export async function readStockLeft({ db, now }: GaugeSource): Promise<Array<{ template: string; left: number }>> {
  const rows = await db
    .selectFrom('templates')
    .select(['id', 'total_quantity', 'issued_quantity'])
    .where('state', 'in', ['SYNCED', 'SYNCING'])
    .where('end_at', '>', now())
    .execute()
  return rows.map((r) => ({ template: r.id, left: Math.max(0, Number(r.total_quantity) - Number(r.issued_quantity)) }))
}
