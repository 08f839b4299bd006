import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createIssuingQueries, MAX_PREPARED_INSTANCE_ROWS } from '../src/issuing/queries.js'
import { expectAnswer } from './support/answers.js'
import { issue, issueId, syncedTemplate, withConnector } from './support/issuing.js'

/**
 * The issuing statements are compiled once (issuing/queries.ts): the SQL is
 * the builder's own, and every value lands in its column, whatever the row count.
 */

test('a prepared instances insert has the SQL the builder makes for the same number of rows', async () => {
  await withConnector(async (t) => {
    const db = t.connector.context.db
    const queries = createIssuingQueries(db)
    const seen: Array<{ sql: string; parameters: readonly unknown[] }> = []
    const runner = {
      executeQuery: async (query: { sql: string; parameters: readonly unknown[] }) => {
        seen.push(query)
        return { rows: [] }
      },
    }
    for (let n = 1; n <= MAX_PREPARED_INSTANCE_ROWS + 1; n++) {
      const rows = Array.from({ length: n }, (_, i) => instanceRow(`bi_${n}_${i}`))
      await queries.insertInstances(runner as never, rows)
      const built = db.insertInto('instances').values(rows).compile()
      assert.is(seen.at(-1)!.sql, built.sql, `${n} rows`)
      assert.equal(seen.at(-1)!.parameters, built.parameters, `${n} rows: every value in its place`)
    }
  })
})

test('issuings of 1, 10, 11 and 100 instances store exactly what they answer', async () => {
  await withConnector(async (t) => {
    const templateId = await syncedTemplate(t, { benefitBudget: { totalQuantity: 200 }, benefitContent: { amount: { currency: 'HKD', value: '1000' }, codeType: 'CODE_AND_PIN' } })
    const sqlite = t.connector.context.sqlite
    for (const quantity of [1, 10, 11, 100, 10]) {
      const id = issueId()
      const answer = await issue(t, { benefitIssueRequestId: id, benefitTemplateId: templateId, quantity, userId: `u${quantity}` })
      expectAnswer(answer, 'SUCCESS')
      const details = answer.json.benefitDetails as Array<Record<string, string>>
      assert.is(details.length, quantity)
      const rows = sqlite.prepare('select * from instances where issuing_id = ?').all(id) as Array<Record<string, unknown>>
      assert.is(rows.length, quantity)
      const byId = new Map(rows.map((r) => [r.id, r]))
      for (const d of details) {
        const row = byId.get(d.benefitInstanceId)
        assert.ok(row, d.benefitInstanceId)
        assert.is(row!.code, d.benefitCode)
        assert.is(row!.pin, d.benefitPin)
        assert.is(row!.issuing_id, id)
        assert.is(row!.template_id, templateId)
        assert.is(row!.user_id, `u${quantity}`)
        assert.is(row!.client_code, 'ALIPAY_HK')
        assert.is(row!.state, 'ACTIVATED')
        assert.is(row!.activate_time, d.activateTime)
        assert.is(row!.expire_time, d.expireTime)
        assert.is(row!.activate_at, Date.parse(d.activateTime!))
        assert.is(row!.expire_at, Date.parse(d.expireTime!))
        assert.is(row!.amount_currency, 'HKD')
        assert.is(row!.amount_value, '1000')
        assert.is(row!.url, null)
        assert.is(row!.used_at, null)
        assert.is(row!.reversed_at, null)
      }
    }
    assert.is(sqlite.prepare('select issued_quantity from templates where id = ?').pluck().get(templateId), 132)
  })
})

function instanceRow(id: string) {
  return {
    id,
    issuing_id: `iss_${id}`,
    template_id: `tpl_${id}`,
    user_id: `u_${id}`,
    client_code: 'ALIPAY_HK',
    state: 'ACTIVATED' as const,
    code: `code_${id}`,
    pin: `pin_${id}`,
    url: null,
    activate_time: '2026-01-01T00:00:00.000+08:00',
    expire_time: '2026-01-31T00:00:00.000+08:00',
    activate_at: 1,
    expire_at: 2,
    amount_currency: null,
    amount_value: null,
    created_at: 1,
    used_at: null,
    reversed_at: null,
  }
}

test.run()
