import type { Db } from '../db/open.js'
import type { OutboxState } from '../db/schema.js'
import { reopenRejectedSync } from '../templates/sync-state.js'

/**
 * Operator actions on parked rows (CLI `outbox retry|replay`, admin API).
 * A replay keeps the row's idempotency id and exact body — the platform must
 * see a repeat, never a new call — and restarts its schedule: attempts 0, due
 * now, a fresh retry horizon counted from `replayed_at`. Wake the worker
 * afterwards (`context.outbox.wake()`); a daemon in another process finds the
 * rows at its next poll (≤ 1 s).
 */

export type RetryResult =
  | { kind: 'replayed'; id: number }
  /** A pending row waiting for its next attempt: now due at once (schedule kept). */
  | { kind: 'due_now'; id: number }
  | { kind: 'not_found'; id: number }
  /** Delivered or being delivered right now: nothing to do. */
  | { kind: 'refused'; id: number; state: OutboxState; deliveredAt: number | null }

const replayed = (now: number) =>
  ({ state: 'pending', attempts: 0, next_attempt_at: now, replayed_at: now, lease_owner: null, lease_until: null, updated_at: now }) as const

/**
 * A replayed syncBenefit that the platform had refused outright reopens its
 * template (FAILED → DRAFT) so the replay's answer decides again; in the same
 * transaction as the replay.
 */
async function reopenTemplates(trx: Db, rows: ReadonlyArray<{ api: string; idempotency_id: string }>, now: number): Promise<void> {
  for (const row of rows) if (row.api === 'syncBenefit') await reopenRejectedSync(trx, row.idempotency_id, now)
}

/** Replays one dead row by id. Returns false when the row is not dead. */
export async function replayDeadRow(db: Db, id: number, now: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .updateTable('outbox')
      .set(replayed(now))
      .where('id', '=', id)
      .where('state', '=', 'dead')
      .returning(['api', 'idempotency_id'])
      .execute()
    await reopenTemplates(trx, rows, now)
    return rows.length > 0
  })
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

/** `outbox replay --dead [--since T]`: replays every matching dead row in one transaction; returns their ids. */
export async function replayDeadRows(db: Db, { now, since, api }: ReplayDeadInput): Promise<number[]> {
  return db.transaction().execute(async (trx) => {
    let query = trx.updateTable('outbox').set(replayed(now)).where('state', '=', 'dead')
    // A dead row is never updated again until replayed, so updated_at is when it died.
    if (since !== undefined) query = query.where('updated_at', '>=', since)
    if (api !== undefined) query = query.where('api', '=', api)
    const rows = await query.returning(['id', 'api', 'idempotency_id']).execute()
    await reopenTemplates(trx, rows, now)
    return rows.map((r) => r.id).sort((a, b) => a - b)
  })
}
