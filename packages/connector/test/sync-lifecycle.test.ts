import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { InquiryEvent } from '../src/reconciler/reconciler.js'
import { replayDeadRows } from '../src/outbox/replay.js'
import { callIsvApi } from './support/platform-caller.js'
import { createTemplateWithSync, drained, eventually, startRig, templateState, type Rig } from './support/outbox-fixtures.js'

/** The platform's notifyBenefitSync, signed, over HTTP to the connector's real endpoint. */
async function notify(rig: Rig, body: Record<string, unknown>) {
  const answer = await callIsvApi(rig.t.url, 'notifyBenefitSync', body)
  assert.is(answer.status, 200)
  assert.ok(answer.signed, 'the connector signs its answer')
  return answer.json as { success: boolean; resultCode: string; resultMessage: string }
}

const stateOf = async (rig: Rig, templateId: string) => (await templateState(rig.db, templateId)).state

const FAST_RECONCILER = { firstDelayMs: 40, backoffMs: [40, 40], thenEveryMs: 40, tickMs: 10 }

test('syncBenefit delivered and accepted → SYNCING; notifyBenefitSync SUCCESS alone → SYNCED', async () => {
  const rig = await startRig({ outbox: { reconciler: false } })
  try {
    const { templateId, syncRequestId } = await createTemplateWithSync(rig.connector)
    await drained(rig.db)
    assert.ok(rig.stub.isAccepted(syncRequestId, 'syncBenefit'))
    assert.is(await stateOf(rig, templateId), 'SYNCING')
    const answer = await notify(rig, { benefitSyncRequestId: syncRequestId, syncStatus: 'SUCCESS' })
    assert.is(answer.success, true)
    assert.is(await stateOf(rig, templateId), 'SYNCED')
    assert.is(rig.stub.callCount('inquireBenefitSync'), 0, 'no inquiry was needed')
  } finally {
    await rig.stop()
  }
})

test('inquireBenefitSync alone: PROCESSING keeps SYNCING and backs off; SUCCESS → SYNCED and the inquiries stop', async () => {
  const rig = await startRig({ outbox: { reconciler: FAST_RECONCILER } })
  try {
    const { templateId, syncRequestId } = await createTemplateWithSync(rig.connector)
    await drained(rig.db)
    await rig.stub.waitFor(() => rig.stub.callCount('inquireBenefitSync') >= 2, { message: 'two inquiries' })
    assert.is(await stateOf(rig, templateId), 'SYNCING')

    rig.stub.setReview(syncRequestId, { syncStatus: 'SUCCESS' })
    await eventually(async () => (await stateOf(rig, templateId)) === 'SYNCED', { message: 'SYNCED' })
    const asked = rig.stub.callCount('inquireBenefitSync')
    await new Promise((r) => setTimeout(r, 200))
    assert.is(rig.stub.callCount('inquireBenefitSync'), asked, 'a settled template is not asked about again')
  } finally {
    await rig.stop()
  }
})

test('inquireBenefitSync FAIL → FAILED with the platform’s code and reason', async () => {
  const rig = await startRig({ outbox: { reconciler: FAST_RECONCILER } })
  try {
    const { templateId, syncRequestId } = await createTemplateWithSync(rig.connector)
    rig.stub.setReview(syncRequestId, { syncStatus: 'FAIL', syncFailCode: 'AUDIT_FAIL', syncFailReason: 'title is misleading' })
    await eventually(async () => (await stateOf(rig, templateId)) === 'FAILED', { message: 'FAILED' })
    const row = await templateState(rig.db, templateId)
    assert.is(row.sync_fail_code, 'AUDIT_FAIL')
    assert.is(row.sync_fail_reason, 'title is misleading')
  } finally {
    await rig.stop()
  }
})

test('the first inquiry waits for its delay: a notification that comes first leaves nothing to ask', async () => {
  const rig = await startRig({ outbox: { reconciler: { ...FAST_RECONCILER, firstDelayMs: 400 } } })
  try {
    const { templateId, syncRequestId } = await createTemplateWithSync(rig.connector)
    await drained(rig.db)
    await notify(rig, { benefitSyncRequestId: syncRequestId, syncStatus: 'SUCCESS' })
    await new Promise((r) => setTimeout(r, 600))
    assert.is(await stateOf(rig, templateId), 'SYNCED')
    assert.is(rig.stub.callCount('inquireBenefitSync'), 0)
  } finally {
    await rig.stop()
  }
})

test('both arrive: the inquiry settles it first, the notification is acknowledged and changes nothing', async () => {
  const rig = await startRig({ outbox: { reconciler: FAST_RECONCILER } })
  try {
    const events: InquiryEvent[] = []
    rig.connector.worker.reconciler!.onInquiry((e) => events.push(e))
    const { templateId, syncRequestId } = await createTemplateWithSync(rig.connector)
    rig.stub.setReview(syncRequestId, { syncStatus: 'SUCCESS' })
    await eventually(async () => (await stateOf(rig, templateId)) === 'SYNCED')
    assert.equal(events.map((e) => e.verdict), ['applied'])

    const late = await notify(rig, { benefitSyncRequestId: syncRequestId, syncStatus: 'SUCCESS' })
    assert.is(late.success, true)
    const processing = await notify(rig, { benefitSyncRequestId: syncRequestId, syncStatus: 'PROCESSING' })
    assert.is(processing.success, true)
    // Even a contradicting late FAIL never moves a final template.
    await notify(rig, { benefitSyncRequestId: syncRequestId, syncStatus: 'FAIL', syncFailCode: 'AUDIT_FAIL' })
    assert.is(await stateOf(rig, templateId), 'SYNCED')
  } finally {
    await rig.stop()
  }
})

