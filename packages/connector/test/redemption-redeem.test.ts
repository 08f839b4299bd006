import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import SQLite from 'better-sqlite3'
import { SyncUsedBenefitRequest } from '@benefitkit/shared'
import { seedInstance, seedInstances } from './support/seed-instances.js'
import { sharedRedemptionEnv, type RedemptionEnv } from './support/redemption-env.js'
import { newKey } from './support/redemption-client.js'

const REDEEM = '/v1/redemptions'
const shared = sharedRedemptionEnv()
const test = suite('redemption: redeem')
test.after(() => shared.stop())

async function state(env: RedemptionEnv, id: string) {
  const instance = await env.db.selectFrom('instances').select(['state', 'used_at']).where('id', '=', id).executeTakeFirstOrThrow()
  const redemptions = await env.db.selectFrom('redemptions').selectAll().where('instance_id', '=', id).execute()
  const outbox = await env.db
    .selectFrom('outbox')
    .selectAll()
    .where('api', '=', 'syncUsedBenefit')
    .where('body', 'like', `%"benefitInstanceId":"${id}"%`)
    .execute()
  return { state: instance.state, usedAt: instance.used_at, redemptions, outbox }
}

async function assertUnchanged(env: RedemptionEnv, id: string) {
  const s = await state(env, id)
  assert.is(s.state, 'ACTIVATED')
  assert.is(s.usedAt, null)
  assert.is(s.redemptions.length, 0)
  assert.is(s.outbox.length, 0)
}

test('a redeem moves the instance to USED, records the redemption and enqueues syncUsedBenefit in one go', async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db, { userId: '2088000000000042' })
  const res = await env.post(REDEEM, {
    idempotencyKey: newKey(),
    body: { benefitCode: inst.code, userId: inst.userId, useScene: 'OFFLINE_STORE', usedAmount: { currency: 'HKD', value: '1000' }, orderId: 'order-1', storeId: 'store-9' },
  })
  assert.is(res.status, 200, res.text)
  assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/)
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
  const { redemption, instance } = res.json
  assert.match(redemption.redemptionId, /^rd_/)
  assert.equal(
    { ...redemption, redemptionId: 'x', redeemedAt: 'x' },
    {
      redemptionId: 'x',
      benefitInstanceId: inst.id,
      benefitTemplateId: inst.templateId,
      userId: inst.userId,
      useScene: 'OFFLINE_STORE',
      usedAmount: { currency: 'HKD', value: '1000' },
      orderId: 'order-1',
      storeId: 'store-9',
      redeemedAt: 'x',
    },
  )
  assert.ok(Math.abs(Date.parse(redemption.redeemedAt) - env.now()) < 5000)
  assert.is(instance.status, 'USED')
  assert.is(instance.benefitInstanceId, inst.id)
  assert.equal(instance.amount, { currency: 'HKD', value: '1000' })
  assert.is(instance.title, 'HKD 10 off')

  const s = await state(env, inst.id)
  assert.is(s.state, 'USED')
  assert.is(s.redemptions.length, 1)
  assert.is(s.redemptions[0]!.id, redemption.redemptionId)
  assert.is(s.redemptions[0]!.api_key_id, env.keyId)
  assert.is(s.outbox.length, 1)
  const row = s.outbox[0]!
  const body = SyncUsedBenefitRequest.parse(JSON.parse(row.body))
  assert.is(row.idempotency_id, body.benefitUseRequestId)
  assert.is(s.redemptions[0]!.use_request_id, body.benefitUseRequestId)
  assert.is(row.ordering_key, inst.templateId)
  assert.equal(
    { ...body, benefitUseRequestId: 'x', benefitUseDate: 'x' },
    {
      benefitUseRequestId: 'x',
      userId: inst.userId,
      clientCode: 'ALIPAY_HK',
      benefitInstanceId: inst.id,
      benefitTemplateId: inst.templateId,
      benefitUseDate: 'x',
      useScene: 'OFFLINE_STORE',
      usedAmount: { currency: 'HKD', value: '1000' },
      benefitCode: inst.code,
    },
  )
  assert.match(body.benefitUseDate, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/)
})

test('a redeem by benefitInstanceId works, useScene defaults to MINI_PROGRAM, and a URL benefit syncs its benefitUrl', async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db, { url: 'https://isv.example/b/TOKEN123', code: `TOKEN-${newKey()}` })
  const res = await env.post(REDEEM, { idempotencyKey: newKey(), body: { benefitInstanceId: inst.id } })
  assert.is(res.status, 200, res.text)
  assert.is(res.json.redemption.useScene, 'MINI_PROGRAM')
  assert.not.ok('usedAmount' in res.json.redemption)
  const s = await state(env, inst.id)
  const body = JSON.parse(s.outbox[0]!.body)
  assert.is(body.benefitUrl, 'https://isv.example/b/TOKEN123')
  assert.not.ok('benefitCode' in body)
})

