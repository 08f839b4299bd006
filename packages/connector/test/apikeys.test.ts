import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { apiKeyIdOfSecret, createApiKey, listApiKeys, migrateToLatest, openDatabase, revokeApiKey } from '@benefitkit/connector'

const test = suite('apikeys: repository')

async function withDb<T>(fn: (db: ReturnType<typeof openDatabase>['db']) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'benefitkit-apikeys-'))
  const database = openDatabase(join(dir, 'db.sqlite'))
  try {
    const migrated = await migrateToLatest(database.db)
    if (migrated.error) throw migrated.error
    return await fn(database.db)
  } finally {
    await database.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

test('a new key: bk_<id>_<43 base64url chars>, only SHA-256(secret) stored', async () => {
  await withDb(async (db) => {
    const key = await createApiKey(db, { name: 'checkout', now: 1_700_000_000_000 })
    assert.match(key.secret, /^bk_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/)
    assert.is(apiKeyIdOfSecret(key.secret), key.id)
    const row = await db.selectFrom('api_keys').selectAll().where('id', '=', key.id).executeTakeFirstOrThrow()
    assert.is(row.secret_hash, createHash('sha256').update(key.secret).digest('hex'))
    assert.not.match(JSON.stringify(row), new RegExp(key.secret.slice(16)))
    assert.is(row.name, 'checkout')
    assert.is(row.created_at, 1_700_000_000_000)
    const other = await createApiKey(db)
    assert.is.not(other.id, key.id)
    assert.is(other.name, 'unnamed')
  })
})

test('list shows every key without secrets; revoke is final and says when it already was', async () => {
  await withDb(async (db) => {
    const a = await createApiKey(db, { name: 'a', now: 1 })
    const b = await createApiKey(db, { name: 'b', now: 2 })
    assert.equal(await revokeApiKey(db, a.id, 10), { status: 'revoked', revokedAt: 10 })
    assert.equal(await revokeApiKey(db, a.id, 20), { status: 'already-revoked', revokedAt: 10 })
    assert.equal(await revokeApiKey(db, 'nosuch', 20), { status: 'not-found' })
    const keys = await listApiKeys(db)
    assert.equal(keys, [
      { id: a.id, name: 'a', createdAt: 1, revokedAt: 10, lastUsedAt: null },
      { id: b.id, name: 'b', createdAt: 2, revokedAt: null, lastUsedAt: null },
    ])
  })
})

test.run()
