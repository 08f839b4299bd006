import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApiKey } from '@benefitkit/connector'
import { applySyncOutcome } from '../src/templates/sync-state.js'
import { startTestConnector, type TestConnector } from './support/connector.js'
import { issue, issueId, templateFile } from './support/issuing.js'
import { admin, ADMIN_TOKEN } from './support/ops-admin.js'
import { call, newKey } from './support/redemption-client.js'

/**
 * The admin API end to end on a real connector: a template created through it,
 * synced, issued over the signed platform API, redeemed over the redemption
 * API, then read back through every admin endpoint — and no code, PIN or URL
 * token in any admin answer.
 */

interface World {
  t: TestConnector
  templateId: string
  issuingId: string
  codes: string[]
  instanceIds: string[]
  userId: string
}

async function world(): Promise<World> {
  const t = await startTestConnector({ adminToken: ADMIN_TOKEN, rateLimitPerSecond: 10_000 })
  // The platform is unreachable here: keep the worker from touching outbox rows the tests move by hand.
  await t.connector.worker.stop()
  const created = await admin(t.url, '/admin/v1/templates', { method: 'POST', body: templateFile({ benefitTemplateId: `tpl_admin_${Date.now()}` }) })
  assert.is(created.status, 201, created.text)
  const templateId = created.json.template.benefitTemplateId as string
  await applySyncOutcome(t.connector.context.db, { syncRequestId: created.json.benefitSyncRequestId, syncStatus: 'SUCCESS', now: Date.now() })
  const userId = 'user_admin_1'
  const issuingId = issueId('adm')
  const issued = await issue(t, { benefitIssueRequestId: issuingId, benefitTemplateId: templateId, userId, quantity: 2 })
  assert.is(issued.json.resultCode, 'SUCCESS', issued.raw)
  const details = issued.json.benefitDetails as Array<{ benefitCode: string; benefitInstanceId: string }>
  return { t, templateId, issuingId, userId, codes: details.map((d) => d.benefitCode), instanceIds: details.map((d) => d.benefitInstanceId) }
}

function assertNoCodes(text: string, codes: string[]): void {
  for (const code of codes) assert.not.ok(text.includes(code), `a full benefit code appears in ${text.slice(0, 200)}`)
}

test('templates: create (201, queued), invalid (400 listing every problem), duplicate (409), list, show, 404', async () => {
  const w = await world()
  try {
    const list = await admin(w.t.url, '/admin/v1/templates')
    assert.is(list.status, 200)
    assert.ok(list.json.templates.some((tpl: { benefitTemplateId: string; state: string }) => tpl.benefitTemplateId === w.templateId && tpl.state === 'SYNCED'))
    assert.is((await admin(w.t.url, '/admin/v1/templates?state=DRAFT')).json.templates.length, 0)
    assert.is((await admin(w.t.url, '/admin/v1/templates?state=BOGUS')).status, 400)

    const shown = await admin(w.t.url, `/admin/v1/templates/${w.templateId}`)
    assert.is(shown.status, 200)
    assert.is(shown.json.template.issuedQuantity, 2)
    assert.is(shown.json.template.stockLeft, 98)
    assert.equal(shown.json.template.pool, { total: 0, free: 0 })
    assert.is((await admin(w.t.url, '/admin/v1/templates/tpl_nope')).status, 404)

    const invalid = await admin(w.t.url, '/admin/v1/templates', { method: 'POST', body: { benefitTitle: 'x' } })
    assert.is(invalid.status, 400)
    assert.is(invalid.json.error.code, 'INVALID_REQUEST')
    assert.ok(invalid.json.error.problems.length >= 3, JSON.stringify(invalid.json))
    const duplicate = await admin(w.t.url, '/admin/v1/templates', { method: 'POST', body: templateFile({ benefitTemplateId: w.templateId }) })
    assert.is(duplicate.status, 409)
    assert.is(duplicate.json.error.code, 'CONFLICT')
    // An HTTP caller never makes the daemon read a file.
    const withFile = await admin(w.t.url, '/admin/v1/templates', { method: 'POST', body: templateFile({ codesFile: '/etc/passwd' }) })
    assert.is(withFile.status, 400)
    const notJson = await admin(w.t.url, '/admin/v1/templates', { method: 'POST', body: '{nope' })
    assert.is(notJson.status, 400)

    const draft = await admin(w.t.url, '/admin/v1/templates?draft=true', { method: 'POST', body: templateFile() })
    assert.is(draft.status, 201)
    assert.is(draft.json.queued, false)
    const synced = await admin(w.t.url, `/admin/v1/templates/${draft.json.template.benefitTemplateId}/sync`, { method: 'POST' })
    assert.is(synced.status, 200)
    assert.is(synced.json.queued, true)
  } finally {
    await w.t.stop()
  }
})

