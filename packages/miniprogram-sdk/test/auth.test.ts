/** The three `auth` modes: API key (HMAC), static user token, and `getToken` with refresh on 401. */
import { createHash, createHmac } from 'node:crypto'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createAuthorizer } from '../src/auth.js'
import { createRedemptionClient, type Auth } from '../src/index.js'
import { FakeRedemptionApi, makeApiKey, memoryTransport } from './fake-api.js'
import { rejection } from './helpers.js'

const BASE_URL = 'https://connector.example.com'

function tokenClient(api: FakeRedemptionApi, auth: Auth) {
  return createRedemptionClient({ baseUrl: BASE_URL, auth, transport: memoryTransport(api), retry: { baseDelayMs: 1, maxDelayMs: 5 } })
}

test('the HMAC header is exactly the contract: key id, ts, nonce, base64url HMAC-SHA256 keyed by SHA-256(secret)', async () => {
  const secret = makeApiKey('abc123')
  const authorizer = createAuthorizer({ apiKey: secret }, { now: () => 1_764_000_000_000 })
  const body = '{"benefitCode":"CODE-1","storeId":"店-1"}'
  const { header } = await authorizer.authorize('POST', '/v1/redemptions', body)

  const m = /^BK-HMAC-SHA256 key=abc123,ts=1764000000000,nonce=([A-Za-z0-9_-]{16,64}),sig=([A-Za-z0-9_-]+)$/.exec(header)
  assert.ok(m, header)
  const key = createHash('sha256').update(secret, 'utf8').digest()
  const expected = createHmac('sha256', key)
    .update(`POST\n/v1/redemptions\n1764000000000\n${m[1]}\n${body}`, 'utf8')
    .digest('base64url')
  assert.is(m[2], expected)
})

test('each signature gets a fresh nonce', async () => {
  const authorizer = createAuthorizer({ apiKey: makeApiKey() }, { now: Date.now })
  const nonces = new Set<string>()
  for (let i = 0; i < 20; i++) {
    const { header } = await authorizer.authorize('POST', '/v1/redemptions', '{}')
    nonces.add(/nonce=([^,]+)/.exec(header)![1]!)
  }
  assert.is(nonces.size, 20)
})

test('a malformed apiKey is refused without echoing it', () => {
  const secretLooking = 'sk_live_should_not_be_printed'
  try {
    createAuthorizer({ apiKey: secretLooking }, { now: Date.now })
    assert.unreachable('should throw')
  } catch (error) {
    assert.instance(error, TypeError)
    assert.not.match((error as Error).message, secretLooking)
    assert.match((error as Error).message, 'bk_<keyId>_<secret>')
  }
})

test('API-key auth without WebCrypto points to user tokens instead', () => {
  assert.throws(() => createAuthorizer({ apiKey: makeApiKey() }, { now: Date.now, crypto: {} }), /user token/)
})

test('a static token is sent as Bearer, and a 401 is final', async () => {
  const api = new FakeRedemptionApi()
  api.addToken('bkt_static', '2088000000000001')
  const ok = await tokenClient(api, { token: 'bkt_static' }).lookup({ benefitCode: 'CODE-1' })
  assert.is(ok.redeemable, true)
  assert.is(api.seen[0]!.headers['authorization'], 'Bearer bkt_static')

  const error = await rejection(tokenClient(api, { token: 'bkt_expired' }).lookup({ benefitCode: 'CODE-1' }))
  assert.is(error.code, 'UNAUTHENTICATED')
  assert.is(error.status, 401)
  assert.is(api.seen.length, 2)
})

test('getToken is called lazily and its token is cached across calls', async () => {
  const api = new FakeRedemptionApi()
  api.addToken('bkt_1', '2088000000000001')
  let calls = 0
  const client = tokenClient(api, { getToken: () => (calls++, 'bkt_1') })
  assert.is(calls, 0)
  await client.lookup({ benefitCode: 'CODE-1' })
  await client.redeem({ benefitCode: 'CODE-1' })
  assert.is(calls, 1)
  assert.ok(api.seen.every((r) => r.headers['authorization'] === 'Bearer bkt_1'))
})

