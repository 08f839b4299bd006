import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { migrateToLatest, openDatabase } from '@benefitkit/connector'
import { GroupCommit } from '../src/db/group-commit.js'

const test = suite('redemption: group commit')

async function withDb(fn: (db: ReturnType<typeof openDatabase>, file: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'benefitkit-gc-'))
  const file = join(dir, 'db.sqlite')
  const database = openDatabase(file, { synchronous: 'NORMAL' })
  try {
    const migrated = await migrateToLatest(database.db)
    if (migrated.error) throw migrated.error
    await fn(database, file)
  } finally {
    await database.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const setting = (key: string) => ({ key, value: 'v' })

test('units of one turn share one transaction; a failing unit is rolled back alone and only its caller sees the error', async () => {
  await withDb(async ({ db }) => {
    const commits = new GroupCommit(db)
    const seen: unknown[] = []
    const results = await Promise.allSettled([
      commits.run(async (trx) => {
        seen.push(trx)
        await trx.insertInto('settings').values(setting('a')).execute()
        return 'a'
      }),
      commits.run(async (trx) => {
        seen.push(trx)
        await trx.insertInto('settings').values(setting('b')).execute()
        throw new Error('unit b failed')
      }),
      commits.run(async (trx) => {
        seen.push(trx)
        // Sees the earlier unit's write: units run one after the other.
        const a = await trx.selectFrom('settings').select('key').where('key', '=', 'a').executeTakeFirst()
        await trx.insertInto('settings').values(setting(a ? 'c-after-a' : 'c')).execute()
        return 'c'
      }),
    ])
    assert.equal(
      results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
      ['a', 'unit b failed', 'c'],
    )
    assert.is(seen.length, 3)
    assert.ok(seen[0] === seen[1] && seen[1] === seen[2], 'one transaction for the three units')
    const keys = (await db.selectFrom('settings').select('key').where('key', 'in', ['a', 'b', 'c', 'c-after-a']).execute()).map((r) => r.key)
    assert.equal(keys.sort(), ['a', 'c-after-a'])
  })
})

test('a unit is answered only once its commit is durable: another connection already sees the row', async () => {
  await withDb(async ({ db }, file) => {
    const commits = new GroupCommit(db)
    const reader = new SQLite(file, { readonly: true })
    try {
      const visible = await Promise.all(
        ['x1', 'x2', 'x3'].map((key) =>
          commits
            .run((trx) => trx.insertInto('settings').values(setting(key)).execute())
            .then(() => reader.prepare('select count(*) as n from settings where key = ?').get(key) as { n: number }),
        ),
      )
      assert.equal(visible.map((v) => v.n), [1, 1, 1])
    } finally {
      reader.close()
    }
  })
})

test('a lone unit that throws rolls its transaction back', async () => {
  await withDb(async ({ db }) => {
    const commits = new GroupCommit(db)
    const error = await commits
      .run(async (trx) => {
        await trx.insertInto('settings').values(setting('lonely')).execute()
        throw new Error('nope')
      })
      .catch((e: Error) => e)
    assert.is((error as Error).message, 'nope')
    assert.is((await db.selectFrom('settings').select('key').where('key', '=', 'lonely').execute()).length, 0)
    // The group commit keeps working afterwards.
    await commits.run((trx) => trx.insertInto('settings').values(setting('after')).execute())
    assert.is((await db.selectFrom('settings').select('key').where('key', '=', 'after').execute()).length, 1)
  })
})

test.run()