test('both arrive: the notification settles it first, a later inquiry answer is ignored', async () => {
  // The reconciler is driven by hand here so that the order is certain.
  const rig = await startRig({ outbox: { reconciler: { ...FAST_RECONCILER, firstDelayMs: 0, tickMs: 60_000 } } })
  try {
    const reconciler = rig.connector.worker.reconciler!
    await reconciler.stop()
    const events: InquiryEvent[] = []
    reconciler.onInquiry((e) => events.push(e))
    const { templateId, syncRequestId } = await createTemplateWithSync(rig.connector)
    await drained(rig.db)
    // The platform's review says FAIL, and tells us by notification first.
    rig.stub.setReview(syncRequestId, { syncStatus: 'FAIL', syncFailCode: 'SYNC_CLIENT_FAIL', syncFailReason: 'super app refused' })
    const first = await notify(rig, { benefitSyncRequestId: syncRequestId, syncStatus: 'FAIL', syncFailCode: 'SYNC_CLIENT_FAIL', syncFailReason: 'super app refused' })
    assert.is(first.success, true)
    assert.is(await stateOf(rig, templateId), 'FAILED')
    // The template is no longer SYNCING, so a pass has nothing to ask.
    assert.is(await reconciler.runOnce(), 0)
    assert.is(events.length, 0)
    const row = await templateState(rig.db, templateId)
    assert.equal([row.state, row.sync_fail_code, row.sync_fail_reason], ['FAILED', 'SYNC_CLIENT_FAIL', 'super app refused'])
  } finally {
    await rig.stop()
  }
})

test('a notification that arrives before the syncBenefit answer is recorded still wins', async () => {
  const rig = await startRig({ outbox: { reconciler: false } })
  try {
    // The platform accepts at once but its answer takes 300 ms to come back.
    rig.stub.inject({ kind: 'delay', ms: 300 }, { api: 'syncBenefit', afterProcessing: true, times: 1 })
    const { templateId, syncRequestId } = await createTemplateWithSync(rig.connector)
    await rig.stub.waitFor(() => rig.stub.isAccepted(syncRequestId))
    assert.is(await stateOf(rig, templateId), 'DRAFT')
    await notify(rig, { benefitSyncRequestId: syncRequestId, syncStatus: 'SUCCESS' })
    assert.is(await stateOf(rig, templateId), 'SYNCED')
    await drained(rig.db)
    assert.is(await stateOf(rig, templateId), 'SYNCED', 'the accepted answer does not move it back to SYNCING')
  } finally {
    await rig.stop()
  }
})

test('a syncBenefit refused with F → FAILED with the code; replayed once the cause is fixed → SYNCING, then SYNCED', async () => {
  const rig = await startRig({ outbox: { reconciler: FAST_RECONCILER } })
  try {
    const refusal = rig.stub.inject({ kind: 'result', code: 'ACCESS_FORBIDDEN', message: 'contract over' }, { api: 'syncBenefit' })
    const { templateId, syncRequestId } = await createTemplateWithSync(rig.connector, 'tpl-refused')
    await drained(rig.db)
    const failed = await templateState(rig.db, templateId)
    assert.equal([failed.state, failed.sync_fail_code, failed.sync_fail_reason], ['FAILED', 'ACCESS_FORBIDDEN', 'contract over'])

    refusal.remove()
    assert.equal((await replayDeadRows(rig.db, { now: rig.connector.context.now() })).length, 1)
    assert.is(await stateOf(rig, templateId), 'DRAFT', 'reopened by the replay')
    rig.connector.context.outbox.wake()
    await drained(rig.db)
    assert.is(await stateOf(rig, templateId), 'SYNCING')
    rig.stub.setReview(syncRequestId, { syncStatus: 'SUCCESS' })
    await eventually(async () => (await stateOf(rig, templateId)) === 'SYNCED')
    assert.equal(rig.stub.idsWithDifferingBodies(), [])
  } finally {
    await rig.stop()
  }
})

test('a review FAIL is final: replaying the (delivered) syncBenefit is not possible and the template stays FAILED', async () => {
  const rig = await startRig({ outbox: { reconciler: false } })
  try {
    const { templateId, syncRequestId } = await createTemplateWithSync(rig.connector)
    await drained(rig.db)
    await notify(rig, { benefitSyncRequestId: syncRequestId, syncStatus: 'FAIL', syncFailCode: 'AUDIT_FAIL' })
    assert.equal(await replayDeadRows(rig.db, { now: rig.connector.context.now() }), [])
    assert.is(await stateOf(rig, templateId), 'FAILED')
  } finally {
    await rig.stop()
  }
})

test.run()
