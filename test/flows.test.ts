/**
 * The three flows of the seed end to end: a real connector and the sandbox
 * platform, over real HTTP on loopback, with real RSA signatures both ways.
 * Each test starts its own stack (fresh database, fresh sandbox) and stops it.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createApiKey, findTemplate } from '@benefitkit/connector'
import { createRedemptionClient } from '@benefitkit/miniprogram-sdk'
import { fetchTransport } from '@benefitkit/miniprogram-sdk/fetch'
import { SyncUsedBenefitRequest } from '@benefitkit/shared'
import { ensureTemplate, templateFile, waitForTemplateState } from '../scripts/dev-setup.js'
import { eventually, startTestStack, type TestStack } from './support/e2e.js'

const test = suite('e2e: the three flows through the sandbox platform')

async function withStack(fn: (stack: TestStack) => Promise<void>, options: Parameters<typeof startTestStack>[0] = {}): Promise<void> {
  const stack = await startTestStack(options)
  try {
    await fn(stack)
  } finally {
    await stack.stop()
  }
}

/** A template synced, approved and released, ready to be collected. */
async function releasedTemplate(stack: TestStack, id: string, totalQuantity = 10): Promise<void> {
  await ensureTemplate(stack.connector, templateFile({ id, totalQuantity, perUserLimit: 3 }))
  await waitForTemplateState(stack.db, id, ['SYNCED'], { timeoutMs: 5_000 })
  await stack.sandbox.waitFor((s) => s.templates.find((t) => t.benefitTemplateId === id)?.syncStatus === 'SUCCESS')
  stack.sandbox.release(id)
}

test('flow 1: a template the platform refuses (AUDIT_FAIL) ends FAILED with the code and reason, and cannot be issued', () =>
  withStack(async (stack) => {
    const reason = 'benefitTitle promises more than the voucher gives'
    stack.sandbox.setReviewOutcome({ templateId: 'refused', outcome: 'AUDIT_FAIL', reason })
    await ensureTemplate(stack.connector, templateFile({ id: 'refused' }))
    const template = await waitForTemplateState(stack.db, 'refused', ['SYNCED', 'FAILED'], { timeoutMs: 5_000 })
    assert.is(template.state, 'FAILED')
    assert.is(template.sync_fail_code, 'AUDIT_FAIL')
    assert.is(template.sync_fail_reason, reason)
    assert.is(template.synced_at, null)

    // It was the platform's notify that settled it (the reconciler is off in these tests).
    const sync = await stack.sandbox.waitFor((s) => s.syncs.find((x) => x.benefitTemplateId === 'refused' && x.notify?.state === 'ACKNOWLEDGED'))
    assert.is(sync.syncStatus, 'FAIL')
    const notify = stack.sandbox.calls({ api: 'notifyBenefitSync' })
    assert.ok(notify.length >= 1)
    assert.is(notify.at(-1)!.status, 'S')
    assert.is(notify.at(-1)!.signatureValid, true)
    assert.is(stack.sandbox.calls({ api: 'inquireBenefitSync' }).length, 0)

    // A refused template is not issuable: a forced collect is refused by the connector.
    const collect = await stack.sandbox.collect({ userId: 'u1', templateId: 'refused', force: true })
    assert.is(collect.outcome, 'REJECTED')
    assert.is((await findTemplate(stack.db, 'refused'))!.issued_quantity, 0)
  }))

test('flow 1: an approved template goes DRAFT → SYNCING → SYNCED through notifyBenefitSync', () =>
  withStack(async (stack) => {
    const seen: string[] = []
    await ensureTemplate(stack.connector, templateFile({ id: 'approved' }))
    const template = await waitForTemplateState(stack.db, 'approved', ['SYNCED', 'FAILED'], {
      timeoutMs: 5_000,
      intervalMs: 5,
      onState: (state) => seen.push(state),
    })
    assert.is(template.state, 'SYNCED')
    assert.ok(template.synced_at !== null)
    assert.is(seen.at(-1), 'SYNCED')
    assert.not.ok(seen.includes('FAILED'))

    const syncCalls = stack.sandbox.calls({ api: 'syncBenefit' })
    assert.is(syncCalls.length, 1)
    assert.is(syncCalls[0]!.id, template.sync_request_id)
    assert.is(syncCalls[0]!.status, 'S')
    // The platform saw exactly the template the connector stores.
    const sync = stack.sandbox.state.syncs.find((s) => s.benefitSyncRequestId === template.sync_request_id)!
    assert.is(sync.request.benefitTemplateId, 'approved')
    assert.is(sync.request.benefitBudget.totalQuantity, template.total_quantity)
    // Settled by the platform's notify (the connector commits before it answers; the sandbox records after).
    await stack.sandbox.waitFor((s) => s.syncs.find((x) => x.benefitTemplateId === 'approved')?.notify?.state === 'ACKNOWLEDGED')
    const notify = stack.sandbox.calls({ api: 'notifyBenefitSync' })
    assert.ok(notify.length >= 1)
    assert.ok(notify.every((c) => c.id === template.sync_request_id))
    assert.is(notify.at(-1)!.status, 'S')
    assert.is(notify.at(-1)!.signatureValid, true)
    assert.is(stack.sandbox.calls({ api: 'inquireBenefitSync' }).length, 0)
  }))

