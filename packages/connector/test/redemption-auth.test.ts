import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createApiKey, listApiKeys, revokeApiKey } from '@benefitkit/connector'
import { seedInstance } from './support/seed-instances.js'
import { sharedRedemptionEnv, startRedemptionEnv } from './support/redemption-env.js'
import { hmacAuthorization, newKey } from './support/redemption-client.js'

const REDEEM = '/v1/redemptions'
const LOOKUP = '/v1/benefits/lookup'
const TOKENS = '/v1/user-tokens'
const shared = sharedRedemptionEnv()
const test = suite('redemption: authentication')
test.after(() => shared.stop())

function assertUnauthenticated(res: { status: number; json: any; text: string }, message: RegExp) {
  assert.is(res.status, 401, res.text)
  assert.is(res.json.error.code, 'UNAUTHENTICATED')
  assert.match(res.json.error.message, message)
}

test('no Authorization, another scheme, or a malformed signature header → 401 saying what is wrong', async () => {
  const env = await shared.get()
  const body = { benefitCode: 'X' }
  assertUnauthenticated(await env.post(LOOKUP, { authorization: '', body }), /Authorization header is missing/)
  assertUnauthenticated(await env.post(LOOKUP, { authorization: 'Basic dXNlcjpwYXNz', body }), /unsupported Authorization scheme/)
  assertUnauthenticated(await env.post(LOOKUP, { authorization: 'BK-HMAC-SHA256 key=abc,ts=1', body }), /nonce/)
  assertUnauthenticated(
    await env.post(LOOKUP, { authorization: `BK-HMAC-SHA256 key=abc,ts=${env.now()},nonce=${'n'.repeat(20)},sig=short`, body }),
    /sig=/,
  )
})

test('an unknown key or a wrong signature → 401', async () => {
  const env = await shared.get()
  const body = JSON.stringify({ benefitCode: 'X' })
  const fake = `bk_NoSuchKey123_${'A'.repeat(43)}`
  assertUnauthenticated(await env.post(LOOKUP, { secret: fake, body }), /unknown/)
  const wrongSecret = env.secret.slice(0, -4) + 'AAAA'
  assertUnauthenticated(await env.post(LOOKUP, { secret: wrongSecret, body }), /signature does not match/)
  // A signature over another body (or path) does not verify.
  const signedOther = hmacAuthorization(env.secret, { path: LOOKUP, body: JSON.stringify({ benefitCode: 'Y' }), ts: env.now() })
  assertUnauthenticated(await env.post(LOOKUP, { authorization: signedOther, body }), /signature does not match/)
  const signedPath = hmacAuthorization(env.secret, { path: REDEEM, body, ts: env.now() })
  assertUnauthenticated(await env.post(LOOKUP, { authorization: signedPath, body }), /signature does not match/)
})

test('a ts more than 5 minutes from the connector clock → 401 naming ts (past and future)', async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db)
  const body = { benefitCode: inst.code }
  assertUnauthenticated(await env.post(LOOKUP, { body, ts: env.now() - 5 * 60_000 - 5_000 }), /^ts is \d+ s away/)
  assertUnauthenticated(await env.post(LOOKUP, { body, ts: env.now() + 5 * 60_000 + 5_000 }), /^ts is \d+ s away/)
  const inside = await env.post(LOOKUP, { body, ts: env.now() - 4 * 60_000 })
  assert.is(inside.status, 200, inside.text)
})

test('a replayed signed request (same nonce) → 401, for lookups, token requests and redeems', async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db)
  const lookupBody = JSON.stringify({ benefitCode: inst.code })
  const lookupAuth = hmacAuthorization(env.secret, { path: LOOKUP, body: lookupBody, ts: env.now() })
  assert.is((await env.post(LOOKUP, { authorization: lookupAuth, body: lookupBody })).status, 200)
  assertUnauthenticated(await env.post(LOOKUP, { authorization: lookupAuth, body: lookupBody }), /nonce .*replay/)

  const tokenBody = JSON.stringify({ userId: inst.userId })
  const tokenAuth = hmacAuthorization(env.secret, { path: TOKENS, body: tokenBody, ts: env.now() })
  assert.is((await env.post(TOKENS, { authorization: tokenAuth, body: tokenBody })).status, 200)
  assertUnauthenticated(await env.post(TOKENS, { authorization: tokenAuth, body: tokenBody }), /replay/)

  // A captured redeem replayed with its Idempotency-Key is refused, not answered with the stored answer.
  const key = newKey()
  const redeemBody = JSON.stringify({ benefitCode: inst.code })
  const redeemAuth = hmacAuthorization(env.secret, { path: REDEEM, body: redeemBody, ts: env.now() })
  assert.is((await env.post(REDEEM, { authorization: redeemAuth, idempotencyKey: key, body: redeemBody })).status, 200)
  const replay = await env.post(REDEEM, { authorization: redeemAuth, idempotencyKey: key, body: redeemBody })
  assertUnauthenticated(replay, /replay/)
  assert.not.match(replay.text, /redemptionId/)
})

