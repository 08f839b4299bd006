import type { Db } from '../db/open.js'
import type { OutboxRow } from '../db/schema.js'

export interface ClaimInput {
  /** Who takes the rows (one worker instance). */
  owner: string
  /** Rows come back to others by themselves at now + leaseMs if this owner dies. */
  leaseMs: number
  limit: number
  now: number
}

export type ClaimedRow = Pick<
  OutboxRow,
  'id' | 'api' | 'idempotency_id' | 'body' | 'ordering_key' | 'attempts' | 'created_at' | 'replayed_at' | 'lease_until'
>

/**
 * Takes up to `limit` due rows in one statement: pending, due, and not waiting
 * behind an earlier undelivered syncBenefit of the same template (a template's
 * syncUsedBenefit never overtakes its syncBenefit; syncUsedBenefit rows of one
 * template do not wait for each other). Counts the delivery in `attempts`
 * up front, so a row that kills its worker still moves along its schedule.
 *
 * The inner SELECT walks the (state, next_attempt_at) index in order and stops
 * at `limit`. On PostgreSQL it gains `FOR UPDATE SKIP LOCKED` so replicas never
 * take the same row; on SQLite the single writer makes the statement atomic.
 * Expired leases are returned to `pending` by `requeueExpiredLeases`.
 */
export async function claimDueRows(db: Db, { owner, leaseMs, limit, now }: ClaimInput): Promise<ClaimedRow[]> {
  if (limit <= 0) return []
  const leaseUntil = now + leaseMs
  return db
    .updateTable('outbox')
    .set((eb) => ({
      state: 'in_flight',
      lease_owner: owner,
      lease_until: leaseUntil,
      attempts: eb('attempts', '+', 1),
      updated_at: now,
    }))
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('outbox as o')
        .select('o.id')
        .where('o.state', '=', 'pending')
        .where('o.next_attempt_at', '<=', now)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('outbox as b')
                .select('b.id')
                .whereRef('b.ordering_key', '=', 'o.ordering_key')
                .where('b.api', '=', 'syncBenefit')
                .where('b.state', '!=', 'delivered')
                .whereRef('b.id', '<', 'o.id'),
            ),
          ),
        )
        .orderBy('o.next_attempt_at')
        .orderBy('o.id')
        .limit(limit),
    )
    .where('state', '=', 'pending')
    .returning(['id', 'api', 'idempotency_id', 'body', 'ordering_key', 'attempts', 'created_at', 'replayed_at', 'lease_until'])
    .execute()
}
