import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { benefitApis, formatProtocolTime } from '@benefitkit/shared'
import { loadPrivateKey, signRequest } from '@benefitkit/shared/signing'
import { expectAnswer } from './support/answers.js'
import { TEST_CLIENT_ID, type TestConnector } from './support/connector.js'
import { issue, issueId, scalar, syncedTemplate, withConnector } from './support/issuing.js'
import { testKeys } from './support/keys.js'
import { callIsvApi } from './support/platform-caller.js'

/**
 * The transport rules every platform call obeys (protocol.md §1–3): what is
 * checked before the body is trusted, in which order, and that every answer —
 * errors included — is flat, HTTP 200 and signed. Each refused request is a
 * well-formed issueBenefit for a synced template, so "no state change" means
 * something: had it got through, it would have issued.
 */

const ISSUE_PATH = benefitApis.issueBenefit.path

async function issueBody(t: TestConnector, template: Record<string, unknown> = {}) {
  const templateId = await syncedTemplate(t, template)
  return { benefitIssueRequestId: issueId(), userId: 'user_1', benefitTemplateId: templateId, quantity: 1 }
}

function nothingIssued(t: TestConnector) {
  assert.is(scalar(t, 'select count(*) from issuings'), 0, 'no issuing row')
  assert.is(scalar(t, 'select count(*) from instances'), 0, 'no instance')
  assert.is(scalar(t, 'select coalesce(sum(issued_quantity), 0) from templates'), 0, 'no stock taken')
}

test('a valid signed call succeeds: flat answer, HTTP 200, signed, Client-Id echoed, JSON content type', async () => {
  await withConnector(async (t) => {
    const answer = await callIsvApi(t.url, 'issueBenefit', await issueBody(t))
    expectAnswer(answer, 'SUCCESS')
    assert.is(answer.headers['client-id'], TEST_CLIENT_ID)
    assert.match(answer.headers['content-type'] ?? '', /^application\/json/)
  })
})

test('METHOD_NOT_SUPPORTED for GET and PUT, signed, nothing issued', async () => {
  await withConnector(async (t) => {
    const body = await issueBody(t)
    // A GET carries no body (the caller helper would otherwise announce one it does not send).
    expectAnswer(await callIsvApi(t.url, 'issueBenefit', body, { method: 'GET', rawBody: '' }), 'METHOD_NOT_SUPPORTED', /use POST/)
    expectAnswer(await callIsvApi(t.url, 'issueBenefit', body, { method: 'PUT' }), 'METHOD_NOT_SUPPORTED')
    nothingIssued(t)
  })
})

test('INVALID_API for an unknown path under /isv, signed; paths outside /isv are left to other routers', async () => {
  await withConnector(async (t) => {
    expectAnswer(await callIsvApi(t.url, null, {}, { path: '/isv/benefit/unknown' }), 'INVALID_API', /no API at \/isv\/benefit\/unknown/)
    expectAnswer(await callIsvApi(t.url, null, {}, { path: '/isv' }), 'INVALID_API')
    const outside = await callIsvApi(t.url, null, {}, { path: '/somewhere/else' })
    assert.is(outside.status, 404)
  })
})

test('PARAM_ILLEGAL for a missing Client-Id (answer signed with our Client-Id) and a missing Request-Time', async () => {
  await withConnector(async (t) => {
    const body = await issueBody(t)
    expectAnswer(await callIsvApi(t.url, 'issueBenefit', body, { headers: { 'Client-Id': undefined } }), 'PARAM_ILLEGAL', /Client-Id/)
    expectAnswer(await callIsvApi(t.url, 'issueBenefit', body, { headers: { 'Request-Time': undefined } }), 'PARAM_ILLEGAL', /Request-Time/)
    nothingIssued(t)
  })
})

