import type { Transaction } from 'kysely'
import type { PlatformApiName } from '@benefitkit/shared'
import type { Database } from '../db/schema.js'

export interface OutboxEntry {
  api: PlatformApiName
  /** The body's idempotency id (benefitSyncRequestId, benefitUseRequestId). */
  idempotencyId: string
  /** The exact body to send, already serialised: it never changes afterwards. */
  body: string
  /** Rows with the same key are ordered where it matters (the template id). */
  orderingKey?: string
  now: number
}

/**
 * Records a platform call in the outbox. Call it inside the transaction that
 * makes the state change, so both commit or neither does; after the commit,
 * `context.outbox.wake()` starts the first attempt at once.
 */
export async function enqueueOutbox(trx: Transaction<Database>, entry: OutboxEntry): Promise<number> {
  const row = await trx
    .insertInto('outbox')
    .values({
      api: entry.api,
      idempotency_id: entry.idempotencyId,
      body: entry.body,
      ordering_key: entry.orderingKey ?? null,
      state: 'pending',
      attempts: 0,
      next_attempt_at: entry.now,
      lease_owner: null,
      lease_until: null,
      last_code: null,
      last_error: null,
      created_at: entry.now,
      updated_at: entry.now,
      delivered_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}