test('a signed request refused as invalid (400) still burns its nonce: its replay → 401', async () => {
  const env = await shared.get()
  for (const [path, key] of [[LOOKUP, undefined], [REDEEM, newKey()], [REDEEM, 'bad key']] as const) {
    const body = JSON.stringify({ benefitCode: 'X', extra: true })
    const auth = hmacAuthorization(env.secret, { path, body, ts: env.now() })
    const first = await env.post(path, { authorization: auth, idempotencyKey: key, body })
    assert.is(first.status, 400, first.text)
    assertUnauthenticated(await env.post(path, { authorization: auth, idempotencyKey: key, body }), /replay/)
  }
})

test('a revoked key is refused within a second, and so are the user tokens it issued', async () => {
  const env = await shared.get()
  const key = await createApiKey(env.db, { name: 'to-revoke', now: env.now() })
  const inst = await seedInstance(env.db)
  const body = { benefitCode: inst.code }
  assert.is((await env.post(LOOKUP, { secret: key.secret, body })).status, 200)
  const token = (await env.post(TOKENS, { secret: key.secret, body: { userId: inst.userId } })).json.token as string
  assert.is((await env.post(LOOKUP, { token, body })).status, 200)
  assert.is((await revokeApiKey(env.db, key.id, env.now())).status, 'revoked')
  env.clock.offset += 1001
  try {
    assertUnauthenticated(await env.post(LOOKUP, { secret: key.secret, body }), /revoked/)
    assertUnauthenticated(await env.post(LOOKUP, { token, body }), /revoked/)
    assertUnauthenticated(await env.post(REDEEM, { secret: key.secret, idempotencyKey: newKey(), body }), /revoked/)
  } finally {
    env.clock.offset -= 1001
  }
  // The other key still works.
  assert.is((await env.post(LOOKUP, { body })).status, 200)
})

test('a used key gets last_used_at (written in the background, at most once a minute)', async () => {
  const env = await shared.get()
  const key = await createApiKey(env.db, { name: 'fresh', now: env.now() })
  const lastUsed = async () => (await listApiKeys(env.db)).find((k) => k.id === key.id)!.lastUsedAt
  assert.is(await lastUsed(), null)
  await env.post(LOOKUP, { secret: key.secret, body: { benefitCode: 'NONE' } })
  let seen: number | null = null
  for (let i = 0; i < 50 && seen === null; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
    seen = await lastUsed()
  }
  assert.type(seen, 'number')
  assert.ok(Math.abs(seen! - env.now()) < 5000)
})

test('POST /v1/user-tokens: a token for one user, 900 s by default, ttlSeconds 60..3600', async () => {
  const env = await shared.get()
  const before = env.now()
  const res = await env.post(TOKENS, { body: { userId: '2088000000000099' } })
  assert.is(res.status, 200, res.text)
  assert.match(res.json.token, /^bkt_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/)
  assert.is(res.json.userId, '2088000000000099')
  const expiresAt = Date.parse(res.json.expiresAt)
  assert.ok(expiresAt >= before + 900_000 && expiresAt <= env.now() + 900_000)
  assert.match(res.json.expiresAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
  const short = await env.post(TOKENS, { body: { userId: 'u1', ttlSeconds: 60 } })
  assert.ok(Date.parse(short.json.expiresAt) <= env.now() + 60_000)
  for (const bad of [{ userId: 'u1', ttlSeconds: 59 }, { userId: 'u1', ttlSeconds: 3601 }, {}, { userId: 'x'.repeat(33) }]) {
    const refused = await env.post(TOKENS, { body: bad })
    assert.is(refused.status, 400, JSON.stringify(bad))
    assert.is(refused.json.error.code, 'INVALID_REQUEST')
    assert.match(refused.json.error.message, /ttlSeconds|userId/)
  }
})

test('a user token cannot ask for tokens (403), and a forged or altered token → 401', async () => {
  const env = await shared.get()
  const token = (await env.post(TOKENS, { body: { userId: 'u1' } })).json.token as string
  const minted = await env.post(TOKENS, { token, body: { userId: 'u2' } })
  assert.is(minted.status, 403)
  assert.is(minted.json.error.code, 'FORBIDDEN')
  const [payload, mac] = token.slice(4).split('.') as [string, string]
  const otherUser = Buffer.from(Buffer.from(payload, 'base64url').toString().replace('.u1', '.u2')).toString('base64url')
  assertUnauthenticated(await env.post(LOOKUP, { token: `bkt_${otherUser}.${mac}`, body: { benefitCode: 'X' } }), /invalid/)
  assertUnauthenticated(await env.post(LOOKUP, { token: 'bkt_garbage', body: { benefitCode: 'X' } }), /user token|invalid/)
  assertUnauthenticated(await env.post(LOOKUP, { token: 'not-a-token', body: { benefitCode: 'X' } }), /user token/)
})

test('an expired user token → 401 whose message says expired', async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db)
  const token = (await env.post(TOKENS, { body: { userId: inst.userId, ttlSeconds: 60 } })).json.token as string
  assert.is((await env.post(LOOKUP, { token, body: { benefitCode: inst.code } })).status, 200)
  env.clock.offset += 61_000
  try {
    const res = await env.post(LOOKUP, { token, body: { benefitCode: inst.code } })
    assertUnauthenticated(res, /expired/)
    const redeem = await env.post(REDEEM, { token, idempotencyKey: newKey(), body: { benefitCode: inst.code } })
    assertUnauthenticated(redeem, /expired/)
  } finally {
    env.clock.offset -= 61_000
  }
})

