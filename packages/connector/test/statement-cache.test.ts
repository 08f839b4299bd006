import SQLite from 'better-sqlite3'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { NOT_SYNCED, type Durability } from '../src/db/durability.js'
import { withStatementCache } from '../src/db/statement-cache.js'

test('statement cache: one prepare per SQL text, least recently used evicted, a busy statement not reused', () => {
  const sqlite = new SQLite(':memory:')
  sqlite.exec('create table t (a integer); insert into t values (1), (2)')
  let prepares = 0
  const original = sqlite.prepare.bind(sqlite)
  sqlite.prepare = ((sql: string) => {
    prepares++
    return original(sql)
  }) as typeof sqlite.prepare
  const db = withStatementCache(sqlite, NOT_SYNCED, 2)
  const a1 = db.prepare('select a from t')
  assert.is(db.prepare('select a from t'), a1)
  assert.is(prepares, 1)
  db.prepare('select a + 1 from t')
  db.prepare('select a from t') // a hit moves it to the back of the line
  db.prepare('select a + 2 from t') // evicts "a + 1", the least recently used
  assert.is(db.prepare('select a from t'), a1)
  const before = prepares
  db.prepare('select a + 1 from t')
  assert.is(prepares, before + 1, 'the evicted statement is prepared again')
  // While iterating, the statement is busy: a nested use gets its own statement.
  const iterator = a1.iterate([])
  iterator.next()
  const nested = db.prepare('select a from t')
  assert.is.not(nested, a1)
  assert.equal(nested.all([]), [{ a: 1 }, { a: 2 }])
  iterator.return?.()
  db.close()
  assert.not.ok(sqlite.open)
})

test('statement cache: counts a commit when writes end outside a transaction, never for reads', () => {
  const sqlite = new SQLite(':memory:')
  sqlite.exec('create table t (a integer)')
  let commits = 0
  const counting: Durability = { ...NOT_SYNCED, committed: () => void commits++ }
  const db = withStatementCache(sqlite, counting)
  const run = (sql: string) => {
    const statement = db.prepare(sql)
    return statement.reader ? statement.all([]) : statement.run([])
  }
  run('insert into t values (1)')
  assert.is(commits, 1, 'an autocommit write is a commit')
  run('select a from t')
  assert.is(commits, 1, 'a read is not')
  run('begin')
  run('insert into t values (2)')
  run('savepoint s')
  run('insert into t values (3)')
  run('release savepoint s')
  assert.is(commits, 1, 'nothing is committed inside the transaction, not even at an inner RELEASE')
  run('commit')
  assert.is(commits, 2, 'the COMMIT after writes is')
  run('begin')
  run('select a from t')
  run('commit')
  assert.is(commits, 2, 'a transaction that only read commits nothing')
  run('insert into t values (4) returning a')
  assert.is(commits, 3, 'a write with RETURNING (a reader) is a commit too')
  db.close()
})

test.run()
