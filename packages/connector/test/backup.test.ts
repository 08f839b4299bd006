import { spawn } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import SQLite from 'better-sqlite3'
import { Connector, createLogger } from '@benefitkit/connector'
import { testConfig } from './support/connector.js'
import { syncedTemplate } from './support/issuing.js'
import { runCli, spawnCli } from './support/ops-cli.js'

const WRITER = fileURLToPath(new URL('./support/ops-writer.ts', import.meta.url))

/** A migrated database with a template and some outbox rows, and the daemon stopped. */
async function seededDatabase(): Promise<{ dir: string; db: string }> {
  const config = testConfig()
  const connector = await Connector.create(config, { logger: createLogger('silent') })
  const { url } = await connector.start()
  await connector.worker.stop()
  await syncedTemplate({ connector, url, config, dir: join(config.db, '..'), stop: async () => {} })
  await connector.stop()
  return { dir: join(config.db, '..'), db: config.db }
}

test('backup FILE copies and verifies: human output, --json, exit codes for an existing FILE, a missing database, FILE = database', async () => {
  const { dir, db } = await seededDatabase()
  const env = { BENEFITKIT_DB: db }
  try {
    const file = join(dir, 'copy.db')
    const run = await runCli(['backup', file], { env })
    assert.is(run.code, 0, run.stderr)
    assert.match(run.stdout, new RegExp(`to ${file.replaceAll('.', '\\.')}`))
    assert.match(run.stdout, /Verified: integrity ok; \d+ migrations applied/)
    assert.match(run.stdout, /templates\s+1/)
    assert.match(run.stdout, /To restore: stop the connector/)
    assert.match(run.stderr, /backing up: 100%/)
    const copy = new SQLite(file, { readonly: true })
    try {
      assert.is(copy.prepare('select count(*) from templates').pluck().get(), 1)
      assert.is(copy.pragma('journal_mode', { simple: true }), 'delete')
    } finally {
      copy.close()
    }

    const again = await runCli(['backup', file], { env })
    assert.is(again.code, 1)
    assert.match(again.stderr, /exists: choose another name or add --force/)

    const json = await runCli(['backup', file, '--force', '--json'], { env })
    assert.is(json.code, 0, json.stderr)
    const report = JSON.parse(json.stdout) as { ok: boolean; integrity: string; rows: Record<string, number>; file: string; pages: number }
    assert.is(report.ok, true)
    assert.is(report.integrity, 'ok')
    assert.is(report.rows.templates, 1)
    assert.is(report.rows.outbox, 1)
    assert.ok(report.pages > 0)
    assert.is(json.stderr, '', '--json prints no progress')

    const noDb = await runCli(['backup', join(dir, 'other.db')], { env: { BENEFITKIT_DB: join(dir, 'missing.db') } })
    assert.is(noDb.code, 1)
    assert.match(noDb.stderr, /no database at .*missing\.db: set BENEFITKIT_DB/)
    assert.not.ok(existsSync(join(dir, 'missing.db')), 'a typo must not create an empty database')

    const self = await runCli(['backup', db], { env })
    assert.is(self.code, 1)
    assert.match(self.stderr, /FILE is the database itself/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a backup taken while another process writes opens and holds every row committed before it started, with no gaps', async () => {
  const { dir, db } = await seededDatabase()
  // Some volume, so the copy takes several steps and the writer gets in between them.
  const prefill = new SQLite(db)
  prefill.pragma('journal_mode = WAL')
  const insert = prefill.prepare(
    "insert into outbox (api, idempotency_id, body, state, attempts, next_attempt_at, created_at, updated_at) values ('syncUsedBenefit', ?, ?, 'delivered', 1, 0, 0, 0)",
  )
  prefill.transaction(() => {
    for (let i = 0; i < 4000; i++) insert.run(`prefill-${i}`, `{"pad":"${'p'.repeat(900)}"}`)
  })()
  prefill.close()

  const writer = spawn(process.execPath, ['--conditions=source', '--import', import.meta.resolve('tsx'), WRITER, db], { stdio: ['ignore', 'pipe', 'pipe'] })
  let committed = 0
  let writerErrors = ''
  writer.stderr!.on('data', (c: Buffer) => (writerErrors += c.toString()))
  writer.stdout!.on('data', (c: Buffer) => {
    for (const match of c.toString().matchAll(/committed (\d+)/g)) committed = Math.max(committed, Number(match[1]))
  })
  try {
    // Let the writer get going, then back up while it keeps writing.
    const started = Date.now()
    while (committed < 4500 && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 20))
    assert.ok(committed >= 4500, `the writer did not get going: ${writerErrors}`)
    // The bound: rows committed when the backup reports its first step (it has opened
    // the source and is about to copy) must all be in the copy.
    const file = join(dir, 'under-load.db')
    const child = spawnCli(['backup', file], { env: { BENEFITKIT_DB: db } })
    let committedBeforeBackup = -1
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr!.on('data', (c: Buffer) => {
      if (committedBeforeBackup < 0 && /backing up:/.test(c.toString())) committedBeforeBackup = committed
      stderr += c.toString()
    })
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
    const writtenDuring = committed - committedBeforeBackup
    assert.is(code, 0, stderr)
    assert.ok(committedBeforeBackup > 4000, `progress was shown: ${stderr}`)
    assert.ok(writtenDuring > 0, 'the writer kept writing during the backup')
    assert.match(stdout, /Verified: integrity ok/)

    const copy = new SQLite(file, { readonly: true })
    try {
      assert.is(copy.pragma('integrity_check', { simple: true }), 'ok')
      const { n, max } = copy.prepare('select count(*) as n, max(id) as max from outbox').get() as { n: number; max: number }
      assert.ok(max >= committedBeforeBackup, `copy ends at ${max}, but ${committedBeforeBackup} were committed before the backup`)
      assert.is(n, max, 'the copy is one committed state: ids 1..max, no gaps')
      assert.match(stdout, new RegExp(`outbox\\s+${n}\\n`))
    } finally {
      copy.close()
    }
  } finally {
    writer.kill('SIGKILL')
    await new Promise((resolve) => writer.once('close', resolve))
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
