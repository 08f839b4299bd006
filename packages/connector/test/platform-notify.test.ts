import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createTemplate } from '../src/templates/create.js'
import { expectAnswer } from './support/answers.js'
import type { TestConnector } from './support/connector.js'
import { scalar, templateFile, withConnector } from './support/issuing.js'
import { callIsvApi } from './support/platform-caller.js'

/** notifyBenefitSync (protocol.md §6.4): final outcomes recorded once, repeats acknowledged, never backwards. */

async function newTemplate(t: TestConnector) {
  const created = await createTemplate(t.connector.context, templateFile())
  return { templateId: created.template.benefitTemplateId, syncId: created.benefitSyncRequestId }
}

function stateOf(t: TestConnector, templateId: string) {
  return t.connector.context.sqlite
    .prepare('select state, sync_fail_code as code, sync_fail_reason as reason, synced_at as syncedAt from templates where id = ?')
    .get(templateId) as { state: string; code: string | null; reason: string | null; syncedAt: number | null }
}

test('SUCCESS makes the template SYNCED; a repeat is acknowledged; a late PROCESSING or FAIL changes nothing', async () => {
  await withConnector(async (t) => {
    const { templateId, syncId } = await newTemplate(t)
    expectAnswer(await callIsvApi(t.url, 'notifyBenefitSync', { benefitSyncRequestId: syncId, syncStatus: 'PROCESSING' }), 'SUCCESS')
    assert.is(stateOf(t, templateId).state, 'DRAFT', 'PROCESSING is not an outcome')

    expectAnswer(await callIsvApi(t.url, 'notifyBenefitSync', { benefitSyncRequestId: syncId, syncStatus: 'SUCCESS' }), 'SUCCESS', /SYNCED/)
    const synced = stateOf(t, templateId)
    assert.is(synced.state, 'SYNCED')
    assert.ok(synced.syncedAt)

    expectAnswer(await callIsvApi(t.url, 'notifyBenefitSync', { benefitSyncRequestId: syncId, syncStatus: 'SUCCESS' }), 'SUCCESS')
    expectAnswer(await callIsvApi(t.url, 'notifyBenefitSync', { benefitSyncRequestId: syncId, syncStatus: 'PROCESSING' }), 'SUCCESS', /stays SYNCED/)
    expectAnswer(
      await callIsvApi(t.url, 'notifyBenefitSync', { benefitSyncRequestId: syncId, syncStatus: 'FAIL', syncFailCode: 'AUDIT_FAIL' }),
      'SUCCESS',
      /stays SYNCED/,
    )
    assert.equal(stateOf(t, templateId), synced, 'nothing moved backwards')
  })
})

test('FAIL records the code and reason; a later SUCCESS does not revive it', async () => {
  await withConnector(async (t) => {
    const { templateId, syncId } = await newTemplate(t)
    const fail = { benefitSyncRequestId: syncId, syncStatus: 'FAIL', syncFailCode: 'AUDIT_FAIL', syncFailReason: 'title is misleading' }
    expectAnswer(await callIsvApi(t.url, 'notifyBenefitSync', fail), 'SUCCESS', /FAILED/)
    assert.equal(stateOf(t, templateId), { state: 'FAILED', code: 'AUDIT_FAIL', reason: 'title is misleading', syncedAt: null })
    expectAnswer(await callIsvApi(t.url, 'notifyBenefitSync', fail), 'SUCCESS')
    expectAnswer(await callIsvApi(t.url, 'notifyBenefitSync', { benefitSyncRequestId: syncId, syncStatus: 'SUCCESS' }), 'SUCCESS', /stays FAILED/)
    assert.is(stateOf(t, templateId).state, 'FAILED')
  })
})

test('SYNC_REQUEST_ID_NOT_EXIST for an unknown benefitSyncRequestId; nothing is created', async () => {
  await withConnector(async (t) => {
    await newTemplate(t)
    const answer = await callIsvApi(t.url, 'notifyBenefitSync', { benefitSyncRequestId: 'sync_never_sent', syncStatus: 'SUCCESS' })
    expectAnswer(answer, 'SYNC_REQUEST_ID_NOT_EXIST', /sync_never_sent/)
    assert.is(scalar(t, "select count(*) from templates where state = 'SYNCED'"), 0)
  })
})

test('PARAM_ILLEGAL for FAIL without syncFailCode and for an unknown syncStatus, naming the field', async () => {
  await withConnector(async (t) => {
    const { templateId, syncId } = await newTemplate(t)
    expectAnswer(
      await callIsvApi(t.url, 'notifyBenefitSync', { benefitSyncRequestId: syncId, syncStatus: 'FAIL' }),
      'PARAM_ILLEGAL',
      /^syncFailCode: .*required when syncStatus is FAIL/,
    )
    expectAnswer(await callIsvApi(t.url, 'notifyBenefitSync', { benefitSyncRequestId: syncId, syncStatus: 'DONE' }), 'PARAM_ILLEGAL', /^syncStatus: /)
    assert.is(stateOf(t, templateId).state, 'DRAFT')
  })
})

test.run()
