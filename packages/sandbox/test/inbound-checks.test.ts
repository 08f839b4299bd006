/**
 * The platform refuses what it cannot trust, with the right code, and signs
 * even its refusals (protocol.md §2–3).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { formatProtocolTime } from '@benefitkit/shared'
import { generateRsaKeyPair, loadPrivateKey, loadPublicKey, PublicKeyring, signRequest } from '@benefitkit/shared/signing'
import { createSandbox, SandboxConfigError } from '../src/index.js'
import { harness } from './support/harness.js'
import { CLIENT_ID, testKeys } from './support/keys.js'

const keys = testKeys()
const rotated = generateRsaKeyPair()
const inquiry = { benefitSyncRequestId: 'sync-unknown' }

function assertRefused(answer: { status: number; json: any; signed: boolean }, code: string, message?: RegExp): void {
  assert.is(answer.status, 200, 'a refusal is a protocol answer, HTTP 200')
  assert.is(answer.json?.result?.resultCode, code)
  assert.is(answer.json?.result?.resultStatus, 'F')
  if (message) assert.match(answer.json.result.resultMessage, message)
  assert.ok(answer.signed, 'the refusal is signed')
}

test('a request signed with the ISV key passes the checks (the baseline the refusals below differ from)', async () => {
  const h = await harness(keys)
  try {
    const answer = await h.call('inquireBenefitSync', inquiry)
    assert.is(answer.json.result.resultCode, 'SYNC_REQUEST_ID_NOT_EXIST')
    assert.ok(answer.signed)
    assert.is(answer.headers.get('client-id'), CLIENT_ID)
    assert.ok(answer.headers.get('response-time'))
  } finally {
    await h.close()
  }
})

test('a wrong signature is INVALID_SIGNATURE, and nothing is done', async () => {
  const h = await harness(keys)
  try {
    const answer = await h.call('syncBenefit', { benefitSyncRequestId: 's' }, { signBody: '{"other":"bytes"}' })
    assertRefused(answer, 'INVALID_SIGNATURE')
    assert.is(h.sandbox.state.syncs.length, 0)
  } finally {
    await h.close()
  }
})

test('a missing Signature header is INVALID_SIGNATURE', async () => {
  const h = await harness(keys)
  try {
    assertRefused(await h.call('inquireBenefitSync', inquiry, { signature: null }), 'INVALID_SIGNATURE', /missing/)
  } finally {
    await h.close()
  }
})

test('a request signed by another key under the known keyVersion is INVALID_SIGNATURE', async () => {
  const h = await harness(keys)
  try {
    const stranger = { keyVersion: '1', privateKey: loadPrivateKey(rotated.privateKeyBase64) }
    assertRefused(await h.call('inquireBenefitSync', inquiry, { key: stranger }), 'INVALID_SIGNATURE')
  } finally {
    await h.close()
  }
})

test('an unknown keyVersion is KEY_NOT_FOUND', async () => {
  const h = await harness(keys)
  try {
    const v9 = { keyVersion: '9', privateKey: keys.isvSigning.privateKey }
    assertRefused(await h.call('inquireBenefitSync', inquiry, { key: v9 }), 'KEY_NOT_FOUND', /keyVersion 9/)
  } finally {
    await h.close()
  }
})

test('during a rotation both key versions are accepted', async () => {
  const h = await harness(keys, { isvPublicKeys: { '1': keys.isv.publicKeyBase64, '2': rotated.publicKeyBase64 } })
  try {
    const v2 = { keyVersion: '2', privateKey: loadPrivateKey(rotated.privateKeyBase64) }
    const a = await h.call('inquireBenefitSync', inquiry, { key: v2 })
    const b = await h.call('inquireBenefitSync', inquiry)
    assert.is(a.json.result.resultCode, 'SYNC_REQUEST_ID_NOT_EXIST')
    assert.is(b.json.result.resultCode, 'SYNC_REQUEST_ID_NOT_EXIST')
  } finally {
    await h.close()
  }
})

test('a ready PublicKeyring is accepted as isvPublicKeys', async () => {
  const keyring = new PublicKeyring({ '1': loadPublicKey(keys.isv.publicKeyBase64) })
  const h = await harness(keys, { isvPublicKeys: keyring })
  try {
    const answer = await h.call('inquireBenefitSync', inquiry)
    assert.is(answer.json.result.resultCode, 'SYNC_REQUEST_ID_NOT_EXIST')
    assertRefused(await h.call('inquireBenefitSync', inquiry, { signBody: 'x' }), 'INVALID_SIGNATURE')
  } finally {
    await h.close()
  }
})

test('a stale Request-Time is PARAM_ILLEGAL (a captured request cannot be replayed later)', async () => {
  const h = await harness(keys, { maxSkewMs: 60_000 })
  try {
    const old = formatProtocolTime(Date.now() - 2 * 60_000)
    assertRefused(await h.call('inquireBenefitSync', inquiry, { time: old }), 'PARAM_ILLEGAL', /Request-Time/)
    const future = String(Date.now() + 2 * 60_000)
    assertRefused(await h.call('inquireBenefitSync', inquiry, { time: future }), 'PARAM_ILLEGAL', /Request-Time/)
    const fresh = String(Date.now())
    const ok = await h.call('inquireBenefitSync', inquiry, { time: fresh })
    assert.is(ok.json.result.resultCode, 'SYNC_REQUEST_ID_NOT_EXIST', 'epoch milliseconds are accepted')
  } finally {
    await h.close()
  }
})

test('a wrong Client-Id is INVALID_CLIENT, answered under the Client-Id the request carried', async () => {
  const h = await harness(keys)
  try {
    const answer = await h.call('inquireBenefitSync', inquiry, { clientId: 'someone-else' })
    assertRefused(answer, 'INVALID_CLIENT')
    assert.is(answer.headers.get('client-id'), 'someone-else')
  } finally {
    await h.close()
  }
})

test('a missing Client-Id is PARAM_ILLEGAL, still signed', async () => {
  const h = await harness(keys)
  try {
    const body = JSON.stringify(inquiry)
    const headers: Record<string, string> = signRequest({ path: '/v1/marketing/benefit/sync/query', clientId: CLIENT_ID, body, key: keys.isvSigning })
    delete headers['Client-Id']
    const response = await fetch(`${h.url}/v1/marketing/benefit/sync/query`, { method: 'POST', headers, body })
    const json = (await response.json()) as any
    assert.is(json.result.resultCode, 'PARAM_ILLEGAL')
    assert.match(response.headers.get('signature') ?? '', /^algorithm=RSA256,keyVersion=1,signature=/)
  } finally {
    await h.close()
  }
})

test('GET is METHOD_NOT_SUPPORTED, an unknown path INVALID_API, a non-JSON body MEDIA_TYPE_NOT_ACCEPTABLE', async () => {
  const h = await harness(keys)
  try {
    assertRefused(await h.call('inquireBenefitSync', '', { method: 'GET' }), 'METHOD_NOT_SUPPORTED')
    assertRefused(await h.call('/v1/marketing/benefit/nope', inquiry), 'INVALID_API')
    assertRefused(await h.call('inquireBenefitSync', 'benefitSyncRequestId=x'), 'MEDIA_TYPE_NOT_ACCEPTABLE')
    assertRefused(await h.call('inquireBenefitSync', inquiry, { contentType: 'text/plain' }), 'MEDIA_TYPE_NOT_ACCEPTABLE')
    const noContentType = await h.call('inquireBenefitSync', inquiry, { contentType: null })
    assert.is(noContentType.json.result.resultCode, 'SYNC_REQUEST_ID_NOT_EXIST', 'Content-Type is optional')
  } finally {
    await h.close()
  }
})

test('every inbound call is recorded with its outcome, refusals included', async () => {
  const h = await harness(keys)
  try {
    await h.call('inquireBenefitSync', inquiry, { signature: null })
    await h.call('inquireBenefitSync', inquiry)
    const calls = h.sandbox.calls({ direction: 'inbound' })
    assert.equal(calls.map((c) => [c.api, c.code, c.from, c.to, c.httpStatus]), [
      ['inquireBenefitSync', 'INVALID_SIGNATURE', 'isv', 'platform', 200],
      ['inquireBenefitSync', 'SYNC_REQUEST_ID_NOT_EXIST', 'isv', 'platform', 200],
    ])
    assert.is(calls[1]?.id, 'sync-unknown')
  } finally {
    await h.close()
  }
})

test('options are checked once, every problem listed', () => {
  try {
    createSandbox({
      clientId: '',
      platformPrivateKey: 'not a key',
      isvPublicKeys: { '1': keys.isv.privateKeyBase64 },
      port: 70000,
      isvBaseUrl: 'ftp://x',
    })
    assert.unreachable('bad options must throw')
  } catch (error) {
    assert.instance(error, SandboxConfigError)
    const problems = (error as SandboxConfigError).problems.join('\n')
    for (const field of ['clientId', 'platformPrivateKey', 'isvPublicKeys.1', 'port', 'isvBaseUrl']) assert.match(problems, field)
    assert.match(problems, /private key/, 'a private key where the public one belongs is named')
  }
})

test.run()
