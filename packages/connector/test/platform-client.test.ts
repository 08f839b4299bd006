import { createServer } from 'node:net'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { generateRsaKeyPair, loadPrivateKey, PublicKeyring, loadPublicKey } from '@benefitkit/shared/signing'
import { PlatformClient } from '../src/platform-client/client.js'
import { TEST_CLIENT_ID } from './support/connector.js'
import { testKeys } from './support/keys.js'
import { startPlatformStub, type PlatformStub } from './support/platform-stub.js'
import { syncBody, uid, usedBody } from './support/outbox-fixtures.js'

function clientFor(url: string, timeoutMs = 2_000, platformKeys = new PublicKeyring([['1', loadPublicKey(testKeys().platform.publicKeyBase64)]])) {
  return new PlatformClient({
    baseUrl: url,
    clientId: TEST_CLIENT_ID,
    signing: { keyVersion: '1', privateKey: loadPrivateKey(testKeys().isv.privateKeyBase64) },
    platformKeys,
    timeoutMs,
  })
}

async function withStub(fn: (stub: PlatformStub, client: PlatformClient) => Promise<void>, timeoutMs?: number): Promise<void> {
  const stub = await startPlatformStub()
  const client = clientFor(stub.url, timeoutMs)
  try {
    await fn(stub, client)
  } finally {
    client.close()
    await stub.close()
  }
}

test('a signed call is verified by the platform, answered signed, and classified S; the body arrives byte for byte', async () => {
  await withStub(async (stub, client) => {
    const id = uid('use')
    // Field order and spacing that JSON.stringify would never produce: the exact string must travel.
    const body = usedBody(id, 'tpl-1').replace('{', '{ ')
    const outcome = await client.send('syncUsedBenefit', body)
    assert.is(outcome.status, 'S')
    assert.is(outcome.code, 'SUCCESS')
    assert.is(outcome.httpStatus, 200)
    assert.ok(outcome.durationMs >= 0)
    assert.equal(stub.bodies(id), [body])
    assert.is(stub.calls[0]!.signatureValid, true)
  })
})

test('keep-alive: consecutive calls share one connection', async () => {
  await withStub(async (stub, client) => {
    for (let i = 0; i < 5; i++) assert.is((await client.send('syncUsedBenefit', usedBody(uid('use'), 'tpl-1'))).status, 'S')
    assert.is(stub.connections, 1)
  })
})

test('HTTP 500 and 503 are U with the status as code', async () => {
  await withStub(async (stub, client) => {
    stub.inject({ kind: 'http', status: 500 }, { times: 1 })
    const first = await client.send('syncUsedBenefit', usedBody(uid('use'), 'tpl-1'))
    assert.is(first.status, 'U')
    assert.is(first.code, 'HTTP_500')
    assert.is(first.retryable, true)
    assert.is(first.answer, undefined)
  })
})

test('an answer whose signature does not verify is U, never S', async () => {
  await withStub(async (stub, client) => {
    stub.inject({ kind: 'bad-signature' }, { times: 1 })
    const outcome = await client.send('syncUsedBenefit', usedBody(uid('use'), 'tpl-1'))
    assert.is(outcome.status, 'U')
    assert.is(outcome.code, 'UNSIGNED_ANSWER')
    assert.is(stub.calls[0]!.answer, 'SUCCESS+BAD-SIGNATURE')
  })
})

test('an unsigned answer is U', async () => {
  await withStub(async (stub, client) => {
    stub.inject({ kind: 'unsigned' }, { times: 1 })
    const outcome = await client.send('syncUsedBenefit', usedBody(uid('use'), 'tpl-1'))
    assert.is(outcome.status, 'U')
    assert.is(outcome.code, 'UNSIGNED_ANSWER')
  })
})

test('an answer signed with a key that is not the platform’s is U', async () => {
  const stranger = generateRsaKeyPair()
  const stub = await startPlatformStub({ signing: { keyVersion: '1', privateKey: loadPrivateKey(stranger.privateKeyBase64) }, isvKeyring: testKeys().isvKeyring })
  const client = clientFor(stub.url)
  try {
    const outcome = await client.send('syncUsedBenefit', usedBody(uid('use'), 'tpl-1'))
    assert.is(outcome.status, 'U')
    assert.is(outcome.code, 'UNSIGNED_ANSWER')
    // The platform did accept it: only our trust in the answer is missing.
    assert.is(stub.acceptedCount(), 1)
  } finally {
    client.close()
    await stub.close()
  }
})

test('no answer within the timeout is U TIMEOUT, and the call returns at the deadline', async () => {
  await withStub(
    async (stub, client) => {
      stub.inject({ kind: 'delay', ms: 2_000 }, { times: 1 })
      const started = performance.now()
      const outcome = await client.send('syncUsedBenefit', usedBody(uid('use'), 'tpl-1'))
      const took = performance.now() - started
      assert.is(outcome.status, 'U')
      assert.is(outcome.code, 'TIMEOUT')
      assert.ok(took >= 140 && took < 1_000, `took ${took} ms`)
    },
    150,
  )
})

test('a dropped connection is U CONNECTION_ERROR', async () => {
  await withStub(async (stub, client) => {
    stub.inject({ kind: 'drop' }, { times: 1 })
    const outcome = await client.send('syncUsedBenefit', usedBody(uid('use'), 'tpl-1'))
    assert.is(outcome.status, 'U')
    assert.is(outcome.code, 'CONNECTION_ERROR')
    // And the next call works on a fresh connection.
    assert.is((await client.send('syncUsedBenefit', usedBody(uid('use'), 'tpl-1'))).status, 'S')
  })
})

