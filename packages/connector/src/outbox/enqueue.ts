import type { InsertResult, Transaction } from 'kysely'
import type { PlatformApiName } from '@benefitkit/shared'
import { prepareQuery, type Param, type PreparedQuery } from '../db/prepared.js'
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

interface OutboxInsert {
  api: PlatformApiName
  idempotency_id: string
  body: string
  ordering_key: string | null
  now: number
}

function buildInsert(trx: Transaction<Database>, p: Param<OutboxInsert>) {
  return trx.insertInto('outbox').values({
    api: p('api'),
    idempotency_id: p('idempotency_id'),
    body: p('body'),
    ordering_key: p('ordering_key'),
    state: 'pending',
    attempts: 0,
    next_attempt_at: p('now'),
    lease_owner: null,
    lease_until: null,
    last_code: null,
    last_error: null,
    created_at: p('now'),
    updated_at: p('now'),
    delivered_at: null,
  })
}

/**
 * The insert, built and compiled once per process (building and compiling it
 * cost more than running it) from the first caller's own transaction, so the
 * SQL is that database's dialect. Every database of a connector process has
 * the same dialect (SQLite); a process that mixed dialects would need these
 * keyed by dialect.
 */
let insertReturningId: PreparedQuery<OutboxInsert, { id: number }> | undefined
let insertOnly: PreparedQuery<OutboxInsert, InsertResult> | undefined

function paramsOf(entry: OutboxEntry): OutboxInsert {
  return { api: entry.api, idempotency_id: entry.idempotencyId, body: entry.body, ordering_key: entry.orderingKey ?? null, now: entry.now }
}

/**
 * Records a platform call in the outbox. Call it inside the transaction that
 * makes the state change, so both commit or neither does; after the commit,
 * `context.outbox.wake()` starts the first attempt at once. Returns the row's id.
 */
export async function enqueueOutbox(trx: Transaction<Database>, entry: OutboxEntry): Promise<number> {
  insertReturningId ??= prepareQuery((p: Param<OutboxInsert>) => buildInsert(trx, p).returning('id'))
  const row = (await insertReturningId.run(trx, paramsOf(entry))).rows[0]
  if (!row) throw new Error(`outbox insert of ${entry.api} ${entry.idempotencyId} returned no row`)
  return row.id
}

/**
 * {@link enqueueOutbox} for callers that do not need the row's id (a redeem):
 * the same row, without `RETURNING`, which costs a few µs per insert on SQLite.
 */
export async function enqueueOutboxWithoutId(trx: Transaction<Database>, entry: OutboxEntry): Promise<void> {
  insertOnly ??= prepareQuery((p: Param<OutboxInsert>) => buildInsert(trx, p))
  await insertOnly.run(trx, paramsOf(entry))
}
