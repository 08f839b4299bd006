import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { migrateToLatest, openDatabase } from '@benefitkit/connector'
import { enqueueOutbox } from '../src/outbox/enqueue.js'
import { TEST_CLIENT_ID } from './support/connector.js'
import { testKeys } from './support/keys.js'
import { syncBody, usedBody } from './support/outbox-fixtures.js'
import { startPlatformStub } from './support/platform-stub.js'

const here = dirname(fileURLToPath(import.meta.url))
const repoRoot = resolve(here, '../../..')
const childEntry = join(here, 'support/outbox-child.ts')

const ROWS = 1_000
const KILLS = 6

interface Child {
  process: ChildProcess
  ready: Promise<void>
  exited: Promise<void>
}

function startChild(env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', childEntry], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  const ready = new Promise<void>((resolveReady, reject) => {
    let out = ''
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      if (out.includes('ready ')) resolveReady()
    })
    child.once('exit', (code, signal) => reject(new Error(`child exited before ready (${code ?? signal}): ${stderr.slice(-2000)}`)))
  })
  return { process: child, ready, exited }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** CRASH_DEBUG=1 shows each run's start-up time and progress. */
const debug = (...parts: unknown[]) => {
  if (process.env.CRASH_DEBUG) console.log(...parts)
}