test("a token for user A can redeem A's benefit but neither look up nor redeem B's (403 FORBIDDEN)", async () => {
  const env = await shared.get()
  const a = await seedInstance(env.db, { userId: 'userA' })
  const b = await seedInstance(env.db, { userId: 'userB' })
  const token = (await env.post(TOKENS, { body: { userId: 'userA' } })).json.token as string
  const lookupB = await env.post(LOOKUP, { token, body: { benefitCode: b.code } })
  assert.is(lookupB.status, 403)
  assert.is(lookupB.json.error.code, 'FORBIDDEN')
  assert.not.match(lookupB.text, /userB|benefitInstanceId/)
  const redeemB = await env.post(REDEEM, { token, idempotencyKey: newKey(), body: { benefitCode: b.code } })
  assert.is(redeemB.status, 403)
  assert.is(redeemB.json.error.code, 'FORBIDDEN')
  const byId = await env.post(REDEEM, { token, idempotencyKey: newKey(), body: { benefitInstanceId: b.id } })
  assert.is(byId.status, 403)
  const claimB = await env.post(REDEEM, { token, idempotencyKey: newKey(), body: { benefitCode: a.code, userId: 'userB' } })
  assert.is(claimB.status, 403)
  assert.match(claimB.json.error.message, /userId/)
  const stateB = await env.db.selectFrom('instances').select('state').where('id', '=', b.id).executeTakeFirstOrThrow()
  assert.is(stateB.state, 'ACTIVATED')

  const lookupA = await env.post(LOOKUP, { token, body: { benefitCode: a.code } })
  assert.is(lookupA.status, 200)
  const redeemA = await env.post(REDEEM, { token, idempotencyKey: newKey(), body: { benefitCode: a.code } })
  assert.is(redeemA.status, 200, redeemA.text)
  const row = await env.db.selectFrom('redemptions').select('api_key_id').where('instance_id', '=', a.id).executeTakeFirstOrThrow()
  assert.is(row.api_key_id, env.keyId, 'a token redeems on behalf of the key that issued it')
})

test('user tokens survive a restart: the signing secret is kept in settings', async () => {
  const first = await startRedemptionEnv()
  let token: string
  try {
    token = (await first.post(TOKENS, { body: { userId: 'u1' } })).json.token as string
    const secret = await first.db.selectFrom('settings').select('value').where('key', '=', 'redemption.user_token_secret').executeTakeFirstOrThrow()
    assert.ok(secret.value.length >= 43)
  } finally {
    await first.connector.stop()
  }
  const { Connector, createLogger } = await import('@benefitkit/connector')
  const again = await Connector.create(first.connector.context.config, { logger: createLogger('silent') })
  try {
    await again.start()
    const res = await fetch(`${again.url}${LOOKUP}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ benefitCode: 'NONE' }),
    })
    assert.is(res.status, 404, 'authenticated, then the code is unknown')
  } finally {
    await again.stop()
    await first.stop().catch(() => undefined)
  }
})

test('per-key rate limit: over the burst → 429 RATE_LIMITED with Retry-After; tokens count against their key', async () => {
  const env = await startRedemptionEnv({ rateLimitPerSecond: 2 })
  try {
    // A stopped clock: the bucket does not refill while the test runs.
    env.clock.frozen = env.now()
    const token = (await env.post(TOKENS, { body: { userId: 'u1' } })).json.token as string
    const answers = []
    for (let i = 0; i < 6; i++) answers.push(await env.post(LOOKUP, { token, body: { benefitCode: 'NONE' } }))
    // Burst 2 × 2/s = 4: the token request and three lookups pass, then 429.
    assert.equal(answers.map((a) => a.status), [404, 404, 404, 429, 429, 429])
    const limited = answers.filter((a) => a.status === 429)
    const first = limited[0]!
    assert.is(first.json.error.code, 'RATE_LIMITED')
    const retryAfter = Number(first.headers.get('retry-after'))
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After: ${first.headers.get('retry-after')}`)
    const signed = await env.post(LOOKUP, { body: { benefitCode: 'NONE' } })
    assert.is(signed.status, 429, 'the key itself is limited too')
    // Another key has its own bucket.
    const other = await createApiKey(env.db, { name: 'other', now: env.now() })
    assert.is((await env.post(LOOKUP, { secret: other.secret, body: { benefitCode: 'NONE' } })).status, 404)
    // Time refills the bucket.
    env.clock.frozen! += 1000
    assert.is((await env.post(LOOKUP, { token, body: { benefitCode: 'NONE' } })).status, 404)
  } finally {
    await env.stop()
  }
})

test.run()
