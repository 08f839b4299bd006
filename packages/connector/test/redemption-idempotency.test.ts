import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createApiKey } from '@benefitkit/connector'
import { IDEMPOTENCY_RETENTION_MS, purgeExpiredIdempotencyKeys } from '../src/redemption/idempotency.js'
import { purgeExpiredNonces } from '../src/redemption/auth/nonces.js'
import { seedInstance } from './support/seed-instances.js'
import { sharedRedemptionEnv, type RedemptionEnv } from './support/redemption-env.js'
import { newKey } from './support/redemption-client.js'

const REDEEM = '/v1/redemptions'
const shared = sharedRedemptionEnv()
const test = suite('redemption: Idempotency-Key')
test.after(() => shared.stop())

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function redemptionsOf(env: RedemptionEnv, instanceId: string): Promise<number> {
  const rows = await env.db.selectFrom('redemptions').select('id').where('instance_id', '=', instanceId).execute()
  return rows.length
}

test('the same key and body replay the first answer byte for byte, with Idempotent-Replayed: true', async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db)
  const key = newKey()
  const body = JSON.stringify({ benefitCode: inst.code, orderId: 'o-1' })
  const first = await env.post(REDEEM, { idempotencyKey: key, body })
  assert.is(first.status, 200, first.text)
  assert.is(first.headers.get('idempotent-replayed'), null)
  const again = await env.post(REDEEM, { idempotencyKey: key, body })
  assert.is(again.status, 200)
  assert.is(again.text, first.text)
  assert.is(again.headers.get('idempotent-replayed'), 'true')
  assert.is.not(again.headers.get('x-request-id'), first.headers.get('x-request-id'))
  assert.is(await redemptionsOf(env, inst.id), 1)
  const stored = await env.db.selectFrom('idempotency_keys').selectAll().where('key', '=', key).executeTakeFirstOrThrow()
  assert.is(stored.scope, env.keyId)
  assert.ok(stored.expires_at - stored.created_at >= 72 * 3600_000, 'kept at least 72 h')
})

test('a business refusal is stored and replayed; a 400 is not, so the same key works once the body is fixed', async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db, { pin: '1234' })
  const key = newKey()
  const wrongPin = JSON.stringify({ benefitCode: inst.code, benefitPin: '0000' })
  const refused = await env.post(REDEEM, { idempotencyKey: key, body: wrongPin })
  assert.is(refused.status, 422)
  assert.is(refused.json.error.code, 'PIN_MISMATCH')
  const replay = await env.post(REDEEM, { idempotencyKey: key, body: wrongPin })
  assert.is(replay.status, 422)
  assert.is(replay.text, refused.text)
  assert.is(replay.headers.get('idempotent-replayed'), 'true')

  const other = newKey()
  const invalid = await env.post(REDEEM, { idempotencyKey: other, body: { benefitCode: inst.code, useScene: 'NOPE' } })
  assert.is(invalid.status, 400)
  const fixed = await env.post(REDEEM, { idempotencyKey: other, body: { benefitCode: inst.code, benefitPin: '1234' } })
  assert.is(fixed.status, 200, fixed.text)
  assert.is(fixed.headers.get('idempotent-replayed'), null)
})

test('the same key with another body → 422 IDEMPOTENCY_KEY_REUSED, and the other benefit is untouched', async () => {
  const env = await shared.get()
  const a = await seedInstance(env.db)
  const b = await seedInstance(env.db)
  const key = newKey()
  const first = await env.post(REDEEM, { idempotencyKey: key, body: { benefitCode: a.code } })
  assert.is(first.status, 200)
  const reused = await env.post(REDEEM, { idempotencyKey: key, body: { benefitCode: b.code } })
  assert.is(reused.status, 422)
  assert.is(reused.json.error.code, 'IDEMPOTENCY_KEY_REUSED')
  assert.is(reused.headers.get('idempotent-replayed'), null)
  // Another serialisation of the same JSON is another body: retries must resend the same bytes.
  const respaced = await env.post(REDEEM, { idempotencyKey: key, body: `{ "benefitCode": "${a.code}" }` })
  assert.is(respaced.json.error.code, 'IDEMPOTENCY_KEY_REUSED')
  assert.is(await redemptionsOf(env, b.id), 0)
  const state = await env.db.selectFrom('instances').select('state').where('id', '=', b.id).executeTakeFirstOrThrow()
  assert.is(state.state, 'ACTIVATED')
})

test('keys are scoped to the API key: two callers may use the same Idempotency-Key', async () => {
  const env = await shared.get()
  const other = await createApiKey(env.db, { name: 'other', now: env.now() })
  const a = await seedInstance(env.db)
  const b = await seedInstance(env.db)
  const key = newKey()
  const mine = await env.post(REDEEM, { idempotencyKey: key, body: { benefitCode: a.code } })
  const theirs = await env.post(REDEEM, { secret: other.secret, idempotencyKey: key, body: { benefitCode: b.code } })
  assert.is(mine.status, 200)
  assert.is(theirs.status, 200, theirs.text)
  assert.is(theirs.json.redemption.benefitInstanceId, b.id)
})