test('nothing listening is U CONNECTION_ERROR', async () => {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((r) => server.close(() => r()))
  const client = clientFor(`http://127.0.0.1:${port}`)
  try {
    const outcome = await client.send('syncUsedBenefit', usedBody(uid('use'), 'tpl-1'))
    assert.is(outcome.status, 'U')
    assert.is(outcome.code, 'CONNECTION_ERROR')
    assert.match(outcome.message, /ECONNREFUSED/)
  } finally {
    client.close()
  }
})

test('U codes are U and F codes are F, with the platform’s code and message', async () => {
  await withStub(async (stub, client) => {
    stub.inject({ kind: 'result', code: 'BIZ_ERROR_NEED_RETRY', message: 'busy' }, { times: 1 })
    stub.inject({ kind: 'result', code: 'REQUEST_TRAFFIC_EXCEED_LIMIT' }, { times: 1 })
    stub.inject({ kind: 'result', code: 'SOMETHING_NEW' }, { times: 1 })
    stub.inject({ kind: 'result', code: 'BIZ_ERROR_NO_RETRY', message: 'template not issuable' }, { times: 1 })
    const send = () => client.send('syncUsedBenefit', usedBody(uid('use'), 'tpl-1'))
    const [a, b, c, d] = [await send(), await send(), await send(), await send()]
    assert.equal([a.status, a.code, a.message], ['U', 'BIZ_ERROR_NEED_RETRY', 'busy'])
    assert.equal([b.status, b.code], ['U', 'REQUEST_TRAFFIC_EXCEED_LIMIT'])
    assert.equal([c.status, c.code], ['U', 'SOMETHING_NEW'])
    assert.equal([d.status, d.code, d.message, d.retryable], ['F', 'BIZ_ERROR_NO_RETRY', 'template not issuable', false])
  })
})

test('the platform refusing our signature is F INVALID_SIGNATURE (a key problem for an operator)', async () => {
  const stranger = generateRsaKeyPair()
  const stub = await startPlatformStub()
  const client = new PlatformClient({
    baseUrl: stub.url,
    clientId: TEST_CLIENT_ID,
    signing: { keyVersion: '1', privateKey: loadPrivateKey(stranger.privateKeyBase64) },
    platformKeys: new PublicKeyring([['1', loadPublicKey(testKeys().platform.publicKeyBase64)]]),
    timeoutMs: 2_000,
  })
  try {
    const outcome = await client.send('syncUsedBenefit', usedBody(uid('use'), 'tpl-1'))
    assert.equal([outcome.status, outcome.code], ['F', 'INVALID_SIGNATURE'])
    assert.is(stub.calls[0]!.signatureValid, false)
  } finally {
    client.close()
    await stub.close()
  }
})

test('the same id with the same body gets the same S; with another body REPEAT_REQ_INCONSISTENT (F)', async () => {
  await withStub(async (stub, client) => {
    const id = uid('use')
    const body = usedBody(id, 'tpl-1')
    assert.is((await client.send('syncUsedBenefit', body)).status, 'S')
    assert.is((await client.send('syncUsedBenefit', body)).status, 'S')
    const other = await client.send('syncUsedBenefit', usedBody(id, 'tpl-2'))
    assert.equal([other.status, other.code], ['F', 'REPEAT_REQ_INCONSISTENT'])
    assert.equal(stub.idsWithDifferingBodies(), [id])
  })
})

test('inquireBenefitSync reads PROCESSING, SUCCESS and FAIL; an unknown id is F SYNC_REQUEST_ID_NOT_EXIST', async () => {
  await withStub(async (stub, client) => {
    const syncId = uid('sync')
    const unknown = await client.inquireBenefitSync(syncId)
    assert.equal([unknown.outcome.status, unknown.outcome.code], ['F', 'SYNC_REQUEST_ID_NOT_EXIST'])
    assert.is(unknown.syncStatus, undefined)

    assert.is((await client.send('syncBenefit', syncBody(syncId, 'tpl-9'))).status, 'S')
    assert.is((await client.inquireBenefitSync(syncId)).syncStatus, 'PROCESSING')
    stub.setReview(syncId, { syncStatus: 'SUCCESS' })
    assert.is((await client.inquireBenefitSync(syncId)).syncStatus, 'SUCCESS')
    stub.setReview(syncId, { syncStatus: 'FAIL', syncFailCode: 'AUDIT_FAIL', syncFailReason: 'blurry logo' })
    const failed = await client.inquireBenefitSync(syncId)
    assert.equal([failed.syncStatus, failed.syncFailCode, failed.syncFailReason], ['FAIL', 'AUDIT_FAIL', 'blurry logo'])

    stub.inject({ kind: 'unsigned' }, { times: 1 })
    const unsigned = await client.inquireBenefitSync(syncId)
    assert.equal([unsigned.outcome.status, unsigned.syncStatus], ['U', undefined])
  })
})

test('a base URL with a gateway path prefix is kept on the request line and in the signature', () => {
  const client = clientFor('https://open.example.com/gateway/')
  assert.is(client.pathOf('syncBenefit'), '/gateway/v1/marketing/benefit/sync')
  client.close()
  const bare = clientFor('https://open.example.com')
  assert.is(bare.pathOf('syncUsedBenefit'), '/v1/marketing/benefit/used/sync')
  bare.close()
})

test.run()
