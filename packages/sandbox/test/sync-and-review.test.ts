import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { harness, syncRequest } from './support/harness.js'
import { testKeys } from './support/keys.js'

const keys = testKeys()

test('syncBenefit is accepted (S, signed), PROCESSING until the review, then notifyBenefitSync SUCCESS is delivered', async () => {
  const h = await harness(keys, { reviewDelayMs: 150 })
  try {
    const started = Date.now()
    const answer = await h.call('syncBenefit', syncRequest('sync-1', 'tpl-1'))
    assert.is(answer.status, 200)
    assert.ok(answer.signed, 'the answer is signed by the platform')
    assert.equal(answer.json.result, { resultStatus: 'S', resultCode: 'SUCCESS', resultMessage: 'accepted for review' })

    const processing = await h.call('inquireBenefitSync', { benefitSyncRequestId: 'sync-1' })
    assert.is(processing.json.syncStatus, 'PROCESSING')
    assert.is(h.isv.of('notifyBenefitSync').length, 0, 'no notification before the review')

    await h.sandbox.waitFor((s) => s.syncs[0]?.notify?.state === 'ACKNOWLEDGED')
    assert.ok(Date.now() - started >= 150, 'the review waited for the delay')
    const [notify] = h.isv.of('notifyBenefitSync')
    assert.ok(notify?.verified, 'the notification is signed by the platform')
    assert.equal(notify?.json, { benefitSyncRequestId: 'sync-1', syncStatus: 'SUCCESS' })

    const done = await h.call('inquireBenefitSync', { benefitSyncRequestId: 'sync-1' })
    assert.is(done.json.syncStatus, 'SUCCESS')
    assert.ok(done.signed)
    const template = h.sandbox.state.templates[0]
    assert.is(template?.syncStatus, 'SUCCESS')
    assert.is(template?.released, false)
  } finally {
    await h.close()
  }
})

test('notifyBenefitSync is retried with the same body until the ISV acknowledges (U, 500, drop, bad signature first)', async () => {
  const h = await harness(keys)
  try {
    h.isv.script('notifyBenefitSync', { kind: 'code', code: 'SYSTEM_ERROR' }, { kind: 'http', status: 500 }, { kind: 'drop' }, { kind: 'badSignature' })
    await h.call('syncBenefit', syncRequest('sync-r', 'tpl-r'))
    const sync = await h.sandbox.waitFor((s) => {
      const x = s.syncs[0]
      return x?.notify?.state === 'ACKNOWLEDGED' ? x : undefined
    })
    const codes = sync.notify!.attempts.map((a) => a.code)
    assert.equal(codes, ['SYSTEM_ERROR', 'HTTP_500', 'NETWORK_ERROR', 'UNSIGNED_ANSWER', 'SUCCESS'])
    assert.equal(sync.notify!.attempts.map((a) => a.attempt), [1, 2, 3, 4, 5])
    const bodies = new Set(h.isv.of('notifyBenefitSync').map((r) => r.body))
    assert.is(h.isv.of('notifyBenefitSync').length, 5)
    assert.is(bodies.size, 1, 'every attempt sent the same bytes')
    const calls = h.sandbox.calls({ api: 'notifyBenefitSync' })
    assert.is(calls.length, 5)
    assert.ok(calls.every((c) => c.direction === 'outbound' && c.id === 'sync-r'))
  } finally {
    await h.close()
  }
})

test('notify keeps retrying past the end of the schedule, and gives up only with notifyMaxAttempts (recorded and announced)', async () => {
  const h = await harness(keys, { notifyRetryScheduleMs: [5], notifyMaxAttempts: 4 })
  try {
    h.isv.script('notifyBenefitSync', ...Array.from({ length: 10 }, () => ({ kind: 'code' as const, code: 'SYSTEM_ERROR' })))
    const gaveUp = h.sandbox.waitForEvent((e) => e.type === 'notify-gave-up')
    await h.call('syncBenefit', syncRequest('sync-g', 'tpl-g'))
    const event = await gaveUp
    assert.is(event.type === 'notify-gave-up' && event.attempts, 4)
    const sync = h.sandbox.state.syncs[0]!
    assert.is(sync.notify?.state, 'GAVE_UP')
    assert.is(sync.notify?.attempts.length, 4)
  } finally {
    await h.close()
  }
})

for (const failCode of ['AUDIT_FAIL', 'INNER_PROCESS_FAIL', 'SYNC_CLIENT_FAIL'] as const) {
  test(`a review set to ${failCode} ends FAIL with that code in the notification and the inquiry`, async () => {
    const h = await harness(keys)
    try {
      h.sandbox.setReviewOutcome({ templateId: 'tpl-bad', outcome: failCode, reason: 'title is misleading' })
      await h.call('syncBenefit', syncRequest('sync-bad', 'tpl-bad'))
      await h.call('syncBenefit', syncRequest('sync-good', 'tpl-good'))
      await h.sandbox.waitFor((s) => s.syncs.every((x) => x.notify?.state === 'ACKNOWLEDGED'))
      const notes = h.isv.of('notifyBenefitSync').map((r) => r.json)
      assert.equal(notes.find((n) => n.benefitSyncRequestId === 'sync-bad'), {
        benefitSyncRequestId: 'sync-bad',
        syncStatus: 'FAIL',
        syncFailCode: failCode,
        syncFailReason: 'title is misleading',
      })
      assert.is(notes.find((n) => n.benefitSyncRequestId === 'sync-good')?.syncStatus, 'SUCCESS', 'other templates keep the default')
      const inquiry = await h.call('inquireBenefitSync', { benefitSyncRequestId: 'sync-bad' })
      assert.equal(
        { syncStatus: inquiry.json.syncStatus, syncFailCode: inquiry.json.syncFailCode, syncFailReason: inquiry.json.syncFailReason },
        { syncStatus: 'FAIL', syncFailCode: failCode, syncFailReason: 'title is misleading' },
      )
      assert.throws(() => h.sandbox.release('tpl-bad'), /only approved templates can be released/)
    } finally {
      await h.close()
    }
  })
}

