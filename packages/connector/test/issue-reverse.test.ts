import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { expectAnswer } from './support/answers.js'
import type { TestConnector } from './support/connector.js'
import { issue, issueId, scalar, syncedTemplate, withClock, withConnector } from './support/issuing.js'
import { callIsvApi } from './support/platform-caller.js'

/** reverseBenefitIssue (protocol.md §6.6) and inquireBenefitIssue (§6.7). */

const DAY = 86_400_000

function reverse(t: TestConnector, body: Record<string, unknown>) {
  return callIsvApi(t.url, 'reverseBenefitIssue', body, withClock(t))
}
function inquire(t: TestConnector, benefitIssueRequestId: string) {
  return callIsvApi(t.url, 'inquireBenefitIssue', { benefitIssueRequestId }, withClock(t))
}
function stock(t: TestConnector, templateId: string) {
  return scalar(t, 'select issued_quantity from templates where id = ?', templateId)
}
function userCount(t: TestConnector, templateId: string, userId: string) {
  return scalar(t, 'select issued from user_template_counts where template_id = ? and user_id = ?', templateId, userId)
}
function states(t: TestConnector, issuingId: string) {
  return (t.connector.context.sqlite.prepare('select state from instances where issuing_id = ? order by id').all(issuingId) as Array<{ state: string }>).map(
    (r) => r.state,
  )
}

test('reverse: every instance REVERSED, stock and the user count restored, the user can collect again; a repeat succeeds', async () => {
  await withConnector(async (t) => {
    const templateId = await syncedTemplate(t, { benefitBudget: { totalQuantity: 3, perUserLimit: 3 } })
    const id = issueId()
    expectAnswer(await issue(t, { benefitIssueRequestId: id, userId: 'ivy', benefitTemplateId: templateId, quantity: 3 }), 'SUCCESS')
    expectAnswer(await issue(t, { benefitTemplateId: templateId, userId: 'jack' }), 'BIZ_ERROR_NO_RETRY', /out of stock/)

    expectAnswer(await reverse(t, { benefitIssueRequestId: id }), 'SUCCESS')
    assert.equal(states(t, id), ['REVERSED', 'REVERSED', 'REVERSED'])
    assert.is(stock(t, templateId), 0)
    assert.is(userCount(t, templateId, 'ivy'), 0)
    assert.is(scalar(t, 'select state from issuings where request_id = ?', id), 'REVERSED')

    expectAnswer(await reverse(t, { benefitIssueRequestId: id }), 'SUCCESS', /already reversed/)
    assert.is(stock(t, templateId), 0, 'a repeat gives nothing back twice')
    expectAnswer(await issue(t, { benefitTemplateId: templateId, userId: 'ivy', quantity: 3 }), 'SUCCESS')
    // issueBenefit repeated after its reversal does not claim the reversed benefits are live.
    expectAnswer(await issue(t, { benefitIssueRequestId: id, userId: 'ivy', benefitTemplateId: templateId, quantity: 3 }), 'BIZ_ERROR_NO_RETRY', /reversed/)
  })
})

test('reverse refuses when any instance was used, and changes nothing', async () => {
  await withConnector(async (t) => {
    const templateId = await syncedTemplate(t, { benefitBudget: { totalQuantity: 100, perUserLimit: 10 } })
    const id = issueId()
    const issued = await issue(t, { benefitIssueRequestId: id, userId: 'kim', benefitTemplateId: templateId, quantity: 3 })
    expectAnswer(issued, 'SUCCESS')
    const used = issued.json.benefitDetails[1].benefitInstanceId
    t.connector.context.sqlite.prepare("update instances set state = 'USED', used_at = ? where id = ?").run(Date.now(), used)

    expectAnswer(await reverse(t, { benefitIssueRequestId: id }), 'BIZ_ERROR_NO_RETRY', /1 of its 3 benefits already used; nothing changed/)
    assert.equal(states(t, id).sort(), ['ACTIVATED', 'ACTIVATED', 'USED'])
    assert.is(stock(t, templateId), 3)
    assert.is(userCount(t, templateId, 'kim'), 3)
    assert.is(scalar(t, 'select state from issuings where request_id = ?', id), 'ISSUED')
  })
})

test('reversing an unknown id succeeds and leaves a tombstone: the late issueBenefit issues nothing, inquire says it does not exist', async () => {
  await withConnector(async (t) => {
    const templateId = await syncedTemplate(t)
    const id = issueId()
    expectAnswer(await reverse(t, { benefitIssueRequestId: id, userId: 'lee' }), 'SUCCESS', /nothing was issued/)
    expectAnswer(await reverse(t, { benefitIssueRequestId: id }), 'SUCCESS')
    expectAnswer(await issue(t, { benefitIssueRequestId: id, userId: 'lee', benefitTemplateId: templateId }), 'BIZ_ERROR_NO_RETRY', /reversed before it was issued/)
    expectAnswer(await issue(t, { benefitIssueRequestId: id, userId: 'lee', benefitTemplateId: templateId }), 'BIZ_ERROR_NO_RETRY')
    assert.is(scalar(t, 'select count(*) from instances'), 0)
    assert.is(stock(t, templateId), 0)
    expectAnswer(await inquire(t, id), 'ISSUE_REQUEST_ID_NOT_EXIST', /reversed before it arrived/)
  })
})

