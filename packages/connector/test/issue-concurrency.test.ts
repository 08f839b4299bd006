import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { expectAnswer } from './support/answers.js'
import type { TestConnector } from './support/connector.js'
import { issue, issueId, scalar, syncedTemplate, withConnector } from './support/issuing.js'
import { callIsvApi } from './support/platform-caller.js'

/**
 * Many calls at once over real HTTP: idempotency under concurrent repeats, no
 * overselling of stock or per-user allowance, and reversals racing the issue
 * they undo.
 */

function codesOf(answers: Array<{ json: any }>, code: string): number {
  return answers.filter((a) => a.json?.resultCode === code).length
}

test('50 concurrent identical issueBenefit calls: one issuing, one set of instances, 50 identical answers', async () => {
  await withConnector(async (t) => {
    const templateId = await syncedTemplate(t, { benefitBudget: { totalQuantity: 100, perUserLimit: 10 } })
    const request = { benefitIssueRequestId: issueId(), userId: 'rae', benefitTemplateId: templateId, quantity: 2 }
    const answers = await Promise.all(Array.from({ length: 50 }, () => issue(t, request)))
    for (const answer of answers) expectAnswer(answer, 'SUCCESS')
    assert.is(new Set(answers.map((a) => a.raw)).size, 1, 'every answer carries the same benefitDetails')
    assert.is(scalar(t, 'select count(*) from issuings'), 1)
    assert.is(scalar(t, 'select count(*) from instances'), 2)
    assert.is(scalar(t, 'select issued_quantity from templates where id = ?', templateId), 2)
    assert.is(scalar(t, 'select issued from user_template_counts where user_id = ?', 'rae'), 2)
  })
})

test('200 concurrent users against a stock of 100: exactly 100 succeed, the rest BIZ_ERROR_NO_RETRY, stock ends at 0 left', async () => {
  await withConnector(async (t) => {
    const templateId = await syncedTemplate(t, { benefitBudget: { totalQuantity: 100 } })
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => issue(t, { benefitTemplateId: templateId, userId: `user_${i}` })))
    for (const answer of answers) expectAnswer(answer, answer.json.success ? 'SUCCESS' : 'BIZ_ERROR_NO_RETRY')
    assert.is(codesOf(answers, 'SUCCESS'), 100)
    assert.is(codesOf(answers, 'BIZ_ERROR_NO_RETRY'), 100)
    assert.is(scalar(t, 'select total_quantity - issued_quantity from templates where id = ?', templateId), 0)
    assert.is(scalar(t, 'select count(*) from instances'), 100)
    assert.is(scalar(t, 'select count(distinct code) from instances'), 100)
    assert.is(scalar(t, 'select count(distinct user_id) from instances'), 100, 'one each')
  })
})

test('one user, 20 concurrent issues with different ids against perUserLimit 3: exactly 3 succeed', async () => {
  await withConnector(async (t) => {
    const templateId = await syncedTemplate(t, { benefitBudget: { totalQuantity: 1000, perUserLimit: 3 } })
    const answers = await Promise.all(Array.from({ length: 20 }, () => issue(t, { benefitTemplateId: templateId, userId: 'sam' })))
    assert.is(codesOf(answers, 'SUCCESS'), 3)
    assert.is(codesOf(answers, 'BIZ_ERROR_NO_RETRY'), 17)
    assert.ok(answers.filter((a) => !a.json.success).every((a) => /per-user limit/.test(a.json.resultMessage)))
    assert.is(scalar(t, 'select issued_quantity from templates where id = ?', templateId), 3)
    assert.is(scalar(t, 'select issued from user_template_counts where user_id = ?', 'sam'), 3)
  })
})

/** The end state a reversal must leave whatever the order: nothing live under the id, the budget whole. */
function assertFullyUndone(t: TestConnector, templateId: string, ids: string[]) {
  for (const id of ids) {
    const state = scalar<string>(t, 'select state from issuings where request_id = ?', id)
    assert.ok(state === 'REVERSED' || state === 'TOMBSTONE', `${id} is ${state}`)
  }
  assert.is(scalar(t, "select count(*) from instances where state = 'ACTIVATED'"), 0, 'no instance survives a successful reversal')
  assert.is(scalar(t, 'select issued_quantity from templates where id = ?', templateId), 0, 'stock fully restored')
  assert.is(scalar(t, 'select coalesce(sum(issued), 0) from user_template_counts'), 0, 'per-user counts restored')
}

test('reverse racing its own issue, both orders, sequential and concurrent: always consistent', async () => {
  await withConnector(async (t) => {
    const templateId = await syncedTemplate(t, { benefitBudget: { totalQuantity: 1000, perUserLimit: 5 } })
    const reverse = (id: string) => callIsvApi(t.url, 'reverseBenefitIssue', { benefitIssueRequestId: id })
    const ids: string[] = []

    const issuedFirst = issueId()
    ids.push(issuedFirst)
    expectAnswer(await issue(t, { benefitIssueRequestId: issuedFirst, userId: 'tia', benefitTemplateId: templateId, quantity: 2 }), 'SUCCESS')
    expectAnswer(await reverse(issuedFirst), 'SUCCESS')

    const reversedFirst = issueId()
    ids.push(reversedFirst)
    expectAnswer(await reverse(reversedFirst), 'SUCCESS')
    expectAnswer(await issue(t, { benefitIssueRequestId: reversedFirst, userId: 'tia', benefitTemplateId: templateId, quantity: 2 }), 'BIZ_ERROR_NO_RETRY')

    // 40 pairs at once, half started issue-first and half reverse-first.
    const pairs = Array.from({ length: 40 }, (_, i) => {
      const id = issueId('race')
      ids.push(id)
      const doIssue = () => issue(t, { benefitIssueRequestId: id, userId: `racer_${i}`, benefitTemplateId: templateId, quantity: 2 })
      const doReverse = () => reverse(id)
      return i % 2 === 0 ? Promise.all([doIssue(), doReverse()]) : Promise.all([doReverse(), doIssue()]).then(([r, s]) => [s, r] as const)
    })
    for (const [issued, reversed] of await Promise.all(pairs)) {
      expectAnswer(reversed, 'SUCCESS')
      expectAnswer(issued, issued.json.success ? 'SUCCESS' : 'BIZ_ERROR_NO_RETRY')
    }
    assertFullyUndone(t, templateId, ids)
  })
})

test.run()
