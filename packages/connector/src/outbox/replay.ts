import type { Db } from '../db/open.js'
import type { OutboxState } from '../db/schema.js'

/**
 * Operator actions on parked rows (CLI `outbox retry|replay`, admin API).
 * A replay keeps the row's idempotency id and exact body — the platform must
 * see a repeat, never a new call — and restarts its schedule: attempts 0, due
 * now, a fresh retry horizon counted from `replayed_at`.
 */

export type RetryResult =
  | { kind: 'replayed'; id: number }
  /** A pending row waiting for its next attempt: now due at once (schedule kept). */
  | { kind: 'due_now'; id: number }
  | { kind: 'not_found'; id: number }
  /** Delivered or being delivered right now: nothing to do. */
  | { kind: 'refused'; id: number; state: OutboxState; deliveredAt: number | null }

/** Replays one dead row by id. Returns false when the row is not dead. */
export async function replayDeadRow(db: Db, id: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('outbox')
    .set({ state: 'pending', attempts: 0, next_attempt_at: now, replayed_at: now, lease_owner: null, lease_until: null, updated_at: now })
    .where('id', '=', id)
    .where('state', '=', 'dead')
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/** `outbox retry ID`: a dead row is replayed, a waiting row made due now; anything else is refused. */
export async function retryOutboxRow(db: Db, id: number, now: number): Promise<RetryResult> {
  if (await replayDeadRow(db, id, now)) return { kind: 'replayed', id }
  const due = await db
    .updateTable('outbox')
    .set({ next_attempt_at: now, updated_at: now })
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .executeTakeFirst()
  if (due.numUpdatedRows > 0n) return { kind: 'due_now', id }
  const row = await db.selectFrom('outbox').select(['state', 'delivered_at']).where('id', '=', id).executeTakeFirst()
  if (!row) return { kind: 'not_found', id }
  return { kind: 'refused', id, state: row.state, deliveredAt: row.delivered_at }
}

export interface ReplayDeadInput {
  now: number
  /** Only rows that died at or after this time (epoch ms). */
  since?: number | undefined
  /** Only this API's rows. */
  api?: string | undefined
}

/** `outbox replay --dead [--since T]`: replays every matching dead row in one statement; returns their ids. */
export async function replayDeadRows(db: Db, { now, since, api }: ReplayDeadInput): Promise<number[]> {
  let query = db
    .updateTable('outbox')
    .set({ state: 'pending', attempts: 0, next_attempt_at: now, replayed_at: now, lease_owner: null, lease_until: null, updated_at: now })
    .where('state', '=', 'dead')
  // A dead row is never updated again until replayed, so updated_at is when it died.
  if (since !== undefined) query = query.where('updated_at', '>=', since)
  if (api !== undefined) query = query.where('api', '=', api)
  const rows = await query.returning('id').execute()
  return rows.map((r) => r.id).sort((a, b) => a - b)
}
