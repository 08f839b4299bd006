import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { migrateToLatest, openDatabase, type Db } from '@benefitkit/connector'
import { runCli } from '../src/cli/main.js'
import { parseSince } from '../src/cli/time-args.js'
import { enqueueOutbox } from '../src/outbox/enqueue.js'
import { markDead } from '../src/outbox/fail.js'
import { markDelivered } from '../src/outbox/complete.js'
import { runCli as runCliProcess } from './support/ops-cli.js'
import { usedBody } from './support/outbox-fixtures.js'

/**
 * `benefitkit outbox …` and `benefitkit status` in this process (fast), plus
 * one run of the real executable for its exit code.
 */

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** Runs the CLI in this process against `file`, capturing what it writes. */
async function cli(file: string, ...argv: string[]): Promise<Run> {
  const out: string[] = []
  const err: string[] = []
  const write = { out: process.stdout.write, err: process.stderr.write }
  const previous = process.env.BENEFITKIT_DB
  process.env.BENEFITKIT_DB = file
  process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write
  process.stderr.write = ((chunk: string) => (err.push(String(chunk)), true)) as typeof process.stderr.write
  try {
    const code = await runCli(argv)
    return { code, stdout: out.join(''), stderr: err.join('') }
  } finally {
    process.stdout.write = write.out
    process.stderr.write = write.err
    if (previous === undefined) delete process.env.BENEFITKIT_DB
    else process.env.BENEFITKIT_DB = previous
  }
}

/** A database with one delivered, one pending (waiting), one dead and one syncBenefit row, plus a template. */
async function seeded(): Promise<{ file: string; dir: string; ids: { delivered: number; pending: number; dead: number } }> {
  const dir = mkdtempSync(join(tmpdir(), 'benefitkit-cli-'))
  const file = join(dir, 'benefitkit.db')
  const database = openDatabase(file, { synchronous: 'NORMAL' })
  await migrateToLatest(database.db)
  const db: Db = database.db
  const now = Date.now()
  const add = (id: string) =>
    db.transaction().execute((trx) => enqueueOutbox(trx, { api: 'syncUsedBenefit', idempotencyId: id, body: usedBody(id, 'tpl-cli').replace('"useScene"', '"benefitCode":"SECRET-CODE-1","useScene"'), orderingKey: 'tpl-cli', now: now - 120_000 }))
  const delivered = await add('use-delivered')
  const pending = await add('use-pending')
  const dead = await add('use-dead')
  await markDelivered(db, { id: delivered, code: 'SUCCESS', now })
  await db.updateTable('outbox').set({ attempts: 2, next_attempt_at: now + 600_000, last_code: 'HTTP_503', last_error: 'HTTP status 503' }).where('id', '=', pending).execute()
  await markDead(db, { id: dead, code: 'BIZ_ERROR_NO_RETRY', message: 'instance unknown', now: now - 3_600_000 })
  await database.close()
  return { file, dir, ids: { delivered, pending, dead } }
}

