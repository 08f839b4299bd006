import type { Db } from '../db/open.js'

export interface RetryLaterInput {
  id: number
  owner: string
  nextAttemptAt: number
  code: string
  message: string
  now: number
}

/**
 * An unknown (U) outcome: back to pending with the next time from the row's
 * schedule. Only the lease owner may do this, so a worker whose lease lapsed
 * cannot push back a row another worker is delivering.
 */
export async function scheduleRetry(db: Db, { id, owner, nextAttemptAt, code, message, now }: RetryLaterInput): Promise<boolean> {
  const result = await db
    .updateTable('outbox')
    .set({
      state: 'pending',
      next_attempt_at: nextAttemptAt,
      last_code: code,
      last_error: message.slice(0, 1000),
      lease_owner: null,
      lease_until: null,
      updated_at: now,
    })
    .where('id', '=', id)
    .where('state', '=', 'in_flight')
    .where('lease_owner', '=', owner)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

export interface DeadInput {
  id: number
  code: string
  message: string
  now: number
  /** Required when the verdict is ours (horizon passed), not the platform's F. */
  owner?: string
}

/**
 * Parks the row for an operator: the platform said F (final, never repeat as
 * is) or the retry horizon passed. `last_code` / `last_error` say why;
 * `updated_at` is when it died (what `replay --since` filters on).
 */
export async function markDead(db: Db, { id, code, message, now, owner }: DeadInput): Promise<boolean> {
  let query = db
    .updateTable('outbox')
    .set({ state: 'dead', last_code: code, last_error: message.slice(0, 1000), lease_owner: null, lease_until: null, updated_at: now })
    .where('id', '=', id)
  query = owner === undefined ? query.where('state', 'in', ['pending', 'in_flight']) : query.where('state', '=', 'in_flight').where('lease_owner', '=', owner)
  const result = await query.executeTakeFirst()
  return result.numUpdatedRows > 0n
}
