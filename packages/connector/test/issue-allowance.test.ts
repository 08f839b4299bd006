import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { expectAnswer } from './support/answers.js'
import type { TestConnector } from './support/connector.js'
import { issue, issueId, scalar, syncedTemplate, withClock, withConnector } from './support/issuing.js'
import { callIsvApi } from './support/platform-caller.js'

/**
 * The per-user count (user_template_counts) is kept only for templates with a
 * perUserLimit: issue takes it with a conditional upsert, reverse gives it back.
 * A template without a limit keeps no count at all.
 */

function reverse(t: TestConnector, benefitIssueRequestId: string) {
  return callIsvApi(t.url, 'reverseBenefitIssue', { benefitIssueRequestId }, withClock(t))
}
function countRows(t: TestConnector, templateId: string): number {
  return scalar(t, 'select count(*) from user_template_counts where template_id = ?', templateId)
}
function userCount(t: TestConnector, templateId: string, userId: string): number | undefined {
  return scalar(t, 'select issued from user_template_counts where template_id = ? and user_id = ?', templateId, userId)
}
function stock(t: TestConnector, templateId: string): number {
  return scalar(t, 'select issued_quantity from templates where id = ?', templateId)
}

test('no perUserLimit: issues without a user_template_counts row, reverse needs none, the user collects again without limit', async () => {
  await withConnector(async (t) => {
    const templateId = await syncedTemplate(t, { benefitBudget: { totalQuantity: 100 } })
    const first = issueId()
    expectAnswer(await issue(t, { benefitIssueRequestId: first, benefitTemplateId: templateId, userId: 'uma', quantity: 3 }), 'SUCCESS')
    for (let i = 0; i < 5; i++) expectAnswer(await issue(t, { benefitTemplateId: templateId, userId: 'uma', quantity: 4 }), 'SUCCESS')
    assert.is(stock(t, templateId), 23)
    assert.is(countRows(t, templateId), 0, 'no count kept for a template without a limit')

    expectAnswer(await reverse(t, first), 'SUCCESS', /^success$/)
    assert.is(stock(t, templateId), 20, 'the stock is given back')
    assert.is(countRows(t, templateId), 0, 'and no count appears')
    expectAnswer(await issue(t, { benefitTemplateId: templateId, userId: 'uma', quantity: 3 }), 'SUCCESS')
    assert.is(countRows(t, templateId), 0)
  })
})

test('perUserLimit: still enforced per user, refusals take nothing, reverse gives the allowance back', async () => {
  await withConnector(async (t) => {
    const templateId = await syncedTemplate(t, { benefitBudget: { totalQuantity: 100, perUserLimit: 3 } })
    const unlimited = await syncedTemplate(t, { benefitBudget: { totalQuantity: 100 } })
    const first = issueId()
    expectAnswer(await issue(t, { benefitIssueRequestId: first, benefitTemplateId: templateId, userId: 'vic', quantity: 2 }), 'SUCCESS')
    expectAnswer(await issue(t, { benefitTemplateId: templateId, userId: 'vic', quantity: 1 }), 'SUCCESS')
    assert.is(userCount(t, templateId, 'vic'), 3)
    expectAnswer(await issue(t, { benefitTemplateId: templateId, userId: 'vic', quantity: 1 }), 'BIZ_ERROR_NO_RETRY', /per-user limit reached: user vic may collect at most 3/)
    expectAnswer(await issue(t, { benefitTemplateId: templateId, userId: 'vic', quantity: 4 }), 'BIZ_ERROR_NO_RETRY', /per-user limit reached: at most 3/)
    assert.is(userCount(t, templateId, 'vic'), 3, 'a refusal takes nothing')
    assert.is(stock(t, templateId), 3, 'a refusal gives its stock back')
    // Another user, and the same user on a template without a limit, are not affected.
    expectAnswer(await issue(t, { benefitTemplateId: templateId, userId: 'wes', quantity: 3 }), 'SUCCESS')
    expectAnswer(await issue(t, { benefitTemplateId: unlimited, userId: 'vic', quantity: 10 }), 'SUCCESS')
    assert.is(userCount(t, templateId, 'wes'), 3)
    assert.is(countRows(t, unlimited), 0)

    expectAnswer(await reverse(t, first), 'SUCCESS', /^success$/)
    assert.is(userCount(t, templateId, 'vic'), 1, 'the reversed 2 are given back')
    assert.is(stock(t, templateId), 4)
    expectAnswer(await reverse(t, first), 'SUCCESS', /already reversed/)
    assert.is(userCount(t, templateId, 'vic'), 1, 'a repeated reversal gives nothing back twice')

    expectAnswer(await issue(t, { benefitTemplateId: templateId, userId: 'vic', quantity: 3 }), 'BIZ_ERROR_NO_RETRY', /per-user limit/)
    expectAnswer(await issue(t, { benefitTemplateId: templateId, userId: 'vic', quantity: 2 }), 'SUCCESS')
    assert.is(userCount(t, templateId, 'vic'), 3)
    expectAnswer(await issue(t, { benefitTemplateId: templateId, userId: 'vic', quantity: 1 }), 'BIZ_ERROR_NO_RETRY', /per-user limit/)
  })
})

test.run()
