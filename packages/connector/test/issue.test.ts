import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { formatProtocolTime, offsetOfProtocolTime } from '@benefitkit/shared'
import { createTemplate } from '../src/templates/create.js'
import { applySyncOutcome } from '../src/templates/sync-state.js'
import { expectAnswer } from './support/answers.js'
import type { TestConnector } from './support/connector.js'
import { issue, issueId, scalar, syncedTemplate, templateFile, withConnector } from './support/issuing.js'

/** issueBenefit (protocol.md §6.5): what is issued, what is refused, and that repeats get the first answer. */

const DAY = 86_400_000
const INSTANCE_ID = /^bi[0-9A-HJKMNP-TV-Z]{26}$/
const CODE = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$/

function stock(t: TestConnector, templateId: string) {
  return scalar(t, 'select issued_quantity from templates where id = ?', templateId)
}
function userCount(t: TestConnector, templateId: string, userId: string) {
  return scalar(t, 'select issued from user_template_counts where template_id = ? and user_id = ?', templateId, userId) ?? 0
}
function instanceCount(t: TestConnector) {
  return scalar(t, 'select count(*) from instances')
}

test('quantity N gives N distinct instances with unguessable ids and codes, valid N days in the template offset', async () => {
  await withConnector(async (t) => {
    const templateId = await syncedTemplate(t)
    const before = Date.now()
    const answer = await issue(t, { benefitTemplateId: templateId, quantity: 5, userId: 'alice' })
    expectAnswer(answer, 'SUCCESS')
    const details = answer.json.benefitDetails as Array<Record<string, any>>
    assert.is(details.length, 5)
    assert.is(new Set(details.map((d) => d.benefitInstanceId)).size, 5)
    assert.is(new Set(details.map((d) => d.benefitCode)).size, 5)
    for (const d of details) {
      assert.match(d.benefitInstanceId, INSTANCE_ID)
      assert.match(d.benefitCode, CODE)
      assert.is(d.benefitPin, undefined)
      assert.is(d.benefitUrl, undefined)
      assert.is(d.benefitTemplateId, templateId)
      assert.is(d.status, 'ACTIVATED')
      assert.equal(d.amount, { currency: 'HKD', value: '1000' })
      assert.is(offsetOfProtocolTime(d.activateTime), 480, 'written in the template offset (+08:00)')
      assert.is(offsetOfProtocolTime(d.expireTime), 480)
      assert.ok(Date.parse(d.activateTime) >= before - 1000 && Date.parse(d.activateTime) <= Date.now())
      assert.is(Date.parse(d.expireTime) - Date.parse(d.activateTime), 30 * DAY)
    }
    assert.is(stock(t, templateId), 5)
    assert.is(scalar(t, 'select count(*) from user_template_counts'), 0, 'no per-user limit: no count kept')
    const rows = t.connector.context.sqlite.prepare('select id, code, state, user_id from instances order by id').all() as Array<Record<string, string>>
    assert.equal(rows.map((r) => r.id), details.map((d) => d.benefitInstanceId).sort())
    assert.ok(rows.every((r) => r.state === 'ACTIVATED' && r.user_id === 'alice'))
  })
})

test('ABSOLUTE validity: the template window, written in the offset of benefitBeginTime', async () => {
  await withConnector(async (t) => {
    const now = Date.now()
    const validBeginTime = new Date(now - DAY).toISOString()
    const validEndTime = new Date(now + 10 * DAY).toISOString()
    const templateId = await syncedTemplate(t, {
      benefitBeginTime: formatProtocolTime(now - DAY, 330),
      benefitValidPeriod: { type: 'ABSOLUTE', validBeginTime, validEndTime },
    })
    const answer = await issue(t, { benefitTemplateId: templateId })
    expectAnswer(answer, 'SUCCESS')
    const [d] = answer.json.benefitDetails
    assert.is(Date.parse(d.activateTime), Date.parse(validBeginTime))
    assert.is(Date.parse(d.expireTime), Date.parse(validEndTime))
    assert.match(d.activateTime, /\+05:30$/)
    assert.match(d.expireTime, /\+05:30$/)
  })
})

