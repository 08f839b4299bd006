import type { Db } from '../db/open.js'

/**
 * Rows whose owner died mid-delivery (crash, kill -9, lost replica) come back:
 * an in-flight row whose lease has run out becomes pending and due at once.
 * The lost delivery already counted in `attempts`.
 */
export async function requeueExpiredLeases(db: Db, now: number): Promise<number> {
  const result = await db
    .updateTable('outbox')
    .set({ state: 'pending', lease_owner: null, lease_until: null, next_attempt_at: now, updated_at: now })
    .where('state', '=', 'in_flight')
    .where('lease_until', '<=', now)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}
