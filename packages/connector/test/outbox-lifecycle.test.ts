import { rmSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Connector, createLogger } from '@benefitkit/connector'
import { OutboxWorker } from '../src/outbox/worker.js'
import { drained, enqueueUsed, eventually, FAST_QUICK_RETRIES, FAST_SCHEDULE, outboxRows, startRig, uid, usedBody } from './support/outbox-fixtures.js'

test('stop() lets the delivery in flight finish and record its outcome; rows not started stay pending', async () => {
  const rig = await startRig({ outbox: { concurrency: 1, stopTimeoutMs: 3_000 } })
  try {
    rig.stub.inject({ kind: 'delay', ms: 250 })
    await enqueueUsed(rig.connector, 'tpl-a', 3)
    await rig.stub.waitFor(() => rig.stub.calls.length === 1)
    await rig.connector.worker.stop()
    const rows = await outboxRows(rig.db)
    assert.equal(
      rows.map((r) => r.state),
      ['delivered', 'pending', 'pending'],
    )
    assert.ok(rows.every((r) => r.lease_owner === null))
    assert.is(rig.stub.calls.length, 1)
  } finally {
    await rig.stop()
  }
})

test('stop() past its deadline abandons the call in flight and hands the row back, due at once; a restart delivers it with the same body', async () => {
  const rig = await startRig({ outbox: { stopTimeoutMs: 100 } })
  let second: Connector | undefined
  try {
    const hang = rig.stub.inject({ kind: 'delay', ms: 30_000 })
    const [id] = await enqueueUsed(rig.connector, 'tpl-a', 1)
    await rig.stub.waitFor(() => rig.stub.calls.length === 1)
    const started = performance.now()
    await rig.connector.stop()
    assert.ok(performance.now() - started < 1_500, 'stop is bounded')

    hang.remove()
    second = await Connector.create(rig.t.config, {
      logger: createLogger('silent'),
      outbox: { schedule: FAST_SCHEDULE, quickRetries: FAST_QUICK_RETRIES, reconciler: false, pollIntervalMs: 10_000 },
    })
    const [row] = await outboxRows(second.context.db)
    assert.is(row!.state, 'pending')
    assert.is(row!.lease_owner, null)
    assert.ok(row!.next_attempt_at <= Date.now(), 'due at once')
    await second.start()
    // Found by the start-up claim, not by a lease lapsing (the poll is 10 s away).
    await drained(second.context.db, 2_000)
    const bodies = rig.stub.bodies(id!)
    assert.is(bodies.length, 2)
    assert.is(bodies[0], bodies[1])
  } finally {
    await second?.stop()
    await rig.stub.close()
    rmSync(rig.t.dir, { recursive: true, force: true })
  }
})

test('stop() does not wait out the quick-retry pause', async () => {
  const rig = await startRig({ outbox: { quickRetries: { retries: 2, minTimeoutMs: 5_000, maxTimeoutMs: 5_000 } } })
  try {
    rig.stub.outage(1)
    await enqueueUsed(rig.connector, 'tpl-a', 1)
    await rig.stub.waitFor(() => rig.stub.calls.length === 1)
    await new Promise((r) => setTimeout(r, 20))
    const started = performance.now()
    await rig.connector.worker.stop()
    assert.ok(performance.now() - started < 500, `stop took ${performance.now() - started} ms`)
    const [row] = await outboxRows(rig.db)
    assert.is(row!.state, 'pending')
    assert.is(row!.lease_owner, null)
    assert.is(rig.stub.calls.length, 1)
  } finally {
    await rig.stop()
  }
})

test('a crashed worker’s rows come back when their lease lapses, and are delivered', async () => {
  const rig = await startRig({ outbox: { pollIntervalMs: 50 } })
  try {
    const { db, now } = rig.connector.context
    const id = uid('use')
    const t0 = now()
    // As a worker that died mid-delivery leaves it.
    await db
      .insertInto('outbox')
      .values({
        api: 'syncUsedBenefit',
        idempotency_id: id,
        body: usedBody(id, 'tpl-a'),
        ordering_key: 'tpl-a',
        state: 'in_flight',
        attempts: 1,
        next_attempt_at: t0,
        lease_owner: 'ghost:1:dead',
        lease_until: t0 + 300,
        created_at: t0,
        updated_at: t0,
      })
      .execute()
    await new Promise((r) => setTimeout(r, 150))
    assert.is(rig.stub.calls.length, 0, 'a live lease is respected')
    await drained(db, 3_000)
    const [row] = await outboxRows(db)
    assert.is(row!.state, 'delivered')
    assert.is(row!.attempts, 2)
    assert.ok(row!.delivered_at! >= t0 + 300)
  } finally {
    await rig.stop()
  }
})

test('two workers claiming from one table never deliver the same row twice', async () => {
  const rig = await startRig({ outbox: { concurrency: 4 } })
  // A second worker (its own owner and leases) on the same connection: in one
  // process two SQLite connections would only block each other.
  const second = new OutboxWorker(rig.connector.context, {
    schedule: FAST_SCHEDULE,
    quickRetries: FAST_QUICK_RETRIES,
    reconciler: false,
    concurrency: 4,
    pollIntervalMs: 20,
  })
  try {
    second.start()
    assert.is.not(second.options.owner, rig.connector.worker.options.owner)
    let secondDelivered = 0
    second.onDelivery(() => secondDelivered++)
    rig.stub.inject({ kind: 'delay', ms: 5 })
    await enqueueUsed(rig.connector, 'tpl-a', 200)
    second.wake()
    await drained(rig.db, 20_000)
    // Every id arrived exactly once: no row was claimed twice.
    assert.is(rig.stub.calls.length, 200)
    assert.is(rig.stub.acceptedCount(), 200)
    assert.ok(secondDelivered > 0 && secondDelivered < 200, `second worker delivered ${secondDelivered}`)
  } finally {
    await second.stop()
    await rig.stop()
  }
})

test('the worker exposes its resolved options', async () => {
  const rig = await startRig({ outbox: { concurrency: 5, leaseMs: 12_345 } })
  try {
    const { options } = rig.connector.worker
    assert.is(options.concurrency, 5)
    assert.is(options.leaseMs, 12_345)
    assert.equal(options.schedule.delaysMs, FAST_SCHEDULE.delaysMs)
    assert.ok(Object.isFrozen(options))
    assert.match(options.owner, /:\d+:/)
  } finally {
    await rig.stop()
  }
})

test.run()