test('CODE_AND_PIN gives six-digit PINs; URL gives a /r/<token> link under publicUrl and no code', async () => {
  await withConnector(
    async (t) => {
      const pinTemplate = await syncedTemplate(t, { benefitContent: { codeType: 'CODE_AND_PIN' } })
      const withPin = await issue(t, { benefitTemplateId: pinTemplate, quantity: 3 })
      expectAnswer(withPin, 'SUCCESS')
      for (const d of withPin.json.benefitDetails) {
        assert.match(d.benefitCode, CODE)
        assert.match(d.benefitPin, /^\d{6}$/)
        assert.is(d.amount, undefined, 'no amount when the template has none')
      }

      const urlTemplate = await syncedTemplate(t, { benefitContent: { codeType: 'URL' } })
      const withUrl = await issue(t, { benefitTemplateId: urlTemplate, quantity: 2 })
      expectAnswer(withUrl, 'SUCCESS')
      const urls = withUrl.json.benefitDetails.map((d: Record<string, string>) => {
        assert.is(d.benefitCode, undefined)
        assert.is(d.benefitPin, undefined)
        assert.match(d.benefitUrl!, /^https:\/\/benefits\.example\.com\/r\/[0-9a-hjkmnp-tv-z]{26}$/)
        return d.benefitUrl!
      })
      assert.is(new Set(urls).size, 2)
      const token = urls[0]!.split('/r/')[1]
      assert.is(scalar(t, 'select url from instances where code = ?', token), urls[0], 'the token is the stored code')
    },
    { publicUrl: 'https://benefits.example.com/' },
  )
})

test('URL benefits without publicUrl point at the listener itself', async () => {
  await withConnector(async (t) => {
    const templateId = await syncedTemplate(t, { benefitContent: { codeType: 'URL' } })
    const answer = await issue(t, { benefitTemplateId: templateId })
    expectAnswer(answer, 'SUCCESS')
    assert.ok(answer.json.benefitDetails[0].benefitUrl.startsWith(`${t.url}/r/`), answer.json.benefitDetails[0].benefitUrl)
  })
})

test('pool codes are handed out first, in import order, then generated codes', async () => {
  await withConnector(async (t) => {
    const templateId = await syncedTemplate(t, {
      benefitContent: { codeType: 'CODE_AND_PIN' },
      codes: [
        { code: 'MERCHANT-001', pin: '1111' },
        { code: 'MERCHANT-002', pin: '2222' },
        { code: 'MERCHANT-003', pin: '3333' },
      ],
    })
    const first = await issue(t, { benefitTemplateId: templateId, quantity: 2 })
    expectAnswer(first, 'SUCCESS')
    assert.equal(
      first.json.benefitDetails.map((d: Record<string, string>) => [d.benefitCode, d.benefitPin]),
      [
        ['MERCHANT-001', '1111'],
        ['MERCHANT-002', '2222'],
      ],
    )
    const second = await issue(t, { benefitTemplateId: templateId, quantity: 2, userId: 'bob' })
    expectAnswer(second, 'SUCCESS')
    const [pooled, generated] = second.json.benefitDetails
    assert.equal([pooled.benefitCode, pooled.benefitPin], ['MERCHANT-003', '3333'])
    assert.match(generated.benefitCode, CODE)
    assert.match(generated.benefitPin, /^\d{6}$/)
    assert.is(scalar(t, 'select count(*) from template_codes where template_id = ? and instance_id is null', templateId), 0)
    assert.is(
      scalar(t, "select instance_id from template_codes where code = 'MERCHANT-003'"),
      pooled.benefitInstanceId,
      'the pool row names the instance that took it',
    )
  })
})

test('a repeat returns the same benefitDetails byte for byte with a fresh signature; spelling out the default clientCode is a repeat too', async () => {
  await withConnector(async (t) => {
    const templateId = await syncedTemplate(t)
    const request = { benefitIssueRequestId: issueId(), userId: 'carol', benefitTemplateId: templateId, quantity: 2 }
    const first = await issue(t, request)
    expectAnswer(first, 'SUCCESS')
    await new Promise((r) => setTimeout(r, 5))
    const again = await issue(t, request)
    expectAnswer(again, 'SUCCESS')
    assert.is(again.raw, first.raw)
    assert.is.not(again.headers.signature, first.headers.signature, 'signed afresh (new Response-Time)')
    const spelledOut = await issue(t, { ...request, clientCode: 'ALIPAY_HK' })
    expectAnswer(spelledOut, 'SUCCESS')
    assert.is(spelledOut.raw, first.raw)
    assert.is(instanceCount(t), 2)
    assert.is(stock(t, templateId), 2)
  })
})

