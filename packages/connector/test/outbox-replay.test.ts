import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { replayDeadRows, retryOutboxRow } from '../src/outbox/replay.js'
import { drained, enqueueUsed, eventually, outboxRows, startRig } from './support/outbox-fixtures.js'

test('an F answer parks the row as dead with the code and message, after one try', async () => {
  const rig = await startRig()
  try {
    const [id] = await enqueueUsed(rig.connector, 'tpl-a', 1)
    rig.stub.inject({ kind: 'result', code: 'BIZ_ERROR_NO_RETRY', message: 'instance unknown to the super app' }, { id: id! })
    await drained(rig.db)
    const [row] = await outboxRows(rig.db)
    assert.is(row!.state, 'dead')
    assert.is(row!.last_code, 'BIZ_ERROR_NO_RETRY')
    assert.is(row!.last_error, 'instance unknown to the super app')
    assert.is(row!.attempts, 1)
    assert.is(rig.stub.calls.length, 1, 'F is final: no quick retry')
    assert.is(row!.lease_owner, null)
  } finally {
    await rig.stop()
  }
})

test('replay by id delivers a dead row with the same idempotency id and the same body, schedule restarted', async () => {
  const rig = await startRig()
  try {
    const [id] = await enqueueUsed(rig.connector, 'tpl-a', 1)
    const refusal = rig.stub.inject({ kind: 'result', code: 'ACCESS_FORBIDDEN', message: 'contract over' }, { id: id! })
    await drained(rig.db)
    const [dead] = await outboxRows(rig.db)
    assert.is(dead!.state, 'dead')
    refusal.remove() // the operator renewed the contract

    const { now } = rig.connector.context
    const result = await retryOutboxRow(rig.db, dead!.id, now())
    assert.equal(result, { kind: 'replayed', id: dead!.id })
    rig.connector.context.outbox.wake()
    await drained(rig.db)
    const [row] = await outboxRows(rig.db)
    assert.is(row!.state, 'delivered')
    assert.is(row!.attempts, 1, 'attempts restarted')
    assert.ok(row!.replayed_at !== null && row!.replayed_at >= dead!.updated_at)
    assert.is(row!.idempotency_id, id)
    const bodies = rig.stub.bodies(id!)
    assert.is(bodies.length, 2)
    assert.is(bodies[0], bodies[1])
    assert.is(bodies[0], row!.body)
    assert.ok(rig.stub.isAccepted(id!))
  } finally {
    await rig.stop()
  }
})

test('replay --dead in bulk, and --since T only those that died at or after T', async () => {
  const rig = await startRig()
  try {
    const rule = rig.stub.inject({ kind: 'result', code: 'ACCESS_FORBIDDEN' })
    const early = await enqueueUsed(rig.connector, 'tpl-a', 3)
    await drained(rig.db)
    await new Promise((r) => setTimeout(r, 20))
    const since = rig.connector.context.now()
    const late = await enqueueUsed(rig.connector, 'tpl-a', 2)
    await drained(rig.db)
    assert.is((await outboxRows(rig.db)).filter((r) => r.state === 'dead').length, 5)
    rule.remove()

    const replayedLate = await replayDeadRows(rig.db, { now: rig.connector.context.now(), since })
    assert.is(replayedLate.length, 2)
    rig.connector.context.outbox.wake()
    await drained(rig.db)
    for (const id of late) assert.ok(rig.stub.isAccepted(id))
    for (const id of early) assert.not.ok(rig.stub.isAccepted(id))

    const replayedAll = await replayDeadRows(rig.db, { now: rig.connector.context.now() })
    assert.is(replayedAll.length, 3)
    rig.connector.context.outbox.wake()
    await drained(rig.db)
    assert.ok((await outboxRows(rig.db)).every((r) => r.state === 'delivered'))
    assert.equal(rig.stub.idsWithDifferingBodies(), [])
    assert.equal(await replayDeadRows(rig.db, { now: rig.connector.context.now() }), [], 'nothing left to replay')
  } finally {
    await rig.stop()
  }
})

test('past the retry horizon a row is dead with the last reason; replay gives it a fresh horizon', async () => {
  const rig = await startRig({ outbox: { schedule: { delaysMs: [20], thenEveryMs: 40, horizonMs: 300, jitter: 0 } } })
  try {
    const outage = rig.stub.outage(1_000_000)
    const [id] = await enqueueUsed(rig.connector, 'tpl-a', 1)
    const dead = await eventually(async () => (await outboxRows(rig.db)).find((r) => r.state === 'dead'), { message: 'the row to die' })
    assert.is(dead.last_code, 'HTTP_503')
    assert.match(dead.last_error!, /^gave up after \d+ deliveries/)
    assert.ok(dead.attempts >= 2, `attempts ${dead.attempts}`)
    // It died no later than the horizon allows.
    assert.ok(dead.updated_at - dead.created_at < 300 + 250, `died after ${dead.updated_at - dead.created_at} ms`)

    outage.remove()
    await new Promise((r) => setTimeout(r, 350)) // now even the horizon counted from created_at is behind us
    await replayDeadRows(rig.db, { now: rig.connector.context.now() })
    rig.connector.context.outbox.wake()
    await drained(rig.db)
    assert.ok(rig.stub.isAccepted(id!))
  } finally {
    await rig.stop()
  }
})

test('retry ID makes a waiting row due now; delivered, in-flight and unknown rows are refused', async () => {
  const rig = await startRig({ outbox: { schedule: { delaysMs: [60_000], thenEveryMs: 60_000, horizonMs: 3_600_000, jitter: 0 } } })
  try {
    const outage = rig.stub.outage(3) // one delivery: 1 try + 2 quick retries
    const [id] = await enqueueUsed(rig.connector, 'tpl-a', 1)
    const waiting = await eventually(async () => (await outboxRows(rig.db)).find((r) => r.state === 'pending' && r.attempts === 1))
    assert.ok(waiting.next_attempt_at - rig.connector.context.now() > 30_000, 'next attempt a minute away')
    assert.is(outage.hits, 3)

    assert.equal(await retryOutboxRow(rig.db, waiting.id, rig.connector.context.now()), { kind: 'due_now', id: waiting.id })
    rig.connector.context.outbox.wake()
    await drained(rig.db)
    assert.ok(rig.stub.isAccepted(id!))
    const [row] = await outboxRows(rig.db)
    assert.is(row!.attempts, 2, 'a retry keeps the count')

    const refused = await retryOutboxRow(rig.db, row!.id, rig.connector.context.now())
    assert.is(refused.kind, 'refused')
    assert.equal(await retryOutboxRow(rig.db, 999_999, 0), { kind: 'not_found', id: 999_999 })
  } finally {
    await rig.stop()
  }
})

test.run()
