import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startTestConnector } from './support/connector.js'
import { issue, syncedTemplate } from './support/issuing.js'
import { ADMIN_TOKEN } from './support/ops-admin.js'
import { metricValue, parseMetrics } from './support/ops-metrics.js'
import { createTemplateWithSync, drained, enqueueUsed, eventually, FAST_QUICK_RETRIES, FAST_SCHEDULE } from './support/outbox-fixtures.js'
import { startPlatformStub } from './support/platform-stub.js'

async function scrape(url: string, token?: string): Promise<{ status: number; text: string; type: string | null }> {
  const response = await fetch(`${url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {})
  return { status: response.status, text: await response.text(), type: response.headers.get('content-type') }
}

test('/metrics is a 404 unless BENEFITKIT_METRICS=1 or an admin token is configured', async () => {
  const t = await startTestConnector()
  try {
    assert.is((await scrape(t.url)).status, 404)
  } finally {
    await t.stop()
  }
})

test('with an admin token /metrics needs it (401 without, 403 wrong, 200 right); BENEFITKIT_METRICS=1 serves it to anyone', async () => {
  const guarded = await startTestConnector({ adminToken: ADMIN_TOKEN })
  const open = await startTestConnector({ metricsPublic: true })
  try {
    assert.is((await scrape(guarded.url)).status, 401)
    assert.is((await scrape(guarded.url, 'not-the-admin-token')).status, 403)
    const ok = await scrape(guarded.url, ADMIN_TOKEN)
    assert.is(ok.status, 200)
    assert.match(ok.type ?? '', /^text\/plain; version=0\.0\.4/)
    assert.is((await scrape(open.url)).status, 200)
  } finally {
    await guarded.stop()
    await open.stop()
  }
})

test('requests by API and result code, latency histograms, process metrics, key version', async () => {
  const t = await startTestConnector({ metricsPublic: true })
  try {
    const templateId = await syncedTemplate(t)
    for (let i = 0; i < 3; i++) assert.is((await issue(t, { benefitTemplateId: templateId })).json.resultCode, 'SUCCESS')
    assert.is((await issue(t, { benefitTemplateId: 'tpl_unknown' })).json.success, false)
    await fetch(`${t.url}/nothing/here`)
    const series = parseMetrics((await scrape(t.url)).text)
    assert.is(metricValue(series, 'benefitkit_http_requests_total', { api: 'issueBenefit', code: 'SUCCESS' }), 3)
    const refused = [...series].find(([k]) => k.startsWith('benefitkit_http_requests_total{') && k.includes('api="issueBenefit"') && !k.includes('code="SUCCESS"'))
    assert.ok(refused, 'the refused issue is counted under its own result code')
    assert.is(metricValue(series, 'benefitkit_http_requests_total', { api: 'unmatched', code: '404' }), 1)
    assert.is(metricValue(series, 'benefitkit_http_request_duration_seconds_count', { api: 'issueBenefit' }), 4)
    assert.is(metricValue(series, 'benefitkit_http_request_duration_seconds_bucket', { api: 'issueBenefit', le: '+Inf' }), 4)
    assert.is(metricValue(series, 'benefitkit_connector_info', { key_version: '1' }), 1)
    assert.ok(metricValue(series, 'process_resident_memory_bytes')! > 0)
    assert.ok(metricValue(series, 'nodejs_eventloop_lag_seconds') !== undefined)
    // Ids and codes never become label values.
    assert.not.ok([...series.keys()].some((k) => k.includes('iss_') || k.includes('/nothing/here')))
  } finally {
    await t.stop()
  }
})

test('outbox depth by API and state, oldest pending age, dead rows, stock left, read at scrape time', async () => {
  let clock = Date.now()
  const t = await startTestConnector({ metricsPublic: true }, { now: () => clock, outbox: { reconciler: false } })
  try {
    await t.connector.worker.stop()
    const templateId = await syncedTemplate(t)
    assert.is((await issue(t, { benefitTemplateId: templateId, quantity: 3 })).json.resultCode, 'SUCCESS')
    await enqueueUsed(t.connector, templateId, 2)
    t.connector.context.sqlite.prepare("update outbox set state = 'dead' where id = (select max(id) from outbox)").run()
    clock += 90_000
    const series = parseMetrics((await scrape(t.url)).text)
    assert.is(metricValue(series, 'benefitkit_outbox_rows', { api: 'syncUsedBenefit', state: 'pending' }), 1)
    assert.is(metricValue(series, 'benefitkit_outbox_rows', { api: 'syncUsedBenefit', state: 'dead' }), 1)
    assert.is(metricValue(series, 'benefitkit_outbox_rows', { api: 'syncBenefit', state: 'pending' }), 1)
    assert.is(metricValue(series, 'benefitkit_outbox_rows', { api: 'syncBenefit', state: 'in_flight' }), 0)
    assert.is(metricValue(series, 'benefitkit_outbox_dead_rows'), 1)
    const age = metricValue(series, 'benefitkit_outbox_oldest_pending_age_seconds')!
    assert.ok(age >= 90 && age < 120, `oldest pending age ${age}`)
    assert.is(metricValue(series, 'benefitkit_template_stock_left', { template: templateId }), 97)

    // Gauges follow the database, not a cache.
    t.connector.context.sqlite.prepare("update outbox set state = 'delivered' where state != 'delivered'").run()
    const after = parseMetrics((await scrape(t.url)).text)
    assert.is(metricValue(after, 'benefitkit_outbox_oldest_pending_age_seconds'), 0)
    assert.is(metricValue(after, 'benefitkit_outbox_dead_rows'), 0)
  } finally {
    await t.stop()
  }
})

test('delivery attempts and outcomes: S from a platform that answers, transport when it cannot be reached', async () => {
  const stub = await startPlatformStub()
  const fast = { schedule: FAST_SCHEDULE, quickRetries: FAST_QUICK_RETRIES, pollIntervalMs: 50, reconciler: false } as const
  const up = await startTestConnector({ metricsPublic: true, platformUrl: stub.url }, { outbox: fast })
  const down = await startTestConnector({ metricsPublic: true, platformUrl: 'http://127.0.0.1:9', platformTimeoutMs: 500 }, { outbox: fast })
  try {
    await createTemplateWithSync(up.connector)
    await drained(up.connector.context.db)
    const upSeries = parseMetrics((await scrape(up.url)).text)
    assert.is(metricValue(upSeries, 'benefitkit_outbox_delivery_attempts_total', { api: 'syncBenefit', outcome: 'S' }), 1)
    assert.is(metricValue(upSeries, 'benefitkit_outbox_delivery_duration_seconds_count', { api: 'syncBenefit' }), 1)

    await createTemplateWithSync(down.connector)
    const transport = await eventually(async () => {
      const value = metricValue(parseMetrics((await scrape(down.url)).text), 'benefitkit_outbox_delivery_attempts_total', { api: 'syncBenefit', outcome: 'transport' })
      return value !== undefined && value >= 1 ? value : undefined
    }, { message: 'a transport failure to be counted' })
    assert.ok(transport >= 1)
  } finally {
    await up.stop()
    await down.stop()
    await stub.close()
  }
})

test.run()