test('on 401 getToken is asked once more and the call is retried with the same Idempotency-Key', async () => {
  const api = new FakeRedemptionApi()
  api.addToken('bkt_fresh', '2088000000000001')
  const handed = ['bkt_expired', 'bkt_fresh']
  let calls = 0
  const client = tokenClient(api, { getToken: async () => handed[calls++]! })
  const result = await client.redeem({ benefitCode: 'CODE-1' })
  assert.is(result.redemption.redemptionId, 'rd_1')
  assert.is(calls, 2)
  assert.equal(
    api.seen.map((r) => r.headers['authorization']),
    ['Bearer bkt_expired', 'Bearer bkt_fresh'],
  )
  assert.is(new Set(api.idempotencyKeys).size, 1)
})

test('a second 401 after the refresh is final: UNAUTHENTICATED, getToken called exactly twice', async () => {
  const api = new FakeRedemptionApi()
  let calls = 0
  const client = tokenClient(api, { getToken: () => `bkt_never_valid_${calls++}` })
  const error = await rejection(client.redeem({ benefitCode: 'CODE-1' }))
  assert.is(error.code, 'UNAUTHENTICATED')
  assert.is(calls, 2)
  assert.is(api.seen.length, 2)
})

test('concurrent 401s share one refresh', async () => {
  const api = new FakeRedemptionApi()
  api.addToken('bkt_fresh', '2088000000000001')
  let calls = 0
  const client = tokenClient(api, {
    getToken: async () => {
      calls++
      await new Promise((resolve) => setTimeout(resolve, 5))
      return calls === 1 ? 'bkt_expired' : 'bkt_fresh'
    },
  })
  const results = await Promise.all([client.lookup({ benefitCode: 'CODE-1' }), client.lookup({ benefitCode: 'CODE-PIN' })])
  assert.is(results.length, 2)
  assert.is(calls, 2)
})

test('a failing getToken rejects with TOKEN_UNAVAILABLE and is asked again next time', async () => {
  const api = new FakeRedemptionApi()
  api.addToken('bkt_1', '2088000000000001')
  const boom = new Error('your server is down')
  let calls = 0
  const client = tokenClient(api, {
    getToken: () => {
      calls++
      if (calls === 1) throw boom
      return 'bkt_1'
    },
  })
  const error = await rejection(client.lookup({ benefitCode: 'CODE-1' }))
  assert.is(error.code, 'TOKEN_UNAVAILABLE')
  assert.is(error.cause, boom)
  assert.is(error.retryable, false)
  assert.is(api.seen.length, 0)
  const ok = await client.lookup({ benefitCode: 'CODE-1' })
  assert.is(ok.redeemable, true)
  assert.is(calls, 2)
})

test('getToken returning a non-string is TOKEN_UNAVAILABLE', async () => {
  const api = new FakeRedemptionApi()
  const error = await rejection(tokenClient(api, { getToken: () => undefined as unknown as string }).lookup({ benefitCode: 'CODE-1' }))
  assert.is(error.code, 'TOKEN_UNAVAILABLE')
})

test('createUserToken refuses token auth: only a server with an API key may mint tokens', async () => {
  const api = new FakeRedemptionApi()
  const error = await rejection(tokenClient(api, { token: 'bkt_x' }).createUserToken({ userId: '2088000000000001' }))
  assert.is(error.code, 'INVALID_REQUEST')
  assert.is(api.seen.length, 0)
})

test('an auth option of the wrong shape is a TypeError at creation', () => {
  assert.throws(() => tokenClient(new FakeRedemptionApi(), {} as Auth), /auth must be/)
  assert.throws(() => tokenClient(new FakeRedemptionApi(), { token: '' }), /auth must be/)
})

test.run()