test('REPEAT_REQ_INCONSISTENT when the reversal names another user, template or quantity; nothing changes', async () => {
  await withConnector(async (t) => {
    const templateId = await syncedTemplate(t)
    const id = issueId()
    expectAnswer(await issue(t, { benefitIssueRequestId: id, userId: 'mia', benefitTemplateId: templateId, quantity: 2 }), 'SUCCESS')
    expectAnswer(await reverse(t, { benefitIssueRequestId: id, userId: 'ned' }), 'REPEAT_REQ_INCONSISTENT', /userId/)
    expectAnswer(await reverse(t, { benefitIssueRequestId: id, benefitTemplateId: 'tpl_other' }), 'REPEAT_REQ_INCONSISTENT', /benefitTemplateId/)
    expectAnswer(await reverse(t, { benefitIssueRequestId: id, quantity: 1 }), 'REPEAT_REQ_INCONSISTENT', /quantity/)
    assert.equal(states(t, id), ['ACTIVATED', 'ACTIVATED'])
    assert.is(stock(t, templateId), 2)
    expectAnswer(await reverse(t, { benefitIssueRequestId: id, userId: 'mia', benefitTemplateId: templateId, quantity: 2 }), 'SUCCESS')
    assert.equal(states(t, id), ['REVERSED', 'REVERSED'])
  })
})

test('reversing a refused issuing succeeds without giving back stock it never took', async () => {
  await withConnector(async (t) => {
    const templateId = await syncedTemplate(t, { benefitBudget: { totalQuantity: 1 } })
    expectAnswer(await issue(t, { benefitTemplateId: templateId, userId: 'oli' }), 'SUCCESS')
    const refusedId = issueId()
    expectAnswer(await issue(t, { benefitIssueRequestId: refusedId, benefitTemplateId: templateId, userId: 'pat' }), 'BIZ_ERROR_NO_RETRY')
    expectAnswer(await reverse(t, { benefitIssueRequestId: refusedId }), 'SUCCESS', /refused; nothing to reverse/)
    assert.is(stock(t, templateId), 1)
    expectAnswer(await inquire(t, refusedId), 'ISSUE_REQUEST_ID_NOT_EXIST', /refused \(out of stock/)
  })
})

test('inquire lists every instance of the issuing in issue order with its status now: ACTIVATED, USED, EXPIRED, REVERSED', async () => {
  let now = Date.now()
  await withConnector(
    async (t) => {
      const templateId = await syncedTemplate(t, { benefitValidPeriod: { type: 'RELATIVE', validDays: 1 } })
      const id = issueId()
      const issued = await issue(t, { benefitIssueRequestId: id, userId: 'quin', benefitTemplateId: templateId, quantity: 3 })
      expectAnswer(issued, 'SUCCESS')
      const ids = issued.json.benefitDetails.map((d: { benefitInstanceId: string }) => d.benefitInstanceId)

      const fresh = await inquire(t, id)
      expectAnswer(fresh, 'SUCCESS')
      assert.equal(fresh.json.benefitDetails, issued.json.benefitDetails, 'the same details while nothing happened')

      t.connector.context.sqlite.prepare("update instances set state = 'USED', used_at = ? where id = ?").run(now, ids[0])
      now += DAY // validDays: 1 — the unused ones are now past their expireTime
      const later = await inquire(t, id)
      expectAnswer(later, 'SUCCESS')
      assert.equal(
        later.json.benefitDetails.map((d: { benefitInstanceId: string; status: string }) => [d.benefitInstanceId, d.status]),
        [
          [ids[0], 'USED'],
          [ids[1], 'EXPIRED'],
          [ids[2], 'EXPIRED'],
        ],
      )
      assert.is(scalar(t, "select count(*) from instances where state = 'ACTIVATED'"), 2, 'EXPIRED is derived, never stored')

      const other = issueId()
      expectAnswer(await issue(t, { benefitIssueRequestId: other, userId: 'quin', benefitTemplateId: templateId, quantity: 2 }), 'SUCCESS')
      expectAnswer(await reverse(t, { benefitIssueRequestId: other }), 'SUCCESS')
      const reversed = await inquire(t, other)
      expectAnswer(reversed, 'SUCCESS')
      assert.equal(
        reversed.json.benefitDetails.map((d: { status: string }) => d.status),
        ['REVERSED', 'REVERSED'],
      )
    },
    {},
    { now: () => now },
  )
})

test('inquire: ISSUE_REQUEST_ID_NOT_EXIST for an id never seen', async () => {
  await withConnector(async (t) => {
    expectAnswer(await inquire(t, 'never_issued'), 'ISSUE_REQUEST_ID_NOT_EXIST', /no issuing never_issued/)
    assert.is(scalar(t, 'select count(*) from issuings'), 0, 'an inquiry leaves no trace')
  })
})

test.run()
