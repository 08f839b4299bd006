import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import type { QueryRunner } from '../../db/prepared.js'
import type { RedemptionQueries } from '../queries.js'

export interface PendingNonce {
  keyId: string
  nonce: string
  /** After this the request's ts is outside the window anyway, so the row can go. */
  expiresAt: number
}

/**
 * The replay guard of signed requests: records the (key, nonce) pair, in the
 * caller's transaction when there is one. False when it was already recorded:
 * the request is a replay.
 */
export async function recordNonce(runner: QueryRunner, queries: RedemptionQueries, pending: PendingNonce): Promise<boolean> {
  const result = await queries.insertNonce.run(runner, { key_id: pending.keyId, nonce: pending.nonce, expires_at: pending.expiresAt })
  return (result.numAffectedRows ?? 0n) > 0n
}

/** Deletes up to `batch` nonces whose ts can no longer pass the window check; returns how many. */
export async function purgeExpiredNonces(db: Kysely<Database>, now: number, batch = 1000): Promise<number> {
  const result = await db
    .deleteFrom('api_nonces')
    .where(({ eb, refTuple, selectFrom }) =>
      eb(
        refTuple('key_id', 'nonce'),
        'in',
        selectFrom('api_nonces').select(['key_id', 'nonce']).where('expires_at', '<', now).limit(batch).$asTuple('key_id', 'nonce'),
      ),
    )
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
