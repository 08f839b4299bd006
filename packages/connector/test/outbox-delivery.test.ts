import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { DeliveryEvent } from '../src/outbox/worker.js'
import { drained, enqueueUsed, eventually, outboxRows, startRig, uid, usedBody } from './support/outbox-fixtures.js'

/** Every id the stub saw was always sent with one and the same body. */
function assertBodiesIdentical(stub: { idsWithDifferingBodies(): string[] }) {
  assert.equal(stub.idsWithDifferingBodies(), [], 'a body changed between attempts')
}

test('a committed row is delivered once, signed, with its exact body, and marked delivered', async () => {
  const rig = await startRig()
  try {
    const [id] = await enqueueUsed(rig.connector, 'tpl-a', 1)
    await drained(rig.db)
    const [row] = await outboxRows(rig.db)
    assert.is(row!.state, 'delivered')
    assert.is(row!.attempts, 1)
    assert.is(row!.last_code, 'SUCCESS')
    assert.ok(row!.delivered_at! >= row!.created_at)
    assert.is(row!.lease_owner, null)
    assert.equal(rig.stub.bodies(id!), [row!.body])
    assert.is(rig.stub.calls.length, 1)
  } finally {
    await rig.stop()
  }
})

test('through 500s, timeouts, U codes, bad and missing answer signatures and dropped connections: every row delivered, bodies identical', async () => {
  const rig = await startRig({ platformTimeoutMs: 150, outbox: { concurrency: 8 } })
  try {
    const { stub } = rig
    // Each fault hits a share of calls at random; some only after the platform processed the call.
    stub.inject({ kind: 'http', status: 500 }, { probability: 0.15 })
    stub.inject({ kind: 'delay', ms: 400 }, { probability: 0.05 })
    stub.inject({ kind: 'delay', ms: 400 }, { probability: 0.05, afterProcessing: true })
    stub.inject({ kind: 'result', code: 'SYSTEM_ERROR' }, { probability: 0.1 })
    stub.inject({ kind: 'result', code: 'BIZ_ERROR_NEED_RETRY' }, { probability: 0.05 })
    stub.inject({ kind: 'bad-signature' }, { probability: 0.1, afterProcessing: true })
    stub.inject({ kind: 'unsigned' }, { probability: 0.05 })
    stub.inject({ kind: 'drop' }, { probability: 0.05 })
    stub.inject({ kind: 'drop' }, { probability: 0.05, afterProcessing: true })
    const ids = await enqueueUsed(rig.connector, 'tpl-a', 200)
    await drained(rig.db, 30_000)
    const rows = await outboxRows(rig.db)
    assert.ok(rows.every((r) => r.state === 'delivered'), 'every row delivered')
    for (const id of ids) assert.ok(stub.isAccepted(id, 'syncUsedBenefit'), `${id} accepted`)
    assertBodiesIdentical(stub)
    // The faults did happen, so the rows were really retried.
    assert.ok(stub.calls.length > 260, `only ${stub.calls.length} calls`)
    const kinds = new Set(stub.calls.map((c) => c.answer.replace(/_\d+$/, '')))
    for (const k of ['HTTP', 'DELAY', 'SYSTEM_ERROR', 'SUCCESS+BAD-SIGNATURE', 'SUCCESS+UNSIGNED', 'DROP']) assert.ok(kinds.has(k), `fault ${k} seen`)
  } finally {
    await rig.stop()
  }
})

test('an outage of many attempts, then recovery: every row delivered with the same body every time, the schedule kept in the row', async () => {
  // A long first wait, so the test can look at the rows while they wait.
  const rig = await startRig({ outbox: { schedule: { delaysMs: [400, 20, 40, 60], thenEveryMs: 80, horizonMs: 60_000, jitter: 0.2 } } })
  try {
    const events: DeliveryEvent[] = []
    rig.connector.worker.onDelivery((e) => events.push(e))
    const outage = rig.stub.outage(60)
    const ids = await enqueueUsed(rig.connector, 'tpl-a', 5)
    // During the outage the rows wait between deliveries: pending, with a future next attempt and the reason.
    await eventually(() => events.some((e) => e.verdict.kind === 'retry'), { message: 'a failed delivery' })
    const waiting = (await outboxRows(rig.db)).find((r) => r.state === 'pending' && r.attempts >= 1)
    assert.ok(waiting, 'a row waits for its next attempt')
    assert.is(waiting!.last_code, 'HTTP_503')
    await drained(rig.db, 20_000)
    assert.is(outage.hits, 60)
    const rows = await outboxRows(rig.db)
    assert.ok(rows.every((r) => r.state === 'delivered'))
    assert.ok(rows.some((r) => r.attempts >= 4), `attempts: ${rows.map((r) => r.attempts)}`)
    for (const id of ids) {
      const bodies = rig.stub.bodies(id)
      assert.ok(bodies.length >= 2, `${id} was sent ${bodies.length} times`)
      assert.ok(bodies.every((b) => b === bodies[0]))
    }
    // Quick retries inside one delivery: each failed delivery made 1 + 2 tries.
    const failed = events.filter((e) => e.verdict.kind === 'retry')
    assert.ok(failed.every((e) => e.tries === 3), `tries: ${failed.map((e) => e.tries)}`)
  } finally {
    await rig.stop()
  }
})