test('flow 2: issueBenefit answers lost → retries with the same id, inquiry, reversal; the stock and per-user count come back', () =>
  withStack(async (stack) => {
    await releasedTemplate(stack, 'stocked', 5)
    const first = await stack.sandbox.collect({ userId: 'u1', templateId: 'stocked' })
    assert.is(first.outcome, 'ISSUED')
    assert.is((await findTemplate(stack.db, 'stocked'))!.issued_quantity, 1)

    const issueTries = 3 + 1 // the sandbox's default issueRetries + the first attempt
    const inquireTries = 1 + 1
    stack.sandbox.injectFault({ api: 'issueBenefit', kind: 'loseAnswer', times: issueTries })
    stack.sandbox.injectFault({ api: 'inquireBenefitIssue', kind: 'loseAnswer', times: inquireTries })
    const lost = await stack.sandbox.collect({ userId: 'u1', templateId: 'stocked' })

    assert.is(lost.outcome, 'REVERSED', `${lost.code}: ${lost.message}`)
    assert.is(lost.decidedBy, 'reversal')
    const apis = lost.attempts.map((a) => a.api)
    assert.equal(apis, [...Array(issueTries).fill('issueBenefit'), ...Array(inquireTries).fill('inquireBenefitIssue'), 'reverseBenefitIssue'])
    const issueCalls = stack.sandbox.calls({ api: 'issueBenefit', id: lost.benefitIssueRequestId })
    assert.is(issueCalls.length, issueTries)
    // The connector acted on the first attempt and answered the retries from its record.
    const issuing = await stack.db.selectFrom('issuings').selectAll().where('request_id', '=', lost.benefitIssueRequestId).executeTakeFirstOrThrow()
    assert.is(issuing.state, 'REVERSED')
    const instances = await stack.db.selectFrom('instances').select(['state']).where('issuing_id', '=', lost.benefitIssueRequestId).execute()
    assert.is(instances.length, 1)
    assert.is(instances[0]!.state, 'REVERSED')
    // Stock and the user's count are restored: back to what the first collect left.
    assert.is((await findTemplate(stack.db, 'stocked'))!.issued_quantity, 1)
    const count = await stack.db
      .selectFrom('user_template_counts')
      .select('issued')
      .where('template_id', '=', 'stocked')
      .where('user_id', '=', 'u1')
      .executeTakeFirstOrThrow()
    assert.is(count.issued, 1)

    // Exactly the restored stock can be issued again: 4 more, then none.
    assert.is((await stack.sandbox.collect({ userId: 'u2', templateId: 'stocked', quantity: 3 })).outcome, 'ISSUED')
    assert.is((await stack.sandbox.collect({ userId: 'u3', templateId: 'stocked', quantity: 1 })).outcome, 'ISSUED')
    assert.is((await findTemplate(stack.db, 'stocked'))!.issued_quantity, 5)
    assert.is((await stack.sandbox.collect({ userId: 'u4', templateId: 'stocked', quantity: 1 })).outcome, 'REJECTED')
  }))

