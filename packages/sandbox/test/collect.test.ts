/**
 * The super app's side (seed Flow 2): release, then a user collects —
 * issueBenefit with retries (same id, same bytes), inquiry when the outcome
 * stays unknown, reversal when that cannot confirm it either.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { harness } from './support/harness.js'
import { testKeys } from './support/keys.js'

const keys = testKeys()

test('only an approved template can be released, and only a released one collected', async () => {
  const h = await harness(keys, { reviewDelayMs: 10_000 })
  try {
    assert.throws(() => h.sandbox.release('tpl-none'), (e: any) => e.code === 'TEMPLATE_NOT_FOUND' && e.status === 404)
    await h.call('syncBenefit', (await import('./support/harness.js')).syncRequest('sync-1', 'tpl-1'))
    assert.throws(() => h.sandbox.release('tpl-1'), (e: any) => e.code === 'TEMPLATE_NOT_APPROVED' && /PROCESSING/.test(e.message))
    try {
      await h.sandbox.collect({ userId: 'u1', templateId: 'tpl-1' })
      assert.unreachable('collect of an unreleased template must be refused')
    } catch (error: any) {
      assert.is(error.code, 'TEMPLATE_NOT_RELEASED')
    }
    assert.is(h.isv.of('issueBenefit').length, 0, 'the ISV was never called')
  } finally {
    await h.close()
  }
})

test('collect with the ISV answering SUCCESS: ISSUED after one signed call, instances in the wallet', async () => {
  const h = await harness(keys)
  try {
    await h.syncApproved('tpl-1')
    h.sandbox.release('tpl-1')
    const result = await h.sandbox.collect({ userId: 'u1', templateId: 'tpl-1', quantity: 2, benefitIssueRequestId: 'iss-1' })
    assert.is(result.outcome, 'ISSUED')
    assert.is(result.decidedBy, 'issue')
    assert.is(result.issueAttempts, 1)
    assert.is(result.benefitDetails.length, 2)
    const [request] = h.isv.of('issueBenefit')
    assert.ok(request?.verified, 'the platform signed issueBenefit')
    assert.equal(request?.json, { benefitIssueRequestId: 'iss-1', userId: 'u1', benefitTemplateId: 'tpl-1', quantity: 2, clientCode: 'ALIPAY_HK' })

    const state = h.sandbox.state
    assert.equal(state.wallets.u1, result.benefitDetails.map((d) => d.benefitInstanceId))
    assert.ok(state.instances.every((i) => i.status === 'ACTIVATED' && i.userId === 'u1' && i.benefitIssueRequestId === 'iss-1'))
    assert.is(state.issues[0]?.outcome, 'ISSUED')
  } finally {
    await h.close()
  }
})

test('U twice, then success: three attempts with the same id and the same body', async () => {
  const h = await harness(keys)
  try {
    await h.syncApproved('tpl-1')
    h.sandbox.release('tpl-1')
    h.isv.script('issueBenefit', { kind: 'code', code: 'SYSTEM_ERROR' }, { kind: 'code', code: 'BIZ_ERROR_NEED_RETRY' })
    const result = await h.sandbox.collect({ userId: 'u1', templateId: 'tpl-1' })
    assert.is(result.outcome, 'ISSUED')
    assert.equal(result.attempts.map((a) => [a.api, a.attempt, a.code]), [
      ['issueBenefit', 1, 'SYSTEM_ERROR'],
      ['issueBenefit', 2, 'BIZ_ERROR_NEED_RETRY'],
      ['issueBenefit', 3, 'SUCCESS'],
    ])
    const received = h.isv.of('issueBenefit')
    assert.is(received.length, 3)
    assert.is(new Set(received.map((r) => r.body)).size, 1, 'the same bytes every time')
    assert.is(received[0]?.json.benefitIssueRequestId, result.benefitIssueRequestId)
    assert.is(new Set(received.map((r) => r.headers['request-time'])).size, 3, 'each attempt is signed afresh')
  } finally {
    await h.close()
  }
})

test('retries also follow HTTP 500, a dropped connection, an unsigned answer and a success without benefitDetails', async () => {
  const h = await harness(keys, { issueRetries: 4 })
  try {
    await h.syncApproved('tpl-1')
    h.sandbox.release('tpl-1')
    h.isv.script(
      'issueBenefit',
      { kind: 'http', status: 500 },
      { kind: 'drop' },
      { kind: 'unsigned' },
      { kind: 'raw', body: { success: true, resultCode: 'SUCCESS', resultMessage: 'ok' } },
    )
    const result = await h.sandbox.collect({ userId: 'u1', templateId: 'tpl-1' })
    assert.equal(result.attempts.map((a) => a.code), ['HTTP_500', 'NETWORK_ERROR', 'UNSIGNED_ANSWER', 'MALFORMED_ANSWER', 'SUCCESS'])
    assert.is(result.outcome, 'ISSUED')
  } finally {
    await h.close()
  }
})

test('an F answer is final: REJECTED after one attempt, no inquiry, no reversal', async () => {
  const h = await harness(keys)
  try {
    await h.syncApproved('tpl-1')
    h.sandbox.release('tpl-1')
    h.isv.script('issueBenefit', { kind: 'code', code: 'BIZ_ERROR_NO_RETRY' })
    const result = await h.sandbox.collect({ userId: 'u1', templateId: 'tpl-1' })
    assert.is(result.outcome, 'REJECTED')
    assert.is(result.code, 'BIZ_ERROR_NO_RETRY')
    assert.equal(result.attempts.map((a) => a.api), ['issueBenefit'])
    assert.equal(h.sandbox.state.wallets, {})
  } finally {
    await h.close()
  }
})

test('answers always lost: retries run out, the inquiry is lost too, then reverseBenefitIssue → REVERSED', async () => {
  const h = await harness(keys, { issueRetries: 2, inquireRetries: 1 })
  try {
    await h.syncApproved('tpl-1')
    h.sandbox.release('tpl-1')
    h.sandbox.injectFault({ api: 'issueBenefit', kind: 'loseAnswer', times: 100 })
    h.sandbox.injectFault({ api: 'inquireBenefitIssue', kind: 'loseAnswer', times: 100 })
    const result = await h.sandbox.collect({ userId: 'u1', templateId: 'tpl-1', benefitIssueRequestId: 'iss-lost' })
    assert.is(result.outcome, 'REVERSED')
    assert.is(result.decidedBy, 'reversal')
    assert.equal(result.attempts.map((a) => [a.api, a.attempt, a.code]), [
      ['issueBenefit', 1, 'TIMEOUT'],
      ['issueBenefit', 2, 'TIMEOUT'],
      ['issueBenefit', 3, 'TIMEOUT'],
      ['inquireBenefitIssue', 1, 'TIMEOUT'],
      ['inquireBenefitIssue', 2, 'TIMEOUT'],
      ['reverseBenefitIssue', 1, 'SUCCESS'],
    ])
    assert.ok(result.attempts.slice(0, 5).every((a) => a.fault?.startsWith('loseAnswer')))
    // The ISV did act on every call: it issued once (idempotently) and reversed.
    assert.is(h.isv.of('issueBenefit').length, 3)
    assert.is(h.isv.issued.size, 1)
    assert.ok(h.isv.reversed.has('iss-lost'))
    assert.equal(h.isv.of('reverseBenefitIssue')[0]?.json, { benefitIssueRequestId: 'iss-lost', userId: 'u1', benefitTemplateId: 'tpl-1', quantity: 1 })
    assert.equal(h.sandbox.state.wallets, {}, 'the super app never showed the user an instance')
  } finally {
    await h.close()
  }
})

test('answers of issueBenefit lost but the inquiry answers: ISSUED, confirmed by inquireBenefitIssue, no reversal', async () => {
  const h = await harness(keys, { issueRetries: 1 })
  try {
    await h.syncApproved('tpl-1')
    h.sandbox.release('tpl-1')
    h.sandbox.injectFault({ api: 'issueBenefit', kind: 'loseAnswer', times: 2 })
    const result = await h.sandbox.collect({ userId: 'u1', templateId: 'tpl-1' })
    assert.is(result.outcome, 'ISSUED')
    assert.is(result.decidedBy, 'inquiry')
    assert.equal(result.attempts.map((a) => a.api), ['issueBenefit', 'issueBenefit', 'inquireBenefitIssue'])
    assert.is(h.isv.of('reverseBenefitIssue').length, 0)
    assert.is(h.sandbox.state.wallets.u1?.length, 1)
  } finally {
    await h.close()
  }
})

test('the ISV never got the issuing (inquiry says ISSUE_REQUEST_ID_NOT_EXIST): REJECTED, nothing to reverse', async () => {
  const h = await harness(keys, { issueRetries: 1 })
  try {
    await h.syncApproved('tpl-1')
    h.sandbox.release('tpl-1')
    h.isv.script('issueBenefit', { kind: 'http', status: 503 }, { kind: 'http', status: 503 })
    const result = await h.sandbox.collect({ userId: 'u1', templateId: 'tpl-1' })
    assert.is(result.outcome, 'REJECTED')
    assert.is(result.code, 'ISSUE_REQUEST_ID_NOT_EXIST')
    assert.is(h.isv.of('reverseBenefitIssue').length, 0)
  } finally {
    await h.close()
  }
})

test('a reversal the ISV refuses leaves the outcome UNKNOWN, with the reason', async () => {
  const h = await harness(keys, { issueRetries: 0, inquireRetries: 0, reverseRetries: 0 })
  try {
    await h.syncApproved('tpl-1')
    h.sandbox.release('tpl-1')
    h.isv.script('issueBenefit', { kind: 'code', code: 'SYSTEM_ERROR' })
    h.isv.script('inquireBenefitIssue', { kind: 'code', code: 'UNKNOWN_EXCEPTION' })
    h.isv.script('reverseBenefitIssue', { kind: 'code', code: 'BIZ_ERROR_NO_RETRY' })
    const result = await h.sandbox.collect({ userId: 'u1', templateId: 'tpl-1' })
    assert.is(result.outcome, 'UNKNOWN')
    assert.is(result.code, 'BIZ_ERROR_NO_RETRY')
    assert.match(result.message, /reversal refused/)
  } finally {
    await h.close()
  }
})

test('inquireIssue and reverseIssue work on a finished collection; reversal marks the wallet REVERSED', async () => {
  const h = await harness(keys)
  try {
    await h.syncApproved('tpl-1')
    h.sandbox.release('tpl-1')
    const issued = await h.sandbox.collect({ userId: 'u1', templateId: 'tpl-1', benefitIssueRequestId: 'iss-r' })
    const inquiry = await h.sandbox.inquireIssue('iss-r')
    assert.is(inquiry.code, 'SUCCESS')
    assert.equal(inquiry.benefitDetails.map((d) => d.benefitInstanceId), issued.benefitDetails.map((d) => d.benefitInstanceId))
    const reversal = await h.sandbox.reverseIssue('iss-r')
    assert.is(reversal.outcome, 'REVERSED')
    assert.ok(h.sandbox.state.instances.every((i) => i.status === 'REVERSED'))
    try {
      await h.sandbox.reverseIssue('iss-none')
      assert.unreachable()
    } catch (error: any) {
      assert.is(error.code, 'ISSUE_NOT_FOUND')
    }
  } finally {
    await h.close()
  }
})

test('autoRelease releases approved templates; events tell the story in order', async () => {
  const h = await harness(keys, { autoRelease: true })
  try {
    const types: string[] = []
    h.sandbox.onEvent((e) => types.push(e.type === 'call' ? `call:${e.call.api}` : e.type))
    await h.syncApproved('tpl-1')
    assert.ok(h.sandbox.state.templates[0]?.released)
    await h.sandbox.collect({ userId: 'u1', templateId: 'tpl-1' })
    assert.equal(types, [
      'call:syncBenefit',
      'sync-accepted',
      'sync-reviewed',
      'template-released',
      'call:notifyBenefitSync',
      'notify-acknowledged',
      'call:issueBenefit',
      'collect-finished',
    ])
  } finally {
    await h.close()
  }
})

test('stop() during a collect ends it (no call after stop) and the process is free to exit', async () => {
  const h = await harness(keys, { issueRetries: 50, retryBackoffMs: 50, retryBackoffMaxMs: 50 })
  try {
    await h.syncApproved('tpl-1')
    h.sandbox.release('tpl-1')
    h.isv.script('issueBenefit', ...Array.from({ length: 60 }, () => ({ kind: 'code' as const, code: 'SYSTEM_ERROR' })))
    const running = h.sandbox.collect({ userId: 'u1', templateId: 'tpl-1' }).then(
      () => 'finished',
      (e: Error) => e.name,
    )
    await h.sandbox.waitForEvent((e) => e.type === 'call' && e.call.api === 'issueBenefit')
    await h.sandbox.stop()
    assert.is(await running, 'AbortError')
    const seen = h.isv.of('issueBenefit').length
    await new Promise((r) => setTimeout(r, 150))
    assert.is(h.isv.of('issueBenefit').length, seen, 'no attempt after stop')
  } finally {
    await h.close()
  }
})

test.run()