test('one 500 then S inside a single delivery: a quick retry, not a rescheduled row', async () => {
  const rig = await startRig()
  try {
    const events: DeliveryEvent[] = []
    rig.connector.worker.onDelivery((e) => events.push(e))
    rig.stub.outage(1, { kind: 'http', status: 500 })
    await enqueueUsed(rig.connector, 'tpl-a', 1)
    await drained(rig.db)
    const [row] = await outboxRows(rig.db)
    assert.is(row!.attempts, 1)
    assert.is(events.length, 1)
    assert.is(events[0]!.tries, 2)
    assert.is(events[0]!.verdict.kind, 'delivered')
  } finally {
    await rig.stop()
  }
})

test('REQUEST_TRAFFIC_EXCEED_LIMIT is not retried within milliseconds: the row waits for its schedule', async () => {
  const rig = await startRig()
  try {
    const events: DeliveryEvent[] = []
    rig.connector.worker.onDelivery((e) => events.push(e))
    rig.stub.outage(1, { kind: 'result', code: 'REQUEST_TRAFFIC_EXCEED_LIMIT' })
    await enqueueUsed(rig.connector, 'tpl-a', 1)
    await drained(rig.db)
    assert.equal(
      events.map((e) => [e.tries, e.verdict.kind]),
      [
        [1, 'retry'],
        [1, 'delivered'],
      ],
    )
  } finally {
    await rig.stop()
  }
})

test('at most `concurrency` deliveries at once', async () => {
  const rig = await startRig({ outbox: { concurrency: 3 } })
  try {
    rig.stub.inject({ kind: 'delay', ms: 40 })
    let open = 0
    let peak = 0
    rig.stub.onCall(() => {
      open++
      peak = Math.max(peak, open)
      setTimeout(() => open--, 40)
    })
    await enqueueUsed(rig.connector, 'tpl-a', 15)
    await drained(rig.db)
    assert.is(peak, 3)
  } finally {
    await rig.stop()
  }
})

test('a commit wakes the worker: the first attempt reaches the platform within milliseconds', async () => {
  // A long poll interval, so only the wake-up can explain a fast first attempt.
  const rig = await startRig({ outbox: { pollIntervalMs: 5_000 } })
  try {
    await enqueueUsed(rig.connector, 'tpl-warm', 1)
    await drained(rig.db)
    const latencies: number[] = []
    for (let i = 0; i < 20; i++) {
      const started = performance.now()
      const [id] = await enqueueUsed(rig.connector, 'tpl-a', 1)
      await rig.stub.waitFor(() => rig.stub.bodies(id!).length > 0)
      const arrived = rig.stub.calls.find((c) => c.id === id)!.at
      latencies.push(arrived - started)
      await drained(rig.db)
    }
    latencies.sort((a, b) => a - b)
    const p50 = latencies[10]!
    assert.ok(p50 < 25, `p50 ${p50.toFixed(2)} ms`)
  } finally {
    await rig.stop()
  }
})

test('rows committed without a wake-up (another process) are found by the poll', async () => {
  const rig = await startRig({ outbox: { pollIntervalMs: 100 } })
  try {
    const { db, now } = rig.connector.context
    const id = uid('use')
    await db
      .insertInto('outbox')
      .values({ api: 'syncUsedBenefit', idempotency_id: id, body: usedBody(id, 'tpl-a'), ordering_key: null, state: 'pending', attempts: 0, next_attempt_at: now(), created_at: now(), updated_at: now() })
      .execute()
    // No wake(): only the timer can find it.
    await drained(db, 2_000)
    assert.is(rig.stub.calls.length, 1)
    assert.ok(rig.stub.isAccepted(id))
  } finally {
    await rig.stop()
  }
})

test.run()