test('PARAM_ILLEGAL for a stale or future Request-Time (replay guard), even when correctly signed', async () => {
  await withConnector(async (t) => {
    const body = await issueBody(t)
    const tenMinutes = 10 * 60_000
    expectAnswer(await callIsvApi(t.url, 'issueBenefit', body, { time: formatProtocolTime(Date.now() - tenMinutes) }), 'PARAM_ILLEGAL', /away from our clock/)
    expectAnswer(await callIsvApi(t.url, 'issueBenefit', body, { time: formatProtocolTime(Date.now() + tenMinutes) }), 'PARAM_ILLEGAL', /away from our clock/)
    expectAnswer(await callIsvApi(t.url, 'issueBenefit', body, { time: 'yesterday' }), 'PARAM_ILLEGAL', /Request-Time/)
    // Epoch milliseconds within the window are accepted (protocol.md §1).
    expectAnswer(await callIsvApi(t.url, 'issueBenefit', body, { time: String(Date.now()) }), 'SUCCESS')
  })
})

test('PARAM_ILLEGAL names the bad field; a body that is JSON but not an object is PARAM_ILLEGAL too', async () => {
  await withConnector(async (t) => {
    const body = await issueBody(t)
    expectAnswer(await callIsvApi(t.url, 'issueBenefit', { ...body, quantity: 0 }), 'PARAM_ILLEGAL', /^quantity: must be at least 1$/)
    expectAnswer(await callIsvApi(t.url, 'issueBenefit', { ...body, quantity: '1' }), 'PARAM_ILLEGAL', /^quantity: /)
    expectAnswer(await callIsvApi(t.url, 'issueBenefit', { ...body, userId: 'u'.repeat(33) }), 'PARAM_ILLEGAL', /^userId: at most 32 characters$/)
    const { userId: _omitted, ...withoutUser } = body
    expectAnswer(await callIsvApi(t.url, 'issueBenefit', withoutUser), 'PARAM_ILLEGAL', /^userId: is required$/)
    expectAnswer(await callIsvApi(t.url, 'issueBenefit', { ...body, benefitTemplateId: 'a#b' }), 'PARAM_ILLEGAL', /benefitTemplateId: must not contain/)
    expectAnswer(await callIsvApi(t.url, 'issueBenefit', [body]), 'PARAM_ILLEGAL', /JSON object/)
    nothingIssued(t)
  })
})

test('INVALID_SIGNATURE for a wrong, missing or foreign signature and for a body changed after signing', async () => {
  await withConnector(async (t) => {
    const body = await issueBody(t)
    const raw = JSON.stringify(body)
    const keys = testKeys()
    // A real RSA signature, but by a key that is not the platform's (the ISV's own).
    const stranger = { keyVersion: '1', privateKey: loadPrivateKey(keys.isv.privateKeyBase64) }
    const foreign = signRequest({ path: ISSUE_PATH, clientId: TEST_CLIENT_ID, body: raw, key: stranger })
    expectAnswer(await callIsvApi(t.url, 'issueBenefit', body, { headers: { Signature: foreign.Signature } }), 'INVALID_SIGNATURE')
    expectAnswer(await callIsvApi(t.url, 'issueBenefit', body, { headers: { Signature: undefined } }), 'INVALID_SIGNATURE', /missing/)
    expectAnswer(await callIsvApi(t.url, 'issueBenefit', body, { headers: { Signature: 'algorithm=RSA256,keyVersion=1,signature=AAAA' } }), 'INVALID_SIGNATURE')
    expectAnswer(await callIsvApi(t.url, 'issueBenefit', body, { headers: { Signature: 'algorithm=RSA1,keyVersion=1,signature=AAAA' } }), 'INVALID_SIGNATURE', /not supported/)
    // Signed over one body, another sent: the signature covers the exact bytes.
    const signedForOther = signRequest({ path: ISSUE_PATH, clientId: TEST_CLIENT_ID, body: JSON.stringify({ ...body, quantity: 2 }), key: keys.platformSigning })
    expectAnswer(
      await callIsvApi(t.url, 'issueBenefit', body, { headers: { Signature: signedForOther.Signature, 'Request-Time': signedForOther['Request-Time'] } }),
      'INVALID_SIGNATURE',
    )
    // Same JSON, other bytes (a space): still not what was signed.
    const respaced = signRequest({ path: ISSUE_PATH, clientId: TEST_CLIENT_ID, body: raw, key: keys.platformSigning })
    expectAnswer(
      await callIsvApi(t.url, 'issueBenefit', body, { rawBody: `${raw} `, headers: { Signature: respaced.Signature, 'Request-Time': respaced['Request-Time'] } }),
      'INVALID_SIGNATURE',
    )
    nothingIssued(t)
  })
})

