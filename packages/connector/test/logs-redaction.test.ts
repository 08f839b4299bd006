import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApiKey, createLogger } from '@benefitkit/connector'
import { testKeys } from './support/keys.js'
import { issue, syncedTemplate } from './support/issuing.js'
import { admin, ADMIN_TOKEN } from './support/ops-admin.js'
import { captureLogs, startLoggedConnector } from './support/ops-logs.js'
import { callIsvApi } from './support/platform-caller.js'
import { call, hmacAuthorization, newKey } from './support/redemption-client.js'

test('requests carrying keys, signatures, codes, PINs, API key secrets and the admin token leave none of them in the log', async () => {
  const t = await startLoggedConnector({ adminToken: ADMIN_TOKEN, rateLimitPerSecond: 10_000 })
  try {
    const secrets: string[] = [ADMIN_TOKEN]
    const templateId = await syncedTemplate(t, { benefitContent: { codeType: 'CODE_AND_PIN' } })

    // Signed platform calls: the Signature header, and answers full of codes and PINs.
    const issued = await issue(t, { benefitTemplateId: templateId, userId: 'user_logs', quantity: 2 })
    assert.is(issued.json.resultCode, 'SUCCESS', issued.raw)
    const signatureHeader = (await import('@benefitkit/shared/signing')).signRequest({
      path: '/isv/benefit/query',
      clientId: 'TEST_CLIENT_0001',
      body: '{}',
      key: testKeys().platformSigning,
    }).Signature
    secrets.push(decodeURIComponent(/signature=([^,]+)/.exec(signatureHeader)![1]!))
    const inquired = await callIsvApi(t.url, 'inquireBenefitIssue', { benefitIssueRequestId: 'nope' }, { headers: { Signature: signatureHeader } })
    assert.is(inquired.status, 200)
    for (const detail of issued.json.benefitDetails as Array<{ benefitCode: string; benefitPin: string }>) secrets.push(detail.benefitCode, detail.benefitPin)
    const [first, second] = issued.json.benefitDetails as Array<{ benefitCode: string; benefitPin: string }>

    // The redemption API: an HMAC-signed lookup and redeem with code and PIN, a secret sent where it does not belong.
    const key = await createApiKey(t.connector.context.db, { name: 'logs' })
    secrets.push(key.secret)
    const lookupBody = JSON.stringify({ benefitCode: first!.benefitCode, benefitPin: first!.benefitPin })
    const authorization = hmacAuthorization(key.secret, { path: '/v1/benefits/lookup', body: lookupBody })
    secrets.push(/sig=([^,]+)$/.exec(authorization)![1]!)
    assert.is((await call(t.url, '/v1/benefits/lookup', { body: lookupBody, authorization })).status, 200)
    const redeemed = await call(t.url, '/v1/redemptions', { secret: key.secret, idempotencyKey: newKey(), body: { benefitCode: second!.benefitCode, benefitPin: second!.benefitPin } })
    assert.is(redeemed.status, 200, redeemed.text)
    const wrongPin = await call(t.url, '/v1/redemptions', { secret: key.secret, idempotencyKey: newKey(), body: { benefitCode: first!.benefitCode, benefitPin: '000000' } })
    assert.is(wrongPin.status, 422)
    assert.is((await call(t.url, '/v1/benefits/lookup', { authorization: `Bearer ${key.secret}`, body: lookupBody })).status, 401)

    // The admin API: the token, a lookup by code, a template body carrying a private key.
    assert.is((await admin(t.url, '/admin/v1/instances/lookup', { method: 'POST', body: { benefitCode: first!.benefitCode } })).status, 200)
    const privateKey = testKeys().isv.privateKeyBase64
    secrets.push(privateKey.slice(40, 120))
    assert.is((await admin(t.url, '/admin/v1/templates', { method: 'POST', body: { privateKey, benefitCode: first!.benefitCode } })).status, 400)
    assert.is((await admin(t.url, '/admin/v1/stats', { token: 'a-wrong-token-that-is-long' })).status, 403)
    secrets.push('a-wrong-token-that-is-long')

    const text = t.logs.text()
    assert.ok(t.logs.lines.filter((l) => l.msg === 'request').length >= 9, 'the requests were logged')
    for (const secret of secrets) assert.not.ok(text.includes(secret), `the log holds a secret: ${secret.slice(0, 12)}…`)
  } finally {
    await t.stop()
  }
})