test("two users' tokens under one API key never see each other's answer for the same key and body", async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db, { userId: 'userA' })
  const tokenA = (await env.post('/v1/user-tokens', { body: { userId: 'userA' } })).json.token as string
  const tokenB = (await env.post('/v1/user-tokens', { body: { userId: 'userB' } })).json.token as string
  const key = newKey()
  const body = JSON.stringify({ benefitCode: inst.code })
  const first = await env.post(REDEEM, { token: tokenA, idempotencyKey: key, body })
  assert.is(first.status, 200, first.text)
  const stolen = await env.post(REDEEM, { token: tokenB, idempotencyKey: key, body })
  assert.is(stolen.status, 422)
  assert.is(stolen.json.error.code, 'IDEMPOTENCY_KEY_REUSED')
  assert.not.match(stolen.text, /redemptionId/)
})

test('while the first request runs, a repeat gets 409 IDEMPOTENCY_KEY_IN_USE; afterwards the replay', async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db)
  const key = newKey()
  const body = JSON.stringify({ benefitCode: inst.code })
  // Warm the key cache, then hold the database: the first redeem waits inside its transaction start.
  await env.post('/v1/benefits/lookup', { body: { benefitCode: inst.code } })
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  let holding!: () => void
  const held = new Promise<void>((resolve) => (holding = resolve))
  const holder = env.db.transaction().execute(async (trx) => {
    await trx.selectFrom('settings').select('key').execute()
    holding()
    await gate
  })
  await held
  try {
    const first = env.post(REDEEM, { idempotencyKey: key, body })
    await sleep(150)
    // Without the in-flight guard the repeat would queue behind the held database: give up after 2 s.
    const second = await Promise.race([env.post(REDEEM, { idempotencyKey: key, body }), sleep(2000).then(() => undefined)])
    assert.ok(second, 'the repeat was answered at once, not queued behind the first')
    assert.is(second.status, 409)
    assert.is(second.json.error.code, 'IDEMPOTENCY_KEY_IN_USE')
    release()
    await holder
    const answer = await first
    assert.is(answer.status, 200, answer.text)
    const replay = await env.post(REDEEM, { idempotencyKey: key, body })
    assert.is(replay.text, answer.text)
    assert.is(replay.headers.get('idempotent-replayed'), 'true')
  } finally {
    release()
    await holder
  }
})

test('a flood of the same key: every answer is the one success, its replay, or 409 IN_USE; one redemption', async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db)
  const key = newKey()
  const body = JSON.stringify({ benefitCode: inst.code })
  const answers = await Promise.all(Array.from({ length: 30 }, () => env.post(REDEEM, { idempotencyKey: key, body })))
  const fresh = answers.filter((a) => a.status === 200 && a.headers.get('idempotent-replayed') === null)
  assert.is(fresh.length, 1)
  for (const a of answers) {
    if (a.status === 200) assert.is(a.text, fresh[0]!.text)
    else assert.is(a.json.error.code, 'IDEMPOTENCY_KEY_IN_USE', a.text)
  }
  assert.is(await redemptionsOf(env, inst.id), 1)
})

test('expired idempotency keys and nonces are purged in batches; live ones stay', async () => {
  const env = await shared.get()
  const now = env.now()
  const rows = (n: number, expiresAt: number, tag: string) =>
    Array.from({ length: n }, (_, i) => ({
      scope: 'purge-test',
      key: `${tag}-${i}`,
      fingerprint: 'f',
      status_code: 200,
      response_json: '{}',
      created_at: expiresAt - IDEMPOTENCY_RETENTION_MS,
      expires_at: expiresAt,
    }))
  await env.db.insertInto('idempotency_keys').values([...rows(5, now - 1, 'old'), ...rows(2, now + 3600_000, 'live')]).execute()
  await env.db
    .insertInto('api_nonces')
    .values([
      { key_id: 'purge-test', nonce: 'old-nonce-0000000001', expires_at: now - 1 },
      { key_id: 'purge-test', nonce: 'old-nonce-0000000002', expires_at: now - 1 },
      { key_id: 'purge-test', nonce: 'live-nonce-000000001', expires_at: now + 60_000 },
    ])
    .execute()
  assert.is(await purgeExpiredIdempotencyKeys(env.db, now, 2), 2)
  assert.is(await purgeExpiredIdempotencyKeys(env.db, now, 10), 3)
  assert.is(await purgeExpiredNonces(env.db, now, 10), 2)
  const keys = await env.db.selectFrom('idempotency_keys').select('key').where('scope', '=', 'purge-test').execute()
  assert.equal(keys.map((k) => k.key).sort(), ['live-0', 'live-1'])
  const nonces = await env.db.selectFrom('api_nonces').select('nonce').where('key_id', '=', 'purge-test').execute()
  assert.equal(nonces.map((n) => n.nonce), ['live-nonce-000000001'])
})

test('the connector purges by itself: a request after a minute starts the purge in the background', async () => {
  const env = await shared.get()
  const now = env.now()
  await env.db
    .insertInto('idempotency_keys')
    .values({ scope: 'auto-purge', key: 'k-expired', fingerprint: 'f', status_code: 200, response_json: '{}', created_at: now - 80 * 3600_000, expires_at: now - 8 * 3600_000 })
    .execute()
  env.clock.offset += 61_000
  try {
    const inst = await seedInstance(env.db, {}, { now: env.now() })
    await env.post('/v1/benefits/lookup', { body: { benefitCode: inst.code } })
    let left = 1
    for (let i = 0; i < 50 && left > 0; i++) {
      await sleep(20)
      left = (await env.db.selectFrom('idempotency_keys').select('key').where('scope', '=', 'auto-purge').execute()).length
    }
    assert.is(left, 0)
  } finally {
    env.clock.offset -= 61_000
  }
})

test.run()