test('KEY_NOT_FOUND for a keyVersion the platform has no key under', async () => {
  await withConnector(async (t) => {
    const body = await issueBody(t)
    const key = { keyVersion: '2', privateKey: testKeys().platformSigning.privateKey }
    expectAnswer(await callIsvApi(t.url, 'issueBenefit', body, { key }), 'KEY_NOT_FOUND', /keyVersion 2/)
    nothingIssued(t)
  })
})

test('INVALID_CLIENT for another Client-Id; the answer is signed for that Client-Id', async () => {
  await withConnector(async (t) => {
    const body = await issueBody(t)
    const answer = await callIsvApi(t.url, 'issueBenefit', body, { clientId: 'SOMEONE_ELSE' })
    expectAnswer(answer, 'INVALID_CLIENT')
    assert.is(answer.headers['client-id'], 'SOMEONE_ELSE')
    nothingIssued(t)
  })
})

test('MEDIA_TYPE_NOT_ACCEPTABLE for a signed body that is not JSON', async () => {
  await withConnector(async (t) => {
    expectAnswer(await callIsvApi(t.url, 'issueBenefit', null, { rawBody: 'userId=1&quantity=2' }), 'MEDIA_TYPE_NOT_ACCEPTABLE', /not JSON/)
    expectAnswer(await callIsvApi(t.url, 'issueBenefit', null, { rawBody: '{"benefitIssueRequestId":' }), 'MEDIA_TYPE_NOT_ACCEPTABLE')
    nothingIssued(t)
  })
})

test('PARAM_ILLEGAL for a body over the limit, signed, before the signature is even checked', async () => {
  await withConnector(
    async (t) => {
      const body = { ...(await issueBody(t)), padding: 'x'.repeat(3000) }
      expectAnswer(await callIsvApi(t.url, 'issueBenefit', body), 'PARAM_ILLEGAL', /exceeds 2048 bytes/)
      nothingIssued(t)
      // The connection is still usable afterwards.
      expectAnswer(await callIsvApi(t.url, 'issueBenefit', { ...body, padding: undefined }), 'SUCCESS')
    },
    { bodyLimitBytes: 2048 },
  )
})

test('isvPathPrefix moves the four APIs (and the INVALID_API namespace) under the prefix', async () => {
  await withConnector(
    async (t) => {
      const body = await issueBody(t)
      expectAnswer(await callIsvApi(t.url, 'issueBenefit', body, { path: `/benefitkit${ISSUE_PATH}` }), 'SUCCESS')
      expectAnswer(await callIsvApi(t.url, null, {}, { path: '/benefitkit/isv/nothing' }), 'INVALID_API')
      const unprefixed = await callIsvApi(t.url, 'issueBenefit', { ...body, benefitIssueRequestId: issueId() })
      assert.is(unprefixed.status, 404, 'the unprefixed path is not ours any more')
    },
    { isvPathPrefix: '/benefitkit' },
  )
})

test('SYSTEM_ERROR (U) when the database fails mid-issue: no details to the caller, nothing changed, a retry succeeds', async () => {
  await withConnector(async (t) => {
    // A template with a per-user limit, so the rolled-back count is checked too.
    const body = await issueBody(t, { benefitBudget: { totalQuantity: 100, perUserLimit: 5 } })
    t.connector.context.sqlite.exec(`CREATE TRIGGER fail_instances BEFORE INSERT ON instances BEGIN SELECT RAISE(ABORT, 'injected disk failure'); END`)
    const failed = await callIsvApi(t.url, 'issueBenefit', body)
    expectAnswer(failed, 'SYSTEM_ERROR')
    assert.not.match(failed.raw, /injected|at .*\.ts|Error/)
    nothingIssued(t)
    assert.is(scalar(t, 'select count(*) from user_template_counts'), 0, 'no per-user count')

    t.connector.context.sqlite.exec('DROP TRIGGER fail_instances')
    const retried = await callIsvApi(t.url, 'issueBenefit', body)
    expectAnswer(retried, 'SUCCESS')
    assert.is(retried.json.benefitDetails.length, 1)
  })
})

test.run()