test('one line per request: request id (a valid incoming X-Request-Id is kept), API, result code, status, duration', async () => {
  const t = await startLoggedConnector({ adminToken: ADMIN_TOKEN }, 'info')
  try {
    const templateId = await syncedTemplate(t)
    const issued = await issue(t, { benefitTemplateId: templateId }, { headers: { 'X-Request-Id': 'caller-id_123=' } })
    assert.is(issued.headers['x-request-id'], 'caller-id_123=')
    const unsafe = await fetch(`${t.url}/admin/v1/stats`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-request-id': 'has spaces "and quotes"' } })
    const generated = unsafe.headers.get('x-request-id')!
    assert.match(generated, /^[0-9a-f-]{36}$/)
    const tooLong = await fetch(`${t.url}/healthz`, { headers: { 'x-request-id': 'a'.repeat(256) } })
    assert.match(tooLong.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/)
    await fetch(`${t.url}/no/such/path`)

    const requests = t.logs.lines.filter((l) => l.msg === 'request')
    // /healthz is a probe: logged at debug, so not at info.
    assert.is(requests.length, 3, JSON.stringify(requests))
    const [issueLine, adminLine, missLine] = requests
    assert.is(issueLine!.requestId, 'caller-id_123=')
    assert.is(issueLine!.api, 'issueBenefit')
    assert.is(issueLine!.resultCode, 'SUCCESS')
    assert.is(issueLine!.status, 200)
    assert.is(typeof issueLine!.durationMs, 'number')
    assert.is(adminLine!.requestId, generated)
    assert.is(adminLine!.api, 'admin.stats')
    assert.is(adminLine!.resultCode, 'OK')
    assert.is(missLine!.api, 'unmatched')
    assert.is(missLine!.status, 404)
    for (const line of requests) {
      assert.is(line.body, undefined)
      assert.is(line.headers, undefined)
    }
  } finally {
    await t.stop()
  }
})

test('the logger redacts secret fields at any depth and in child bindings, and keeps error codes', () => {
  const { logs, stream } = captureLogs()
  const logger = createLogger('info', stream)
  const error = Object.assign(new Error('connect refused'), { code: 'ECONNREFUSED', request: { headers: { Authorization: 'Bearer LEAK-1' } } })
  logger.info(
    {
      privateKey: 'LEAK-2',
      instance: { code: 'LEAK-3', pin: 'LEAK-4', benefitUrl: 'https://x/r/LEAK-5' },
      answer: { benefitDetails: [{ benefitCode: 'LEAK-6' }] },
      rows: [{ secret_hash: 'LEAK-7', signature: 'LEAK-8' }],
      body: '{"benefitCode":"LEAK-9"}',
      err: error,
    },
    'careless',
  )
  logger.child({ token: 'LEAK-10', apiKeySecret: 'LEAK-11' }).warn({ adminToken: 'LEAK-12' }, 'child')
  const text = logs.text()
  for (let i = 1; i <= 12; i++) assert.not.ok(text.includes(`LEAK-${i}`), `LEAK-${i} reached the log: ${text}`)
  const [careless] = logs.lines
  assert.is(careless!.err.code, 'ECONNREFUSED')
  assert.is(careless!.err.message, 'connect refused')
  assert.is(careless!.instance.code, '[redacted]')
  // The logged objects themselves are left as they were.
  assert.is(error.request.headers.Authorization, 'Bearer LEAK-1')
})

test.run()
