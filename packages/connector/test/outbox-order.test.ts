import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { replayDeadRows } from '../src/outbox/replay.js'
import { createTemplateWithSync, drained, enqueueUsed, eventually, outboxRows, startRig } from './support/outbox-fixtures.js'

test('a template’s syncUsedBenefit never overtakes its syncBenefit, while other templates flow', async () => {
  const rig = await startRig({ outbox: { concurrency: 8 } })
  try {
    const { stub } = rig
    const slow = 'tpl-slow'
    // Its syncBenefit fails two whole deliveries (1 + 2 quick tries each) before it is accepted.
    stub.inject({ kind: 'result', code: 'SYSTEM_ERROR' }, { api: 'syncBenefit', times: 6 })
    const { syncRequestId } = await createTemplateWithSync(rig.connector, slow)
    const blocked = await enqueueUsed(rig.connector, slow, 20)
    const free = await enqueueUsed(rig.connector, 'tpl-other', 20)
    await drained(rig.db)

    const accepted = stub.calls.findIndex((c) => c.id === syncRequestId && c.answer === 'SUCCESS')
    const firstUsed = stub.calls.findIndex((c) => blocked.includes(c.id!))
    assert.ok(accepted >= 0 && firstUsed > accepted, `syncBenefit accepted at call ${accepted}, first syncUsedBenefit at ${firstUsed}`)
    // The other template did not wait for tpl-slow's syncBenefit.
    const lastFree = Math.max(...free.map((id) => stub.calls.findIndex((c) => c.id === id)))
    assert.ok(lastFree < accepted, `other template's rows done at ${lastFree}, before ${accepted}`)
    for (const id of [...blocked, ...free]) assert.ok(stub.isAccepted(id))
  } finally {
    await rig.stop()
  }
})

test('syncUsedBenefit rows of one template do not wait for each other', async () => {
  const rig = await startRig({ outbox: { concurrency: 10 } })
  try {
    const { templateId } = await createTemplateWithSync(rig.connector)
    await drained(rig.db)
    rig.stub.inject({ kind: 'delay', ms: 60 })
    let open = 0
    let peak = 0
    rig.stub.onCall(() => {
      open++
      peak = Math.max(peak, open)
      setTimeout(() => open--, 60)
    })
    const started = performance.now()
    await enqueueUsed(rig.connector, templateId, 30)
    await drained(rig.db)
    const took = performance.now() - started
    assert.is(peak, 10)
    assert.ok(took < 30 * 60 * 0.5, `took ${took.toFixed(0)} ms`)
  } finally {
    await rig.stop()
  }
})

test('rows behind a dead syncBenefit wait (pending, never sent); replaying the syncBenefit releases them in order', async () => {
  const rig = await startRig()
  try {
    const { stub } = rig
    const tpl = 'tpl-rejected'
    const rule = stub.inject({ kind: 'result', code: 'ACCESS_FORBIDDEN', message: 'contract over' }, { api: 'syncBenefit' })
    const { syncRequestId } = await createTemplateWithSync(rig.connector, tpl)
    const used = await enqueueUsed(rig.connector, tpl, 3)
    await eventually(async () => (await outboxRows(rig.db)).find((r) => r.state === 'dead'))
    await new Promise((r) => setTimeout(r, 200))
    const rows = await outboxRows(rig.db)
    assert.equal(
      rows.map((r) => [r.api, r.state]),
      [
        ['syncBenefit', 'dead'],
        ['syncUsedBenefit', 'pending'],
        ['syncUsedBenefit', 'pending'],
        ['syncUsedBenefit', 'pending'],
      ],
    )
    assert.ok(rows.slice(1).every((r) => r.attempts === 0), 'never claimed')
    assert.ok(used.every((id) => stub.bodies(id).length === 0))

    rule.remove()
    await replayDeadRows(rig.db, { now: rig.connector.context.now() })
    rig.connector.context.outbox.wake()
    await drained(rig.db)
    const accepted = stub.calls.findIndex((c) => c.id === syncRequestId && c.answer === 'SUCCESS')
    for (const id of used) assert.ok(stub.calls.findIndex((c) => c.id === id) > accepted)
  } finally {
    await rig.stop()
  }
})

test.run()