test(`SIGKILL at random points while ${ROWS} rows are delivered, restarted each time: every row delivered, none lost, no body changed`, async () => {
  const keys = testKeys()
  const stub = await startPlatformStub()
  const dir = mkdtempSync(join(tmpdir(), 'benefitkit-crash-'))
  const file = join(dir, 'benefitkit.db')
  const children: Child[] = []
  try {
    // Slow and unreliable enough that each run is cut off mid-delivery.
    stub.inject({ kind: 'delay', ms: 4 }, { probability: 0.5 })
    stub.inject({ kind: 'http', status: 500 }, { probability: 0.05 })
    stub.inject({ kind: 'drop' }, { probability: 0.03, afterProcessing: true })

    // The rows, committed before any connector runs: one template's syncBenefit first, then its redemptions.
    const database = openDatabase(file, { synchronous: 'NORMAL' })
    assert.is((await migrateToLatest(database.db)).error, undefined)
    const now = Date.now()
    const templates = ['tpl-crash-a', 'tpl-crash-b']
    const bodies = new Map<string, string>()
    await database.db.transaction().execute(async (trx) => {
      const syncId = 'sync-tpl-crash-a'
      bodies.set(syncId, syncBody(syncId, 'tpl-crash-a'))
      await enqueueOutbox(trx, { api: 'syncBenefit', idempotencyId: syncId, body: bodies.get(syncId)!, orderingKey: 'tpl-crash-a', now })
      for (let i = 0; i < ROWS; i++) {
        const id = `crash-use-${i}`
        const template = templates[i % 2]!
        bodies.set(id, usedBody(id, template))
        await enqueueOutbox(trx, { api: 'syncUsedBenefit', idempotencyId: id, body: bodies.get(id)!, orderingKey: template, now })
      }
    })
    await database.close()

    const env = {
      BENEFITKIT_DB: file,
      BENEFITKIT_DB_SYNCHRONOUS: 'NORMAL',
      BENEFITKIT_PORT: '0',
      BENEFITKIT_CLIENT_ID: TEST_CLIENT_ID,
      BENEFITKIT_PRIVATE_KEY: keys.isv.privateKeyBase64,
      BENEFITKIT_PLATFORM_URL: stub.url,
      BENEFITKIT_PLATFORM_PUBLIC_KEY: keys.platform.publicKeyBase64,
      BENEFITKIT_PLATFORM_TIMEOUT_MS: '300',
      BENEFITKIT_OUTBOX_CONCURRENCY: '16',
      BENEFITKIT_LOG_LEVEL: 'silent',
      BENEFITKIT_TEST_OUTBOX: JSON.stringify({
        leaseMs: 800,
        pollIntervalMs: 50,
        quickRetries: { retries: 1, minTimeoutMs: 5, maxTimeoutMs: 20 },
        schedule: { delaysMs: [20, 50], thenEveryMs: 100, horizonMs: 600_000, jitter: 0.2 },
        reconciler: false,
      }),
    }

    let kills = 0
    let killsMidDelivery = 0
    // Up to KILLS runs, but never so many that the work is done before the last kill (a fast machine).
    for (; kills < KILLS && stub.acceptedCount() < ROWS * 0.9; kills++) {
      const child = startChild(env)
      children.push(child)
      const t0 = performance.now()
      await child.ready
      debug('ready in', (performance.now() - t0).toFixed(0), 'accepted', stub.acceptedCount(), 'calls', stub.calls.length)
      const callsBefore = stub.calls.length
      await sleep(50 + Math.random() * 300)
      child.process.kill('SIGKILL')
      await child.exited
      if (stub.calls.length > callsBefore && stub.acceptedCount() < ROWS + 1) killsMidDelivery++
    }
    assert.ok(kills >= 3, `only ${kills} kills`)
    assert.ok(killsMidDelivery >= kills / 2, `only ${killsMidDelivery} of ${kills} kills landed mid-delivery`)
    assert.ok(stub.acceptedCount() < ROWS + 1, 'the kills interrupted the work (not everything was done before the last kill)')

    // A last run, left alone until every row is delivered.
    const last = startChild(env)
    children.push(last)
    const t1 = performance.now()
    await last.ready
    debug('last ready in', (performance.now() - t1).toFixed(0), 'accepted', stub.acceptedCount())
    const check = openDatabase(file, { synchronous: 'NORMAL' })
    try {
      const deadline = performance.now() + 15_000
      for (;;) {
        const open = await check.db.selectFrom('outbox').select(({ fn }) => fn.countAll<number>().as('n')).where('state', '!=', 'delivered').executeTakeFirstOrThrow()
        if (Number(open.n) === 0) break
        debug('open', open.n, 'accepted', stub.acceptedCount(), (performance.now() - t1).toFixed(0))
        if (performance.now() > deadline) assert.unreachable(`${open.n} rows still not delivered`)
        await sleep(50)
      }
      last.process.kill('SIGTERM')
      await last.exited

      const rows = await check.db.selectFrom('outbox').selectAll().execute()
      assert.is(rows.length, ROWS + 1)
      for (const row of rows) {
        assert.is(row.state, 'delivered')
        assert.is(row.body, bodies.get(row.idempotency_id), 'the row body never changed')
        assert.ok(stub.isAccepted(row.idempotency_id), `${row.idempotency_id} accepted by the platform`)
        const sent = stub.bodies(row.idempotency_id)
        assert.ok(sent.length >= 1 && sent.every((b) => b === row.body), `${row.idempotency_id}: every body sent equals the first`)
      }
      assert.equal(stub.idsWithDifferingBodies(), [])
      assert.ok(!stub.calls.some((c) => c.answer === 'REPEAT_REQ_INCONSISTENT'))
      // Per-template order held across every crash.
      const synced = stub.calls.findIndex((c) => c.id === 'sync-tpl-crash-a' && c.answer.startsWith('SUCCESS'))
      const firstA = stub.calls.findIndex((c) => c.api === 'syncUsedBenefit' && JSON.parse(c.body).benefitTemplateId === 'tpl-crash-a')
      assert.ok(synced >= 0 && firstA > synced, `tpl-crash-a's first syncUsedBenefit (${firstA}) after its syncBenefit (${synced})`)
      // Some rows really were sent more than once: the crashes cost repeats, not losses.
      assert.ok(stub.calls.length > ROWS + 1)
    } finally {
      await check.close()
    }
  } finally {
    for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL')
    await stub.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
