import type { Db } from '../db/open.js'

export interface DeliveredInput {
  id: number
  /** The platform's result code (SUCCESS). */
  code: string
  now: number
}

/**
 * The platform answered S: the row is done. No owner check — an S is true
 * whoever asked, even if this worker's lease had lapsed and another worker
 * holds the row now (its own answer will be the same S, by idempotency).
 */
export async function markDelivered(db: Db, { id, code, now }: DeliveredInput): Promise<boolean> {
  const result = await db
    .updateTable('outbox')
    .set({ state: 'delivered', delivered_at: now, last_code: code, lease_owner: null, lease_until: null, updated_at: now })
    .where('id', '=', id)
    .where('state', 'in', ['pending', 'in_flight'])
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}