test('flow 2: inquireBenefitIssue reports an issued collect with its instances, a reversed one, and an unknown id', () =>
  withStack(async (stack) => {
    await releasedTemplate(stack, 'asked')
    const issued = await stack.sandbox.collect({ userId: 'u1', templateId: 'asked', quantity: 2 })
    assert.is(issued.outcome, 'ISSUED')

    const inquiry = await stack.sandbox.inquireIssue(issued.benefitIssueRequestId)
    assert.is(inquiry.status, 'S')
    assert.is(inquiry.signatureValid, true)
    assert.equal(
      inquiry.benefitDetails!.map((d) => d.benefitInstanceId).sort(),
      issued.benefitDetails.map((d) => d.benefitInstanceId).sort(),
    )
    assert.ok(inquiry.benefitDetails!.every((d) => d.status === 'ACTIVATED'))

    const reversal = await stack.sandbox.reverseIssue(issued.benefitIssueRequestId)
    assert.is(reversal.outcome, 'REVERSED')
    const after = await stack.sandbox.inquireIssue(issued.benefitIssueRequestId)
    assert.is(after.status, 'S')
    assert.ok(after.benefitDetails!.every((d) => d.status === 'REVERSED'), JSON.stringify(after.benefitDetails))

    const unknown = await stack.sandbox.inquireIssue('never-issued-0001')
    assert.is(unknown.code, 'ISSUE_REQUEST_ID_NOT_EXIST')
  }))

test('flow 3: redeem through the SDK during a platform outage; syncUsedBenefit waits in the outbox and is delivered after, the same body every attempt', () =>
  withStack(async (stack) => {
    await releasedTemplate(stack, 'spent')
    const collect = await stack.sandbox.collect({ userId: 'u1', templateId: 'spent' })
    const code = collect.benefitDetails[0]!.benefitCode!
    const key = await createApiKey(stack.db, { name: 'e2e' })
    const sdk = createRedemptionClient({ baseUrl: stack.connectorUrl, auth: { apiKey: key.secret }, transport: fetchTransport() })

    stack.sandbox.setOutage(true)
    const started = Date.now()
    const redeemed = await sdk.redeem({ benefitCode: code, userId: 'u1', orderId: 'o-1', usedAmount: { currency: 'HKD', value: '5000' } })
    // The checkout is answered at once, whatever the platform is doing (waiting for it would hang until the SDK's timeout).
    assert.ok(Date.now() - started < 5_000)
    assert.is(redeemed.instance.status, 'USED')
    const { use_request_id: useId } = await stack.db
      .selectFrom('redemptions')
      .select('use_request_id')
      .where('id', '=', redeemed.redemption.redemptionId)
      .executeTakeFirstOrThrow()
    const outboxRow = () =>
      stack.db.selectFrom('outbox').selectAll().where('api', '=', 'syncUsedBenefit').where('idempotency_id', '=', useId).executeTakeFirstOrThrow()

    await eventually('3 failed deliveries during the outage', async () => {
      const row = await outboxRow()
      return row.attempts >= 3 && row.state === 'pending'
    })
    assert.is(stack.sandbox.state.usedSyncs.length, 0)
    assert.ok(stack.sandbox.calls({ api: 'syncUsedBenefit' }).every((c) => c.httpStatus === 503))

    // Back up, but its first answer is a U: one more retry, so the platform reads the body twice.
    stack.sandbox.injectFault({ api: 'syncUsedBenefit', kind: 'code', code: 'SYSTEM_ERROR', times: 1 })
    stack.sandbox.setOutage(false)
    const used = await stack.sandbox.waitFor((s) => s.usedSyncs.find((u) => u.benefitUseRequestId === useId && u.resultCode === 'SUCCESS'), {
      timeoutMs: 5_000,
    })
    const row = await eventually('the outbox row delivered', async () => {
      const r = await outboxRow()
      return r.state === 'delivered' ? r : undefined
    })
    assert.ok(row.attempts >= 5, `attempts ${row.attempts}`)

    // Every attempt the platform could read carried the very bytes the outbox holds.
    assert.is(used.bodies.length, 2)
    for (const body of used.bodies) assert.is(body, row.body)
    const sent = SyncUsedBenefitRequest.parse(JSON.parse(row.body))
    assert.is(sent.benefitInstanceId, redeemed.instance.benefitInstanceId)
    assert.is(sent.userId, 'u1')
    assert.equal(sent.usedAmount, { currency: 'HKD', value: '5000' })
    // The super app's wallet shows it used.
    const wallet = stack.sandbox.state.instances.find((i) => i.benefitInstanceId === redeemed.instance.benefitInstanceId)!
    assert.is(wallet.status, 'USED')
    assert.is(wallet.benefitUseRequestId, useId)
    // Nothing else was sent: one row, one redemption.
    const rows = await stack.db.selectFrom('outbox').select('id').where('api', '=', 'syncUsedBenefit').execute()
    assert.is(rows.length, 1)
  }))

test.run()