test('outbox list: a table by default, JSON with --json, filtered by --status, bounded by --limit', async () => {
  const { file, dir, ids } = await seeded()
  try {
    const human = await cli(file, 'outbox', 'list')
    assert.is(human.code, 0, human.stderr)
    assert.match(human.stdout, /^ID\s+API\s+IDEMPOTENCY ID\s+STATE\s+ATTEMPTS\s+NEXT\s+LAST CODE\s+CREATED/)
    assert.match(human.stdout, /use-pending\s+pending\s+2\s+in 10 min\s+HTTP_503/)

    const dead = await cli(file, 'outbox', 'list', '--status', 'dead', '--json')
    assert.is(dead.code, 0)
    const rows = JSON.parse(dead.stdout).rows as Array<{ id: number; state: string; last_code: string; body?: string }>
    assert.equal(rows.map((r) => [r.id, r.state, r.last_code]), [[ids.dead, 'dead', 'BIZ_ERROR_NO_RETRY']])
    assert.is(rows[0]!.body, undefined, 'lists carry no bodies')

    const limited = await cli(file, 'outbox', 'list', '--limit', '1', '--json')
    assert.equal(JSON.parse(limited.stdout).rows.map((r: { id: number }) => r.id), [ids.dead])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('outbox list: a bad --status or --limit is a usage error (exit 2) that says what to type', async () => {
  const { file, dir } = await seeded()
  try {
    const status = await cli(file, 'outbox', 'list', '--status', 'lost')
    assert.is(status.code, 2)
    assert.match(status.stderr, /--status must be one of pending, in_flight, delivered, dead; e\.g\. benefitkit outbox list --status dead/)
    const limit = await cli(file, 'outbox', 'list', '--limit', 'ten')
    assert.is(limit.code, 2)
    assert.match(limit.stderr, /--limit must be a whole number/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('outbox show: the row, why it died, how to replay it; codes masked unless --reveal', async () => {
  const { file, dir, ids } = await seeded()
  try {
    const shown = await cli(file, 'outbox', 'show', String(ids.dead))
    assert.is(shown.code, 0)
    assert.match(shown.stdout, new RegExp(`row ${ids.dead}  syncUsedBenefit  dead`))
    assert.match(shown.stdout, /last result     BIZ_ERROR_NO_RETRY — instance unknown/)
    assert.match(shown.stdout, new RegExp(`replay it with: benefitkit outbox retry ${ids.dead}`))
    assert.not.match(shown.stdout, /SECRET-CODE-1/)
    assert.match(shown.stdout, /"benefitCode":"\[redacted\]"/)

    const revealed = await cli(file, 'outbox', 'show', String(ids.dead), '--reveal', '--json')
    const row = JSON.parse(revealed.stdout).row as { body: string; idempotency_id: string }
    assert.is(row.idempotency_id, 'use-dead')
    assert.ok(row.body.includes('"benefitCode":"SECRET-CODE-1"'))

    const missing = await cli(file, 'outbox', 'show', '999')
    assert.is(missing.code, 1)
    assert.match(missing.stderr, /no outbox row 999\. List rows with: benefitkit outbox list/)
    const notNumber = await cli(file, 'outbox', 'show', 'abc')
    assert.is(notNumber.code, 2)
    const absent = await cli(file, 'outbox', 'show')
    assert.is(absent.code, 2, 'a missing ID is a usage error')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('outbox retry: replays a dead row, makes a waiting row due now, refuses a delivered one (exit 1)', async () => {
  const { file, dir, ids } = await seeded()
  try {
    const replayed = await cli(file, 'outbox', 'retry', String(ids.dead))
    assert.is(replayed.code, 0)
    assert.match(replayed.stdout, /replayed with its idempotency id and body/)
    const due = await cli(file, 'outbox', 'retry', String(ids.pending), '--json')
    assert.equal(JSON.parse(due.stdout), { kind: 'due_now', id: ids.pending })
    const delivered = await cli(file, 'outbox', 'retry', String(ids.delivered))
    assert.is(delivered.code, 1)
    assert.match(delivered.stderr, /was delivered at .*; there is nothing to retry/)

    const after = JSON.parse((await cli(file, 'outbox', 'list', '--json')).stdout).rows as Array<{ id: number; state: string; attempts: number; next_attempt_at: number; replayed_at: number | null }>
    const dead = after.find((r) => r.id === ids.dead)!
    assert.equal([dead.state, dead.attempts], ['pending', 0])
    assert.ok(dead.replayed_at !== null)
    assert.ok(after.find((r) => r.id === ids.pending)!.next_attempt_at <= Date.now())
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('outbox replay --dead [--since T]: bulk replay; without --dead or with a bad time it says what to type', async () => {
  const { file, dir, ids } = await seeded()
  try {
    const bare = await cli(file, 'outbox', 'replay')
    assert.is(bare.code, 2)
    assert.match(bare.stderr, /benefitkit outbox replay --dead \[--since 2h\]\. One row: benefitkit outbox retry ID/)
    const badTime = await cli(file, 'outbox', 'replay', '--dead', '--since', 'yesterday')
    assert.is(badTime.code, 2)
    assert.match(badTime.stderr, /--since must be a duration \(2h, 30m, 3d\)/)

    // The row died an hour ago: not "since 30m", but "since 2h".
    const recent = await cli(file, 'outbox', 'replay', '--dead', '--since', '30m', '--json')
    assert.equal(JSON.parse(recent.stdout), { replayed: 0, ids: [] })
    const older = await cli(file, 'outbox', 'replay', '--dead', '--since', '2h')
    assert.is(older.code, 0)
    assert.match(older.stdout, new RegExp(`Replayed 1 dead row \\(${ids.dead}\\)`))
    const again = await cli(file, 'outbox', 'replay', '--dead')
    assert.match(again.stdout, /No dead rows; nothing replayed\./)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('status: counts per state, the oldest undelivered call’s age, templates by state', async () => {
  const { file, dir } = await seeded()
  try {
    const json = await cli(file, 'status', '--json')
    assert.is(json.code, 0)
    const report = JSON.parse(json.stdout) as {
      outbox: { counts: Record<string, number>; oldestPendingAgeMs: number }
      templates: Record<string, number>
    }
    assert.equal(report.outbox.counts, { pending: 1, in_flight: 0, delivered: 1, dead: 1 })
    assert.ok(report.outbox.oldestPendingAgeMs >= 120_000 && report.outbox.oldestPendingAgeMs < 180_000)
    assert.equal(report.templates, { DRAFT: 0, SYNCING: 0, SYNCED: 0, FAILED: 0 })

    const human = await cli(file, 'status')
    assert.match(human.stdout, /Outbox: 1 pending, 0 in flight, 1 delivered, 1 dead/)
    assert.match(human.stdout, /oldest undelivered call waiting 120 s|oldest undelivered call waiting 2 min/)
    assert.match(human.stdout, /1 dead: see them with `benefitkit outbox list --status dead`, replay with `benefitkit outbox replay --dead`/)
    assert.match(human.stdout, /Templates: 0 DRAFT, 0 SYNCING, 0 SYNCED, 0 FAILED/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('--since accepts durations, dates, ISO times with offset and epoch ms', () => {
  const now = Date.parse('2026-11-24T12:00:00Z')
  assert.is(parseSince('2h', now), now - 7_200_000)
  assert.is(parseSince('30m', now), now - 1_800_000)
  assert.is(parseSince('90s', now), now - 90_000)
  assert.is(parseSince('3d', now), now - 3 * 86_400_000)
  assert.is(parseSince('2026-11-24', now), Date.parse('2026-11-24T00:00:00Z'))
  assert.is(parseSince('2026-11-24T08:00:00+08:00', now), Date.parse('2026-11-24T00:00:00Z'))
  assert.is(parseSince('1763971200000', now), 1763971200000)
  assert.is(parseSince('yesterday', now), undefined)
  assert.is(parseSince('2026-11-24T08:00:00', now), undefined, 'a time without an offset is ambiguous')
})

test('the real executable: `benefitkit outbox replay` without --dead exits 2, `status` exits 0', async () => {
  const { file, dir } = await seeded()
  try {
    const usage = await runCliProcess(['outbox', 'replay'], { env: { BENEFITKIT_DB: file } })
    assert.is(usage.code, 2, usage.stderr)
    assert.match(usage.stderr, /--dead/)
    const status = await runCliProcess(['status'], { env: { BENEFITKIT_DB: file } })
    assert.is(status.code, 0, status.stderr)
    assert.match(status.stdout, /Outbox: 1 pending/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