test('a PIN benefit needs its PIN: missing or wrong → 422 PIN_MISMATCH, right → redeemed', async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db, { pin: '4711' })
  const missing = await env.post(REDEEM, { idempotencyKey: newKey(), body: { benefitCode: inst.code } })
  assert.is(missing.status, 422)
  assert.is(missing.json.error.code, 'PIN_MISMATCH')
  const wrong = await env.post(REDEEM, { idempotencyKey: newKey(), body: { benefitCode: inst.code, benefitPin: '4712' } })
  assert.is(wrong.status, 422)
  assert.is(wrong.json.error.code, 'PIN_MISMATCH')
  assert.is(wrong.json.error.requestId, wrong.headers.get('x-request-id'))
  await assertUnchanged(env, inst.id)
  const right = await env.post(REDEEM, { idempotencyKey: newKey(), body: { benefitCode: inst.code, benefitPin: '4711' } })
  assert.is(right.status, 200, right.text)
})

test('refusals: 404 unknown code, 409 used, 409 reversed, 422 expired, 422 not yet valid, 422 user mismatch', async () => {
  const env = await shared.get()
  const now = env.now()
  const [used, reversed, expired, early, someone] = await seedInstances(env.db, [
    { state: 'USED' },
    { state: 'REVERSED' },
    { activateAt: now - 10 * 86_400_000, expireAt: now - 1000 },
    { activateAt: now + 3600_000, expireAt: now + 86_400_000 },
    { userId: '2088000000000007' },
  ])
  const cases: Array<[string, Record<string, unknown>, number, string]> = [
    ['unknown', { benefitCode: 'NO-SUCH-CODE' }, 404, 'BENEFIT_NOT_FOUND'],
    ['unknown id', { benefitInstanceId: 'bi_nope' }, 404, 'BENEFIT_NOT_FOUND'],
    ['used', { benefitCode: used!.code }, 409, 'BENEFIT_ALREADY_USED'],
    ['reversed', { benefitCode: reversed!.code }, 409, 'BENEFIT_REVERSED'],
    ['expired', { benefitCode: expired!.code }, 422, 'BENEFIT_EXPIRED'],
    ['early', { benefitCode: early!.code }, 422, 'BENEFIT_NOT_YET_VALID'],
    ['other user', { benefitCode: someone!.code, userId: '2088000000000008' }, 422, 'USER_MISMATCH'],
  ]
  for (const [name, body, status, code] of cases) {
    const res = await env.post(REDEEM, { idempotencyKey: newKey(), body })
    assert.is(res.status, status, `${name}: ${res.text}`)
    assert.is(res.json.error.code, code, name)
    assert.type(res.json.error.message, 'string')
    assert.not.match(res.text, /at .*\.ts:\d+/, 'no stack trace')
  }
  for (const inst of [expired!, early!, someone!]) await assertUnchanged(env, inst.id)
  assert.is((await state(env, used!.id)).outbox.length, 0)
})

test('validity follows the connector clock: a benefit expires while the clock moves past expireTime', async () => {
  const env = await shared.get()
  const now = env.now()
  const inst = await seedInstance(env.db, { expireAt: now + 60_000 })
  const before = await env.post('/v1/benefits/lookup', { body: { benefitCode: inst.code } })
  assert.is(before.json.redeemable, true)
  env.clock.offset += 120_000
  try {
    const res = await env.post(REDEEM, { idempotencyKey: newKey(), body: { benefitCode: inst.code } })
    assert.is(res.status, 422)
    assert.is(res.json.error.code, 'BENEFIT_EXPIRED')
  } finally {
    env.clock.offset -= 120_000
  }
})

