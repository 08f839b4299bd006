import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { migrateToLatest, openDatabase, type OpenedDatabase } from '../src/db/open.js'
import { GroupCommit } from '../src/db/group-commit.js'

/**
 * The group commit under issueBenefit: works queued together share one
 * transaction, yet each stays all or nothing and nobody sees a result that
 * did not commit. The `settings` table serves as scratch space.
 */

async function withDb(fn: (database: OpenedDatabase) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'benefitkit-group-'))
  const database = openDatabase(join(dir, 'db.sqlite'), { synchronous: 'NORMAL' })
  try {
    const migration = await migrateToLatest(database.db)
    if (migration.error) throw migration.error
    await fn(database)
  } finally {
    await database.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

function keys(database: OpenedDatabase): string[] {
  return (database.sqlite.prepare('select key from settings order by key').all() as Array<{ key: string }>).map((r) => r.key)
}

test('works queued together share one transaction; a lone work runs at once', async () => {
  await withDb(async (database) => {
    const group = new GroupCommit(database.db)
    const seen: unknown[] = []
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        group.run(async (trx) => {
          seen.push(trx)
          await trx.insertInto('settings').values({ key: `k${i}`, value: String(i) }).execute()
          return i * 2
        }),
      ),
    )
    assert.equal(results, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18])
    assert.is(new Set(seen).size, 1, 'one transaction for the ten')
    assert.is(keys(database).length, 10)
    assert.is(await group.run(async () => 'alone'), 'alone')
  })
})

test('a failing work fails alone: the others commit exactly once, its own writes never do', async () => {
  await withDb(async (database) => {
    const group = new GroupCommit(database.db)
    const runs = new Map<string, number>()
    const work = (key: string, fail = false) =>
      group.run(async (trx) => {
        runs.set(key, (runs.get(key) ?? 0) + 1)
        // A primary key: had a first run's insert survived the rollback, the second run would fail here.
        await trx.insertInto('settings').values({ key, value: 'x' }).execute()
        if (fail) throw new Error(`work ${key} failed`)
        return key
      })
    const outcomes = await Promise.allSettled([work('a'), work('b', true), work('c')])
    assert.equal(
      outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message)),
      ['a', 'work b failed', 'c'],
    )
    assert.equal(keys(database), ['a', 'c'])
    // Each work runs in its own savepoint: the failing one rolls back alone, nobody runs twice.
    assert.is(runs.get('a'), 1)
    assert.is(runs.get('b'), 1)
    assert.is(runs.get('c'), 1)
  })
})

test('a result is only delivered after its transaction committed', async () => {
  await withDb(async (database) => {
    const group = new GroupCommit(database.db)
    const committedWhenResolved: boolean[] = []
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        group
          .run(async (trx) => {
            await trx.insertInto('settings').values({ key: `c${i}`, value: '1' }).execute()
          })
          .then(() => {
            // A second connection sees only committed data.
            const other = openDatabase(database.sqlite.name)
            try {
              committedWhenResolved.push(Boolean(other.sqlite.prepare('select 1 from settings where key = ?').get(`c${i}`)))
            } finally {
              void other.close()
            }
          }),
      ),
    )
    assert.equal(committedWhenResolved, [true, true, true, true, true])
  })
})

test.run()
