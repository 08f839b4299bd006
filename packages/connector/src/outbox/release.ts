import type { Db } from '../db/open.js'

/**
 * On shutdown: rows this owner claimed but did not finish go back to pending,
 * due at once, so they are delivered right after a restart instead of waiting
 * for their lease to run out.
 */
export async function releaseLeases(db: Db, owner: string, now: number, ids?: readonly number[]): Promise<number> {
  let query = db
    .updateTable('outbox')
    .set({ state: 'pending', lease_owner: null, lease_until: null, next_attempt_at: now, updated_at: now })
    .where('state', '=', 'in_flight')
    .where('lease_owner', '=', owner)
  if (ids) {
    if (ids.length === 0) return 0
    query = query.where('id', 'in', ids)
  }
  const result = await query.executeTakeFirst()
  return Number(result.numUpdatedRows)
}
