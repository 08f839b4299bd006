import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { migrateToLatest, openDatabase, type OpenedDatabase } from '../src/db/open.js'
import { enqueueOutbox, enqueueOutboxWithoutId } from '../src/outbox/enqueue.js'

const test = suite('outbox: enqueue')

async function freshDatabase(): Promise<OpenedDatabase> {
  const database = openDatabase(':memory:')
  const migrated = await migrateToLatest(database.db)
  if (migrated.error) throw migrated.error
  return database
}

const NOW = Date.UTC(2026, 10, 24, 8, 0, 0, 0)

test('enqueueOutbox stores a pending row and returns its id', async () => {
  const { db, close } = await freshDatabase()
  try {
    const first = await db.transaction().execute((trx) => enqueueOutbox(trx, { api: 'syncBenefit', idempotencyId: 'sync-1', body: '{"a":1}', orderingKey: 'tpl-1', now: NOW }))
    const second = await db.transaction().execute((trx) => enqueueOutbox(trx, { api: 'syncUsedBenefit', idempotencyId: 'bu-1', body: '{"b":2}', now: NOW + 5 }))
    assert.ok(second > first)
    const rows = await db.selectFrom('outbox').selectAll().orderBy('id').execute()
    assert.equal(
      rows.map((r) => r.id),
      [first, second],
    )
    assert.equal(rows[1], {
      id: second,
      api: 'syncUsedBenefit',
      idempotency_id: 'bu-1',
      body: '{"b":2}',
      ordering_key: null,
      state: 'pending',
      attempts: 0,
      next_attempt_at: NOW + 5,
      lease_owner: null,
      lease_until: null,
      last_code: null,
      last_error: null,
      created_at: NOW + 5,
      updated_at: NOW + 5,
      delivered_at: null,
      replayed_at: null,
    })
  } finally {
    await close()
  }
})

test('enqueueOutboxWithoutId stores the very row enqueueOutbox would', async () => {
  const { db, close } = await freshDatabase()
  try {
    const entry = { api: 'syncUsedBenefit', body: '{"benefitUseRequestId":"x"}', orderingKey: 'tpl-9', now: NOW } as const
    const returned = await db.transaction().execute((trx) => enqueueOutbox(trx, { ...entry, idempotencyId: 'with-id' }))
    const nothing = await db.transaction().execute((trx) => enqueueOutboxWithoutId(trx, { ...entry, idempotencyId: 'without-id' }))
    assert.is(nothing, undefined)
    const [withId, withoutId] = await db.selectFrom('outbox').selectAll().orderBy('id').execute()
    assert.is(withId!.id, returned)
    assert.equal({ ...withoutId, id: 0, idempotency_id: '' }, { ...withId, id: 0, idempotency_id: '' })
  } finally {
    await close()
  }
})

test('the insert compiled once runs in whichever transaction and database is given', async () => {
  const one = await freshDatabase()
  const two = await freshDatabase()
  try {
    for (const [i, { db }] of [one, two, one, two].entries()) {
      await db.transaction().execute(async (trx) => {
        await enqueueOutbox(trx, { api: 'syncUsedBenefit', idempotencyId: `r-${i}`, body: '{}', now: NOW })
        await enqueueOutboxWithoutId(trx, { api: 'syncUsedBenefit', idempotencyId: `w-${i}`, body: '{}', now: NOW })
      })
    }
    const ids = async (database: OpenedDatabase) => (await database.db.selectFrom('outbox').select('idempotency_id').orderBy('id').execute()).map((r) => r.idempotency_id)
    assert.equal(await ids(one), ['r-0', 'w-0', 'r-2', 'w-2'])
    assert.equal(await ids(two), ['r-1', 'w-1', 'r-3', 'w-3'])
  } finally {
    await one.close()
    await two.close()
  }
})

test('a second row with the same api and idempotency id fails, and its transaction with it', async () => {
  const { db, close } = await freshDatabase()
  try {
    await db.transaction().execute((trx) => enqueueOutboxWithoutId(trx, { api: 'syncUsedBenefit', idempotencyId: 'dup', body: '{}', now: NOW }))
    for (const enqueue of [enqueueOutbox, enqueueOutboxWithoutId]) {
      let failed: unknown
      try {
        await db.transaction().execute(async (trx) => {
          await enqueueOutbox(trx, { api: 'syncUsedBenefit', idempotencyId: 'other', body: '{}', now: NOW })
          await enqueue(trx, { api: 'syncUsedBenefit', idempotencyId: 'dup', body: '{}', now: NOW })
        })
      } catch (error) {
        failed = error
      }
      assert.match(String(failed), /UNIQUE constraint failed/)
    }
    const rows = await db.selectFrom('outbox').select('idempotency_id').execute()
    assert.equal(rows, [{ idempotency_id: 'dup' }])
  } finally {
    await close()
  }
})

test.run()
