import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import { IDEMPOTENCY_KEY } from '@benefitkit/shared'
import type { Database } from '../db/schema.js'
import { invalidRequest } from './errors.js'

/**
 * Idempotency-Key handling for redeems (docs/redemption-api.md). The stored
 * row is the durable record: it is written in the redeem's own transaction,
 * so an answer that was committed can always be replayed. Rows are kept at
 * least {@link IDEMPOTENCY_RETENTION_MS}.
 */
export const IDEMPOTENCY_RETENTION_MS = 72 * 3600_000

/** The header value, or a 400 that says what a key must look like. */
export function idempotencyKeyOf(header: string | string[] | undefined): string {
  if (header === undefined || header === '') throw invalidRequest('Idempotency-Key header is required: one key per logical redeem, reused on every retry')
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY.test(header)) {
    throw invalidRequest('Idempotency-Key must be 8-255 characters of [A-Za-z0-9_.:-]')
  }
  return header
}

/**
 * What makes a repeat "the same request": the path, the user a token is scoped
 * to (so two users of one API key never see each other's answers), and the
 * body's exact bytes (retries resend the same bytes).
 */
export function requestFingerprint(path: string, userId: string | undefined, rawBody: Buffer): string {
  return createHash('sha256').update(`${path}\n${userId ?? ''}\n`, 'utf8').update(rawBody).digest('base64url')
}

/**
 * Keys whose first request is still running in this process. The database row
 * only exists once that request commits; until then a repeat is told 409
 * IDEMPOTENCY_KEY_IN_USE instead of running twice. (Across replicas on
 * PostgreSQL the primary key does the same: the second insert conflicts.)
 */
export class InFlightKeys {
  readonly #keys = new Set<string>()

  tryAcquire(scope: string, key: string): boolean {
    const id = `${scope}\n${key}`
    if (this.#keys.has(id)) return false
    this.#keys.add(id)
    return true
  }

  release(scope: string, key: string): void {
    this.#keys.delete(`${scope}\n${key}`)
  }

  get size(): number {
    return this.#keys.size
  }
}

/** Deletes up to `batch` idempotency rows past their retention; returns how many. */
export async function purgeExpiredIdempotencyKeys(db: Kysely<Database>, now: number, batch = 1000): Promise<number> {
  const result = await db
    .deleteFrom('idempotency_keys')
    .where(({ eb, refTuple, selectFrom }) =>
      eb(
        refTuple('scope', 'key'),
        'in',
        selectFrom('idempotency_keys')
          .select(['scope', 'key'])
          .where('expires_at', '<', now)
          .limit(batch)
          .$asTuple('scope', 'key'),
      ),
    )
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