test('instances by user, by id and by code (POST body), issuings by request id: codes masked, PINs never shown', async () => {
  const w = await world()
  try {
    const byUser = await admin(w.t.url, `/admin/v1/instances?userId=${w.userId}`)
    assert.is(byUser.status, 200)
    assert.is(byUser.json.instances.length, 2)
    for (const instance of byUser.json.instances) {
      assert.is(instance.status, 'ACTIVATED')
      assert.is(instance.benefitIssueRequestId, w.issuingId)
      assert.match(instance.codeHint, /^\*+.{4}$/)
    }
    assertNoCodes(byUser.text, w.codes)
    assert.is((await admin(w.t.url, '/admin/v1/instances?userId=nobody')).json.instances.length, 0)
    const noUser = await admin(w.t.url, '/admin/v1/instances')
    assert.is(noUser.status, 400)
    assert.match(noUser.json.error.message, /lookup/)

    const byCode = await admin(w.t.url, '/admin/v1/instances/lookup', { method: 'POST', body: { benefitCode: w.codes[0] } })
    assert.is(byCode.status, 200)
    assert.is(byCode.json.instance.benefitInstanceId, w.instanceIds[0])
    assert.is(byCode.json.instance.codeHint.slice(-4), w.codes[0]!.slice(-4))
    assertNoCodes(byCode.text, w.codes)
    assert.is((await admin(w.t.url, '/admin/v1/instances/lookup', { method: 'POST', body: { benefitCode: 'NOPE' } })).status, 404)
    assert.is((await admin(w.t.url, '/admin/v1/instances/lookup', { method: 'POST', body: {} })).status, 400)

    const byId = await admin(w.t.url, `/admin/v1/instances/${w.instanceIds[1]}`)
    assert.is(byId.status, 200)
    assert.is(byId.json.redemption, null)
    assert.is((await admin(w.t.url, '/admin/v1/instances/bi_nope')).status, 404)

    const issuing = await admin(w.t.url, `/admin/v1/issuings/${w.issuingId}`)
    assert.is(issuing.status, 200)
    assert.is(issuing.json.issuing.state, 'ISSUED')
    assert.is(issuing.json.issuing.quantity, 2)
    assert.is(issuing.json.issuing.answer.resultCode, 'SUCCESS')
    assert.is(issuing.json.instances.length, 2)
    assertNoCodes(issuing.text, w.codes)
    assert.is((await admin(w.t.url, '/admin/v1/issuings/iss_nope')).status, 404)
  } finally {
    await w.t.stop()
  }
})