test('REPEAT_REQ_INCONSISTENT for the same id with another userId, template, quantity or clientCode; nothing changes', async () => {
  await withConnector(async (t) => {
    const templateId = await syncedTemplate(t)
    const other = await syncedTemplate(t)
    const request = { benefitIssueRequestId: issueId(), userId: 'dave', benefitTemplateId: templateId, quantity: 1 }
    const first = await issue(t, request)
    expectAnswer(first, 'SUCCESS')
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ userId: 'eve' }, /userId/],
      [{ benefitTemplateId: other }, /benefitTemplateId/],
      [{ quantity: 2 }, /quantity/],
      [{ clientCode: 'GCASH' }, /clientCode/],
    ]
    for (const [change, field] of cases) {
      const answer = await issue(t, { ...request, ...change })
      expectAnswer(answer, 'REPEAT_REQ_INCONSISTENT', field)
    }
    assert.is(instanceCount(t), 1)
    assert.is(stock(t, templateId), 1)
    assert.is(stock(t, other), 0)
    assert.is(userCount(t, templateId, 'eve'), 0)
    expectAnswer(await issue(t, request), 'SUCCESS')
  })
})

test('BIZ_ERROR_NO_RETRY with the reason for templates that are unknown, not synced, failed, or synced for another super app', async () => {
  await withConnector(async (t) => {
    const context = t.connector.context
    const draft = await createTemplate(context, templateFile())
    const failed = await createTemplate(context, templateFile())
    await applySyncOutcome(context.db, { syncRequestId: failed.benefitSyncRequestId, syncStatus: 'FAIL', syncFailCode: 'AUDIT_FAIL', now: Date.now() })
    const synced = await syncedTemplate(t)
    expectAnswer(await issue(t, { benefitTemplateId: 'tpl_nothing' }), 'BIZ_ERROR_NO_RETRY', /tpl_nothing does not exist/)
    expectAnswer(await issue(t, { benefitTemplateId: draft.template.benefitTemplateId }), 'BIZ_ERROR_NO_RETRY', /not issuable yet/)
    expectAnswer(await issue(t, { benefitTemplateId: failed.template.benefitTemplateId }), 'BIZ_ERROR_NO_RETRY', /sync failed/)
    expectAnswer(await issue(t, { benefitTemplateId: synced, clientCode: 'GCASH' }), 'BIZ_ERROR_NO_RETRY', /synced for ALIPAY_HK, not GCASH/)
    assert.is(instanceCount(t), 0)
    assert.is(scalar(t, 'select coalesce(sum(issued_quantity), 0) from templates'), 0)
  })
})

test('a refused id stays refused: the F answer is stored and replayed even once the template becomes issuable', async () => {
  await withConnector(async (t) => {
    const context = t.connector.context
    const created = await createTemplate(context, templateFile())
    const templateId = created.template.benefitTemplateId
    const request = { benefitIssueRequestId: issueId(), userId: 'frank', benefitTemplateId: templateId, quantity: 1 }
    const refused = await issue(t, request)
    expectAnswer(refused, 'BIZ_ERROR_NO_RETRY')
    assert.is(scalar(t, 'select state from issuings where request_id = ?', request.benefitIssueRequestId), 'REJECTED')
    await applySyncOutcome(context.db, { syncRequestId: created.benefitSyncRequestId, syncStatus: 'SUCCESS', now: Date.now() })
    const replayed = await issue(t, request)
    expectAnswer(replayed, 'BIZ_ERROR_NO_RETRY')
    assert.is(replayed.raw, refused.raw)
    expectAnswer(await issue(t, { ...request, benefitIssueRequestId: issueId() }), 'SUCCESS')
  })
})

