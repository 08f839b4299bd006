import type { Kysely } from 'kysely'
import type { ApiKeyRow, Database } from '../db/schema.js'
import { hashApiKeySecret, newApiKeyId, newApiKeySecret } from './secret.js'

/** Repositories take the database (or a transaction) as their first argument. */
type Db = Kysely<Database>

export interface CreatedApiKey {
  id: string
  name: string
  /** Shown once: the database keeps only its SHA-256. */
  secret: string
  createdAt: number
}

export interface ApiKeyInfo {
  id: string
  name: string
  createdAt: number
  revokedAt: number | null
  lastUsedAt: number | null
}

export type RevokeOutcome =
  | { status: 'revoked'; revokedAt: number }
  | { status: 'already-revoked'; revokedAt: number }
  | { status: 'not-found' }

/** Creates a key and returns its secret, the only time the secret exists outside the caller. */
export async function createApiKey(db: Db, options: { name?: string | undefined; now?: number | undefined } = {}): Promise<CreatedApiKey> {
  const id = newApiKeyId()
  const secret = newApiKeySecret(id)
  const createdAt = options.now ?? Date.now()
  const name = options.name?.trim() || 'unnamed'
  await db
    .insertInto('api_keys')
    .values({ id, name, secret_hash: hashApiKeySecret(secret), created_at: createdAt, revoked_at: null, last_used_at: null })
    .execute()
  return { id, name, secret, createdAt }
}

/** Every key, oldest first, never with its hash. */
export async function listApiKeys(db: Db): Promise<ApiKeyInfo[]> {
  const rows = await db
    .selectFrom('api_keys')
    .select(['id', 'name', 'created_at', 'revoked_at', 'last_used_at'])
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, revokedAt: r.revoked_at, lastUsedAt: r.last_used_at }))
}

/**
 * Revokes a key for good. A running connector refuses it (and the user tokens
 * it issued) within its key cache's TTL (1 s).
 */
export async function revokeApiKey(db: Db, id: string, now: number = Date.now()): Promise<RevokeOutcome> {
  const updated = await db
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  if (updated.numUpdatedRows > 0n) return { status: 'revoked', revokedAt: now }
  const row = await db.selectFrom('api_keys').select('revoked_at').where('id', '=', id).executeTakeFirst()
  if (!row) return { status: 'not-found' }
  return { status: 'already-revoked', revokedAt: row.revoked_at ?? now }
}

export async function findApiKey(db: Db, id: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Records that a key was used; callers throttle it (it is informational). */
export async function touchApiKey(db: Db, id: string, now: number): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute()
}
