import type { Db } from '../db/open.js'
import { OUTBOX_STATES, type OutboxRow, type OutboxState } from '../db/schema.js'

/** Read-only views of the outbox for the CLI, `status` and the admin API. */

export type OutboxSummary = Omit<OutboxRow, 'body'>

export interface ListOutboxInput {
  state?: OutboxState | undefined
  api?: string | undefined
  /** Default 50. */
  limit?: number | undefined
  /** Rows with a smaller id than this (paging backwards from the newest). */
  beforeId?: number | undefined
}

/** Newest first, without bodies. */
export async function listOutbox(db: Db, { state, api, limit = 50, beforeId }: ListOutboxInput = {}): Promise<OutboxSummary[]> {
  let query = db
    .selectFrom('outbox')
    .select([
      'id',
      'api',
      'idempotency_id',
      'ordering_key',
      'state',
      'attempts',
      'next_attempt_at',
      'lease_owner',
      'lease_until',
      'last_code',
      'last_error',
      'created_at',
      'updated_at',
      'delivered_at',
      'replayed_at',
    ])
  if (state) query = query.where('state', '=', state)
  if (api) query = query.where('api', '=', api)
  if (beforeId !== undefined) query = query.where('id', '<', beforeId)
  return query.orderBy('id', 'desc').limit(limit).execute()
}

/** One row with its exact body. */
export async function getOutboxRow(db: Db, id: number): Promise<OutboxRow | undefined> {
  return db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst()
}

export interface OutboxStats {
  counts: Record<OutboxState, number>
  /** created_at of the oldest row not yet delivered nor dead. */
  oldestPendingAt: number | null
  oldestPendingAgeMs: number | null
  /** The earliest next_attempt_at among pending rows (may be past: due, or waiting behind its template's syncBenefit). */
  nextAttemptAt: number | null
}

export async function outboxStats(db: Db, now: number): Promise<OutboxStats> {
  const rows = await db
    .selectFrom('outbox')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('state')
    .execute()
  const counts = Object.fromEntries(OUTBOX_STATES.map((s) => [s, 0])) as Record<OutboxState, number>
  for (const row of rows) counts[row.state] = Number(row.n)
  const oldest = await db
    .selectFrom('outbox')
    .select((eb) => [
      eb.fn.min('created_at').as('created'),
      eb.fn.min(eb.case().when('state', '=', 'pending').then(eb.ref('next_attempt_at')).end()).as('next'),
    ])
    .where('state', 'in', ['pending', 'in_flight'])
    .executeTakeFirst()
  const oldestPendingAt = typeof oldest?.created === 'number' ? oldest.created : null
  return {
    counts,
    oldestPendingAt,
    oldestPendingAgeMs: oldestPendingAt === null ? null : Math.max(0, now - oldestPendingAt),
    nextAttemptAt: typeof oldest?.next === 'number' ? oldest.next : null,
  }
}