test('redemptions: recent, by instance; the outbox: list by state, show (codes masked), retry, replay dead, refusals; stats', async () => {
  const w = await world()
  try {
    const key = await createApiKey(w.t.connector.context.db, { name: 'admin-test' })
    const redeemed = await call(w.t.url, '/v1/redemptions', { secret: key.secret, idempotencyKey: newKey(), body: { benefitCode: w.codes[0], orderId: 'order-1' } })
    assert.is(redeemed.status, 200, redeemed.text)

    const recent = await admin(w.t.url, '/admin/v1/redemptions')
    assert.is(recent.status, 200)
    assert.is(recent.json.redemptions.length, 1)
    assert.is(recent.json.redemptions[0].orderId, 'order-1')
    assert.is(recent.json.redemptions[0].benefitInstanceId, w.instanceIds[0])
    assert.is((await admin(w.t.url, `/admin/v1/redemptions?instanceId=${w.instanceIds[1]}`)).json.redemptions.length, 0)
    assert.is((await admin(w.t.url, '/admin/v1/redemptions?limit=0')).status, 400)
    assert.is((await admin(w.t.url, '/admin/v1/redemptions?since=yesterday')).status, 400)
    const shown = await admin(w.t.url, `/admin/v1/instances/${w.instanceIds[0]}`)
    assert.is(shown.json.instance.status, 'USED')
    assert.is(shown.json.redemption.orderId, 'order-1')

    // syncBenefit + syncUsedBenefit are queued; park the syncUsedBenefit as dead, as exhausted retries would.
    const pending = await admin(w.t.url, '/admin/v1/outbox?state=pending')
    const used = pending.json.outbox.find((row: { api: string }) => row.api === 'syncUsedBenefit')
    assert.ok(used, JSON.stringify(pending.json))
    const sqlite = w.t.connector.context.sqlite
    sqlite.prepare("update outbox set state = 'dead', last_code = 'PARAM_ILLEGAL' where id = ?").run(used.id)
    const dead = await admin(w.t.url, '/admin/v1/outbox?state=dead&api=syncUsedBenefit')
    assert.is(dead.json.outbox.length, 1)
    assert.is(dead.json.outbox[0].lastCode, 'PARAM_ILLEGAL')
    assert.is(dead.json.outbox[0].body, undefined, 'lists carry no bodies')

    const detail = await admin(w.t.url, `/admin/v1/outbox/${used.id}`)
    assert.is(detail.status, 200)
    assert.is(detail.json.outbox.body.benefitInstanceId, w.instanceIds[0])
    assertNoCodes(detail.text, w.codes)

    const retried = await admin(w.t.url, `/admin/v1/outbox/${used.id}/retry`, { method: 'POST' })
    assert.is(retried.status, 200)
    assert.is(retried.json.result, 'replayed')
    assert.is(sqlite.prepare('select state from outbox where id = ?').pluck().get(used.id), 'pending')

    sqlite.prepare("update outbox set state = 'delivered', delivered_at = ? where id = ?").run(Date.now(), used.id)
    const refused = await admin(w.t.url, `/admin/v1/outbox/${used.id}/retry`, { method: 'POST' })
    assert.is(refused.status, 409)
    assert.is(refused.json.error.code, 'CONFLICT')
    assert.is((await admin(w.t.url, '/admin/v1/outbox/999999/retry', { method: 'POST' })).status, 404)
    assert.is((await admin(w.t.url, '/admin/v1/outbox/abc')).status, 400)

    sqlite.prepare("update outbox set state = 'dead' where api = 'syncBenefit'").run()
    assert.is((await admin(w.t.url, '/admin/v1/outbox/replay', { method: 'POST', body: {} })).status, 400)
    const future = new Date(Date.now() + 60_000).toISOString()
    const none = await admin(w.t.url, '/admin/v1/outbox/replay', { method: 'POST', body: { dead: true, since: future } })
    assert.is(none.json.replayed, 0)
    const replayed = await admin(w.t.url, '/admin/v1/outbox/replay', { method: 'POST', body: { dead: true, api: 'syncBenefit' } })
    assert.is(replayed.status, 200)
    assert.is(replayed.json.replayed, 1)
    assert.is(sqlite.prepare("select count(*) from outbox where state = 'dead'").pluck().get(), 0)

    const stats = await admin(w.t.url, '/admin/v1/stats')
    assert.is(stats.status, 200)
    assert.is(stats.json.templates.SYNCED, 1)
    assert.is(stats.json.instances.ACTIVATED, 1)
    assert.is(stats.json.instances.USED, 1)
    assert.is(stats.json.issuings.ISSUED, 1)
    assert.equal(stats.json.redemptions, { total: 1, last24h: 1 })
    assert.is(stats.json.apiKeys.active, 1)
    assert.is(stats.json.outbox.delivered, 1)
    assert.is(stats.json.outbox.pending, 1)
  } finally {
    await w.t.stop()
  }
})

test.run()
