import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { FALLBACK_AUTOCHECKPOINT_PAGES } from '../src/db/checkpointer.js'
import { openDatabase } from '../src/db/open.js'

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

test('background checkpointer: the WAL reaches the database file without any COMMIT checkpointing inline', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'benefitkit-checkpoint-'))
  const file = join(dir, 'c.db')
  try {
    const database = openDatabase(file, { syncInBackground: true, checkpointInBackground: true })
    const { sqlite } = database
    assert.is(sqlite.pragma('wal_autocheckpoint', { simple: true }), FALLBACK_AUTOCHECKPOINT_PAGES, 'inline checkpoints only as a safety net')
    sqlite.exec('create table t (id integer primary key, v text)')
    const insert = sqlite.prepare('insert into t (v) values (?)')
    sqlite.transaction(() => {
      for (let i = 0; i < 2_000; i++) insert.run('x'.repeat(200))
    })()
    const before = statSync(file).size
    // ~100 pages sit in the WAL; only the worker can have copied them into the file.
    await until(() => statSync(file).size > before + 100 * 4096)
    assert.is((sqlite.prepare('select count(*) as n from t').get() as { n: number }).n, 2_000)
    await database.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('background checkpointer: off by default (one-shot CLI commands) and for :memory:', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'benefitkit-checkpoint-'))
  try {
    const plain = openDatabase(join(dir, 'a.db'))
    assert.is(plain.sqlite.pragma('wal_autocheckpoint', { simple: true }), 1000, "SQLite's default")
    await plain.close()
    const memory = openDatabase(':memory:', { checkpointInBackground: true })
    await memory.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