test('the collection window [benefitBeginTime, benefitEndTime) and the end of ABSOLUTE validity, on the injectable clock', async () => {
  let now = Date.now()
  await withConnector(
    async (t) => {
      const opensLater = await syncedTemplate(t, { benefitBeginTime: formatProtocolTime(now + DAY, 480) })
      expectAnswer(await issue(t, { benefitTemplateId: opensLater }), 'BIZ_ERROR_NO_RETRY', /cannot be collected before/)

      const closesSoon = await syncedTemplate(t, { benefitEndTime: formatProtocolTime(now + DAY, 480) })
      const validUntil = await syncedTemplate(t, {
        benefitValidPeriod: { type: 'ABSOLUTE', validBeginTime: formatProtocolTime(now - DAY, 480), validEndTime: formatProtocolTime(now + 2 * DAY, 480) },
      })
      expectAnswer(await issue(t, { benefitTemplateId: closesSoon }), 'SUCCESS')
      expectAnswer(await issue(t, { benefitTemplateId: validUntil }), 'SUCCESS')

      now += DAY // exactly benefitEndTime: the end is exclusive
      expectAnswer(await issue(t, { benefitTemplateId: closesSoon }), 'BIZ_ERROR_NO_RETRY', /window has closed/)
      expectAnswer(await issue(t, { benefitTemplateId: opensLater }), 'SUCCESS', undefined)
      now += DAY
      expectAnswer(await issue(t, { benefitTemplateId: validUntil }), 'BIZ_ERROR_NO_RETRY', /valid only until/)
      assert.is(stock(t, closesSoon), 1)
      assert.is(stock(t, validUntil), 1)
    },
    {},
    { now: () => now },
  )
})

test('out of stock: all or nothing, the stock never goes past totalQuantity', async () => {
  await withConnector(async (t) => {
    const templateId = await syncedTemplate(t, { benefitBudget: { totalQuantity: 3, perUserLimit: 5 } })
    expectAnswer(await issue(t, { benefitTemplateId: templateId, quantity: 2, userId: 'u1' }), 'SUCCESS')
    expectAnswer(await issue(t, { benefitTemplateId: templateId, quantity: 2, userId: 'u2' }), 'BIZ_ERROR_NO_RETRY', /out of stock: .* 1 left, 2 asked/)
    assert.is(stock(t, templateId), 2)
    assert.is(userCount(t, templateId, 'u2'), 0)
    expectAnswer(await issue(t, { benefitTemplateId: templateId, quantity: 1, userId: 'u2' }), 'SUCCESS')
    expectAnswer(await issue(t, { benefitTemplateId: templateId, quantity: 1, userId: 'u3' }), 'BIZ_ERROR_NO_RETRY', /out of stock/)
    assert.is(stock(t, templateId), 3)
    assert.is(instanceCount(t), 3)
    assert.is(userCount(t, templateId, 'u1'), 2)
    assert.is(userCount(t, templateId, 'u2'), 1)
  })
})

test('per-user limit: counted per template and user, refused without touching the stock', async () => {
  await withConnector(async (t) => {
    const templateId = await syncedTemplate(t, { benefitBudget: { totalQuantity: 10, perUserLimit: 2 } })
    expectAnswer(await issue(t, { benefitTemplateId: templateId, userId: 'gina' }), 'SUCCESS')
    expectAnswer(await issue(t, { benefitTemplateId: templateId, userId: 'gina' }), 'SUCCESS')
    expectAnswer(await issue(t, { benefitTemplateId: templateId, userId: 'gina' }), 'BIZ_ERROR_NO_RETRY', /per-user limit reached/)
    expectAnswer(await issue(t, { benefitTemplateId: templateId, userId: 'hank', quantity: 3 }), 'BIZ_ERROR_NO_RETRY', /per-user limit reached: at most 2/)
    expectAnswer(await issue(t, { benefitTemplateId: templateId, userId: 'hank', quantity: 2 }), 'SUCCESS')
    assert.is(stock(t, templateId), 4, 'refusals gave back the stock they had taken')
    assert.is(userCount(t, templateId, 'gina'), 2)
    assert.is(userCount(t, templateId, 'hank'), 2)
  })
})

test.run()