test('the default review outcome comes from the options', async () => {
  const h = await harness(keys, { reviewOutcome: 'AUDIT_FAIL' })
  try {
    await h.call('syncBenefit', syncRequest('sync-d', 'tpl-d'))
    const sync = await h.sandbox.waitFor((s) => (s.syncs[0]?.syncStatus === 'FAIL' ? s.syncs[0] : undefined))
    assert.is(sync.syncFailCode, 'AUDIT_FAIL')
    assert.ok(sync.syncFailReason && sync.syncFailReason.length > 0, 'a default reason is sent')
  } finally {
    await h.close()
  }
})

test('inquireBenefitSync for an unknown id answers SYNC_REQUEST_ID_NOT_EXIST (F), signed', async () => {
  const h = await harness(keys)
  try {
    const answer = await h.call('inquireBenefitSync', { benefitSyncRequestId: 'never-sent' })
    assert.is(answer.json.result.resultCode, 'SYNC_REQUEST_ID_NOT_EXIST')
    assert.is(answer.json.result.resultStatus, 'F')
    assert.is(answer.json.syncStatus, undefined)
    assert.ok(answer.signed)
  } finally {
    await h.close()
  }
})

test('syncBenefit is idempotent: the same body gets the same answer and one review; a changed body gets REPEAT_REQ_INCONSISTENT', async () => {
  const h = await harness(keys)
  try {
    const body = syncRequest('sync-i', 'tpl-i')
    const first = await h.call('syncBenefit', body)
    // Same fields in another order: the same body by meaning.
    const reordered = Object.fromEntries(Object.entries(body).reverse())
    const second = await h.call('syncBenefit', reordered)
    assert.equal(second.json, first.json)
    assert.ok(second.signed)
    const changed = await h.call('syncBenefit', { ...body, benefitTitle: 'HKD 20 off' })
    assert.is(changed.json.result.resultCode, 'REPEAT_REQ_INCONSISTENT')
    assert.is(changed.json.result.resultStatus, 'F')
    assert.ok(changed.signed)

    await h.sandbox.waitFor((s) => s.syncs[0]?.notify?.state === 'ACKNOWLEDGED')
    const state = h.sandbox.state
    assert.is(state.syncs.length, 1)
    assert.is(state.syncs[0]?.receivedCount, 3)
    assert.is(state.syncs[0]?.request.benefitTitle, 'HKD 10 off', 'the changed body changed nothing')
    assert.is(h.isv.of('notifyBenefitSync').length, 1, 'one review, one notification')
    const inbound = h.sandbox.calls({ api: 'syncBenefit' })
    assert.equal(inbound.map((c) => [c.attempt, c.code, Boolean(c.replayed)]), [
      [1, 'SUCCESS', false],
      [2, 'SUCCESS', true],
      [3, 'REPEAT_REQ_INCONSISTENT', false],
    ])
  } finally {
    await h.close()
  }
})

test('a synced template cannot change clientCode, benefitContent or benefitBudget under a new sync id', async () => {
  const h = await harness(keys)
  try {
    await h.syncApproved('tpl-x')
    const changed = await h.call('syncBenefit', syncRequest('sync-x2', 'tpl-x', { benefitBudget: { totalQuantity: 999 } }))
    assert.is(changed.json.result.resultCode, 'BIZ_ERROR_NO_RETRY')
    assert.match(changed.json.result.resultMessage, /benefitBudget/)
    const retitled = await h.call('syncBenefit', syncRequest('sync-x3', 'tpl-x', { benefitTitle: 'new title' }))
    assert.is(retitled.json.result.resultCode, 'SUCCESS', 'other fields may be synced again')
  } finally {
    await h.close()
  }
})

test('schema errors answer PARAM_ILLEGAL naming the field', async () => {
  const h = await harness(keys)
  try {
    const { benefitTitle: _omit, ...missingTitle } = syncRequest('sync-p', 'tpl-p')
    const answer = await h.call('syncBenefit', { ...missingTitle, benefitBudget: { totalQuantity: 0 } })
    assert.is(answer.json.result.resultCode, 'PARAM_ILLEGAL')
    assert.match(answer.json.result.resultMessage, /benefitTitle/)
    assert.match(answer.json.result.resultMessage, /benefitBudget\.totalQuantity/)
    assert.ok(answer.signed)
    assert.is(h.sandbox.state.syncs.length, 0)
  } finally {
    await h.close()
  }
})

test.run()