test('bad input → 400 INVALID_REQUEST naming the field, and nothing changes', async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db)
  const cases: Array<[string, unknown, RegExp, string?]> = [
    ['neither code nor id', {}, /benefitCode/],
    ['both code and id', { benefitCode: inst.code, benefitInstanceId: inst.id }, /benefitCode/],
    ['bad useScene', { benefitCode: inst.code, useScene: 'MOON' }, /useScene/],
    ['bad amount', { benefitCode: inst.code, usedAmount: { currency: 'HKD', value: '10.00' } }, /usedAmount\.value/],
    ['long orderId', { benefitCode: inst.code, orderId: 'x'.repeat(65) }, /orderId/],
    ['unknown field', { benefitCode: inst.code, discount: 5 }, /discount/],
    ['not JSON', '{"benefitCode":', /JSON/],
    ['an array', '[]', /object/],
    ['no Idempotency-Key', { benefitCode: inst.code }, /Idempotency-Key/, ''],
    ['short Idempotency-Key', { benefitCode: inst.code }, /Idempotency-Key/, 'short'],
    ['bad Idempotency-Key', { benefitCode: inst.code }, /Idempotency-Key/, 'has spaces in it'],
  ]
  for (const [name, body, field, key] of cases) {
    const res = await env.post(REDEEM, { idempotencyKey: key ?? newKey(), body })
    assert.is(res.status, 400, `${name}: ${res.text}`)
    assert.is(res.json.error.code, 'INVALID_REQUEST', name)
    assert.match(res.json.error.message, field, name)
  }
  await assertUnchanged(env, inst.id)
})

test('a body over bodyLimitBytes → 400 INVALID_REQUEST that says so', async () => {
  const env = await shared.get()
  const res = await env.post(REDEEM, {
    idempotencyKey: newKey(),
    body: JSON.stringify({ benefitCode: 'x', orderId: 'y'.repeat(env.connector.context.config.bodyLimitBytes) }),
  })
  assert.is(res.status, 400)
  assert.is(res.json.error.code, 'INVALID_REQUEST')
  assert.match(res.json.error.message, /exceeds \d+ bytes/)
})

test('100 concurrent redeems of one code: exactly 1 success, 99 BENEFIT_ALREADY_USED, one redemption, one syncUsedBenefit', async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db)
  const answers = await Promise.all(
    Array.from({ length: 100 }, () => env.post(REDEEM, { idempotencyKey: newKey(), body: { benefitCode: inst.code } })),
  )
  const ok = answers.filter((a) => a.status === 200)
  const used = answers.filter((a) => a.status === 409 && a.json.error.code === 'BENEFIT_ALREADY_USED')
  assert.is(ok.length, 1)
  assert.is(used.length, 99)
  const s = await state(env, inst.id)
  assert.is(s.state, 'USED')
  assert.is(s.redemptions.length, 1)
  assert.is(s.outbox.length, 1)
  assert.is(s.redemptions[0]!.id, ok[0]!.json.redemption.redemptionId)
})

test('a stored syncUsedBenefit body the protocol refuses fails the redeem with 500 INTERNAL, logs the cause and changes nothing', async () => {
  const env = await shared.get()
  // A user id longer than the protocol's 32 characters cannot be synced.
  const inst = await seedInstance(env.db, { userId: 'u'.repeat(40) })
  const res = await env.post(REDEEM, { idempotencyKey: newKey(), body: { benefitCode: inst.code } })
  assert.is(res.status, 500)
  assert.is(res.json.error.code, 'INTERNAL')
  assert.not.match(res.text, /userId|stack|\.ts/)
  await assertUnchanged(env, inst.id)
  const logged = env.logs.find((l) => l.requestId === res.json.error.requestId && l.level === 50)
  assert.ok(logged, 'the cause is logged with the request id')
  assert.match(JSON.stringify(logged), /userId: at most 32 characters/)
})

test('a database locked by another process → 503 UNAVAILABLE with Retry-After; the retry with the same key succeeds', async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db)
  const sqlite = env.connector.context.sqlite
  const busyTimeout = sqlite.pragma('busy_timeout', { simple: true }) as number
  // Another process (say a CLI command) holds the write lock; wait 50 ms for it, not 5 s.
  sqlite.pragma('busy_timeout = 50')
  const other = new SQLite(env.connector.context.config.db)
  const key = newKey()
  try {
    other.exec('BEGIN IMMEDIATE')
    const res = await env.post(REDEEM, { idempotencyKey: key, body: { benefitCode: inst.code } })
    assert.is(res.status, 503, res.text)
    assert.is(res.json.error.code, 'UNAVAILABLE')
    assert.is(res.headers.get('retry-after'), '1')
    other.exec('ROLLBACK')
    await assertUnchanged(env, inst.id)
    const retry = await env.post(REDEEM, { idempotencyKey: key, body: { benefitCode: inst.code } })
    assert.is(retry.status, 200, retry.text)
  } finally {
    if (other.inTransaction) other.exec('ROLLBACK')
    other.close()
    sqlite.pragma(`busy_timeout = ${busyTimeout}`)
  }
})

test('an unknown path under /v1 is not answered by the redemption API', async () => {
  const env = await shared.get()
  const res = await env.post('/v1/nothing-here', { body: {} })
  assert.is(res.status, 404)
})

test.run()
