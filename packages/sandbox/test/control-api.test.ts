/**
 * The control API under /sandbox/ (plain JSON, no signatures) and the faults
 * it injects into the platform's answers.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { harness, syncRequest, usedRequest, type Harness } from './support/harness.js'
import { testKeys } from './support/keys.js'

const keys = testKeys()

async function ctl(h: Harness, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${h.url}/sandbox${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, json: text ? JSON.parse(text) : undefined }
}

test('POST /sandbox/faults: a U code for the next 2 calls of one API, then normal answers', async () => {
  const h = await harness(keys)
  try {
    const added = await ctl(h, 'POST', '/faults', { api: 'inquireBenefitSync', kind: 'code', code: 'SYSTEM_ERROR', times: 2 })
    assert.is(added.status, 201)
    assert.is(added.json.added[0].id, 'f1')
    const other = await h.call('syncBenefit', syncRequest('s1', 't1'))
    assert.is(other.json.result.resultCode, 'SUCCESS', 'another API is not hit')
    const codes = []
    for (let i = 0; i < 3; i++) {
      const answer = await h.call('inquireBenefitSync', { benefitSyncRequestId: 's1' })
      assert.ok(answer.signed, 'an injected code is still a signed answer')
      codes.push(`${answer.json.result.resultStatus} ${answer.json.result.resultCode}`)
    }
    assert.equal(codes, ['U SYSTEM_ERROR', 'U SYSTEM_ERROR', 'S SUCCESS'])
    assert.equal((await ctl(h, 'GET', '/faults')).json.faults, [], 'used up faults are removed')
    const calls = (await ctl(h, 'GET', '/calls?api=inquireBenefitSync')).json.calls
    assert.equal(calls.map((c: any) => c.fault ?? null), ['code SYSTEM_ERROR (f1)', 'code SYSTEM_ERROR (f1)', null])
  } finally {
    await h.close()
  }
})

test('drop closes the connection; http answers the status unsigned; badSignature answers a signature that does not verify', async () => {
  const h = await harness(keys)
  try {
    await ctl(h, 'POST', '/faults', [
      { api: 'inquireBenefitSync', kind: 'drop' },
      { api: 'inquireBenefitSync', kind: 'http', httpStatus: 502 },
      { api: 'inquireBenefitSync', kind: 'badSignature' },
    ])
    const body = { benefitSyncRequestId: 'x' }
    const dropped = await h.call('inquireBenefitSync', body).then(
      () => 'answered',
      (e: Error) => e.name,
    )
    assert.is(dropped, 'TypeError', 'fetch failed: no answer at all')
    const http = await h.call('inquireBenefitSync', body)
    assert.is(http.status, 502)
    assert.is(http.signed, false)
    const bad = await h.call('inquireBenefitSync', body)
    assert.is(bad.status, 200)
    assert.is(bad.json.result.resultCode, 'SYNC_REQUEST_ID_NOT_EXIST', 'the real answer')
    assert.ok(bad.headers.get('signature'), 'a Signature header is present')
    assert.is(bad.signed, false, 'but it does not verify')
    const clean = await h.call('inquireBenefitSync', body)
    assert.ok(clean.signed)
  } finally {
    await h.close()
  }
})

test('a fault after processing keeps the effect: the ISV retry is answered from the idempotency record', async () => {
  const h = await harness(keys, { reviewDelayMs: 10_000 })
  try {
    await ctl(h, 'POST', '/faults', { api: 'syncBenefit', kind: 'drop', afterProcessing: true })
    const body = syncRequest('s-after', 't-after')
    const dropped = await h.call('syncBenefit', body).then(
      () => 'answered',
      () => 'dropped',
    )
    assert.is(dropped, 'dropped')
    assert.is(h.sandbox.state.syncs.length, 1, 'the sync was accepted before the answer was lost')
    const retry = await h.call('syncBenefit', body)
    assert.is(retry.json.result.resultCode, 'SUCCESS')
    const calls = h.sandbox.calls({ api: 'syncBenefit' })
    assert.equal(calls.map((c) => [c.code, c.attempt, Boolean(c.replayed)]), [
      ['DROPPED', 1, false],
      ['SUCCESS', 2, true],
    ])
  } finally {
    await h.close()
  }
})

test('delay holds the answer for delayMs', async () => {
  const h = await harness(keys)
  try {
    await ctl(h, 'POST', '/faults', { api: '*', kind: 'delay', delayMs: 300 })
    const started = Date.now()
    const answer = await h.call('inquireBenefitSync', { benefitSyncRequestId: 'x' })
    assert.ok(Date.now() - started >= 290, `answered after ${Date.now() - started} ms`)
    assert.ok(answer.signed)
    const quick = Date.now()
    await h.call('inquireBenefitSync', { benefitSyncRequestId: 'x' })
    assert.ok(Date.now() - quick < 250, 'only the next call was delayed')
  } finally {
    await h.close()
  }
})

test('a probability fault hits each call with that probability until removed', async () => {
  const rolls = [0.1, 0.9, 0.2, 0.8]
  let i = 0
  const h = await harness(keys, { random: () => rolls[i++ % rolls.length]! })
  try {
    const { json } = await ctl(h, 'POST', '/faults', { api: 'inquireBenefitSync', kind: 'code', code: 'REQUEST_TRAFFIC_EXCEED_LIMIT', probability: 0.5 })
    const codes = []
    for (let n = 0; n < 4; n++) codes.push((await h.call('inquireBenefitSync', { benefitSyncRequestId: 'x' })).json.result.resultCode)
    assert.equal(codes, ['REQUEST_TRAFFIC_EXCEED_LIMIT', 'SYNC_REQUEST_ID_NOT_EXIST', 'REQUEST_TRAFFIC_EXCEED_LIMIT', 'SYNC_REQUEST_ID_NOT_EXIST'])
    const removed = await ctl(h, 'DELETE', `/faults/${json.added[0].id}`)
    assert.is(removed.status, 204)
    assert.is((await ctl(h, 'DELETE', '/faults/f99')).status, 404)
  } finally {
    await h.close()
  }
})

test('invalid faults are refused with the field named, and a list with one bad entry adds nothing', async () => {
  const h = await harness(keys)
  try {
    const wrongDirection = await ctl(h, 'POST', '/faults', { api: 'issueBenefit', kind: 'drop' })
    assert.is(wrongDirection.status, 400)
    assert.is(wrongDirection.json.error.code, 'INVALID_FAULT')
    assert.match(wrongDirection.json.error.message, /api/)
    const list = await ctl(h, 'POST', '/faults', [
      { api: 'syncBenefit', kind: 'code' },
      { api: 'syncBenefit', kind: 'code', times: 0 },
    ])
    assert.is(list.status, 400)
    assert.match(list.json.error.message, /faults\[1\]: times/)
    assert.equal((await ctl(h, 'GET', '/faults')).json.faults, [])
    assert.is((await ctl(h, 'POST', '/faults', 'not json{')).status, 400)
  } finally {
    await h.close()
  }
})

test('outage: every platform API answers 503 (the control API keeps working) until switched off or faults cleared', async () => {
  const h = await harness(keys)
  try {
    assert.equal((await ctl(h, 'POST', '/outage', { on: true })).json, { outage: true })
    for (const api of ['syncBenefit', 'inquireBenefitSync', 'syncUsedBenefit', '/any/other/path']) {
      const answer = await h.call(api, { benefitSyncRequestId: 'x' })
      assert.is(answer.status, 503, api)
    }
    assert.is((await ctl(h, 'GET', '/state')).json.outage, true)
    assert.is(h.sandbox.calls({ direction: 'inbound' }).filter((c) => c.code === 'HTTP_503').length, 4)
    await ctl(h, 'DELETE', '/faults')
    const after = await h.call('inquireBenefitSync', { benefitSyncRequestId: 'x' })
    assert.is(after.status, 200)
    await ctl(h, 'POST', '/outage', { on: true })
    await ctl(h, 'POST', '/outage', { on: false })
    assert.is((await h.call('inquireBenefitSync', { benefitSyncRequestId: 'x' })).status, 200)
  } finally {
    await h.close()
  }
})

test('the whole flow over the control API: review outcome, release, collect with a lost answer, state, calls, reset', async () => {
  const h = await harness(keys)
  try {
    assert.is((await ctl(h, 'POST', '/review', { templateId: 't-bad', outcome: 'SYNC_CLIENT_FAIL' })).status, 200)
    assert.is((await ctl(h, 'POST', '/review', { outcome: 'MAYBE' })).status, 400)
    await h.call('syncBenefit', syncRequest('s-bad', 't-bad'))
    await h.call('syncBenefit', syncRequest('s-ok', 't-ok'))
    await h.sandbox.waitFor((s) => s.syncs.every((x) => x.notify?.state === 'ACKNOWLEDGED'))

    const refused = await ctl(h, 'POST', '/release', { templateId: 't-bad' })
    assert.is(refused.status, 409)
    assert.is(refused.json.error.code, 'TEMPLATE_NOT_APPROVED')
    assert.is((await ctl(h, 'POST', '/release', { templateId: 't-ok' })).json.released, true)

    await ctl(h, 'POST', '/faults', { api: 'issueBenefit', kind: 'loseAnswer' })
    const collected = await ctl(h, 'POST', '/collect', { userId: 'u1', templateId: 't-ok', quantity: 1 })
    assert.is(collected.status, 200)
    assert.is(collected.json.outcome, 'ISSUED')
    assert.equal(collected.json.attempts.map((a: any) => a.code), ['TIMEOUT', 'SUCCESS'])
    assert.is((await ctl(h, 'POST', '/collect', { userId: 'u1' })).status, 400)

    const instance = collected.json.benefitDetails[0]
    await h.call('syncUsedBenefit', usedRequest('use-1', { benefitInstanceId: instance.benefitInstanceId, benefitTemplateId: 't-ok', userId: 'u1' }))

    const state = (await ctl(h, 'GET', '/state')).json
    assert.equal(state.templates.map((t: any) => [t.benefitTemplateId, t.syncStatus, t.released]), [
      ['t-bad', 'FAIL', false],
      ['t-ok', 'SUCCESS', true],
    ])
    assert.is(state.instances[0].status, 'USED')
    assert.equal(Object.keys(state.wallets), ['u1'])
    assert.is(state.usedSyncs.length, 1)

    const outbound = (await ctl(h, 'GET', '/calls?direction=outbound')).json.calls
    assert.ok(outbound.every((c: any) => c.direction === 'outbound' && c.from === 'platform' && c.to === 'isv'))
    assert.equal(outbound.map((c: any) => c.api), ['notifyBenefitSync', 'notifyBenefitSync', 'issueBenefit', 'issueBenefit'])
    const lastSeq = outbound.at(-1).seq
    assert.equal((await ctl(h, 'GET', `/calls?after=${lastSeq}`)).json.calls.map((c: any) => c.api), ['syncUsedBenefit'])
    assert.is((await ctl(h, 'GET', '/calls?direction=sideways')).status, 400)

    assert.is((await ctl(h, 'GET', '/nope')).status, 404)
    await ctl(h, 'POST', '/reset')
    const empty = (await ctl(h, 'GET', '/state')).json
    assert.equal([empty.templates, empty.syncs, empty.instances, empty.callCount], [[], [], [], 0])
  } finally {
    await h.close()
  }
})

test('the isvBaseUrl can be set after start (both sides on port 0)', async () => {
  const h = await harness(keys)
  try {
    const isvUrl = h.sandbox.isvBaseUrl!
    await ctl(h, 'POST', '/isv-base-url', { isvBaseUrl: 'http://127.0.0.1:1' })
    await h.call('syncBenefit', syncRequest('s1', 't1'))
    await h.sandbox.waitFor((s) => (s.syncs[0]?.notify?.attempts.length ?? 0) >= 1)
    assert.is(h.sandbox.state.syncs[0]?.notify?.attempts[0]?.code, 'NETWORK_ERROR')
    assert.is((await ctl(h, 'POST', '/isv-base-url', { isvBaseUrl: 'nope' })).status, 400)
    h.sandbox.setIsvBaseUrl(`${isvUrl}/`)
    const sync = await h.sandbox.waitFor((s) => (s.syncs[0]?.notify?.state === 'ACKNOWLEDGED' ? s.syncs[0] : undefined))
    assert.is(sync.notify?.attempts.at(-1)?.code, 'SUCCESS', 'the retry reached the ISV at its new address')
  } finally {
    await h.close()
  }
})

test.run()
